#include "oauth/schema.h"

namespace arenite::oauth {

std::vector<store::Migration> Migrations() {
  return {
      {200, "oauth apps, keys, codes and tokens", R"sql(
CREATE TABLE oauth_apps (
  guid TEXT PRIMARY KEY,
  workspace_guid TEXT NOT NULL REFERENCES workspaces(guid) ON DELETE CASCADE,
  client_id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  redirect_uris TEXT NOT NULL,
  grant_types TEXT NOT NULL,
  scopes TEXT NOT NULL,
  public_client INTEGER NOT NULL,
  machine_user_guid TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX oauth_apps_by_workspace ON oauth_apps (workspace_guid, created_at);
CREATE TABLE oauth_app_secrets (
  guid TEXT PRIMARY KEY,
  app_guid TEXT NOT NULL REFERENCES oauth_apps(guid) ON DELETE CASCADE,
  secret_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER
);
CREATE INDEX oauth_app_secrets_by_app ON oauth_app_secrets (app_guid);
CREATE TABLE oauth_signing_keys (
  kid TEXT PRIMARY KEY,
  private_pem TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  retired_at INTEGER
);
CREATE TABLE oauth_codes (
  code_hash TEXT PRIMARY KEY,
  grant_id TEXT NOT NULL,
  app_guid TEXT NOT NULL REFERENCES oauth_apps(guid) ON DELETE CASCADE,
  workspace_guid TEXT NOT NULL,
  user_guid TEXT NOT NULL,
  redirect_uri TEXT NOT NULL,
  code_challenge TEXT NOT NULL,
  scopes TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE TABLE oauth_refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  grant_id TEXT NOT NULL,
  app_guid TEXT NOT NULL REFERENCES oauth_apps(guid) ON DELETE CASCADE,
  workspace_guid TEXT NOT NULL,
  user_guid TEXT NOT NULL,
  scopes TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  consumed_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX oauth_refresh_tokens_by_grant ON oauth_refresh_tokens (grant_id);
CREATE TABLE oauth_access_tokens (
  jti TEXT PRIMARY KEY,
  grant_id TEXT,
  app_guid TEXT NOT NULL,
  client_id TEXT NOT NULL,
  workspace_guid TEXT NOT NULL,
  issued_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX oauth_access_tokens_by_grant ON oauth_access_tokens (grant_id);
CREATE INDEX oauth_access_tokens_by_app ON oauth_access_tokens (app_guid);
CREATE INDEX oauth_access_tokens_by_expiry ON oauth_access_tokens (expires_at);
CREATE TABLE oauth_settings (
  workspace_guid TEXT PRIMARY KEY REFERENCES workspaces(guid) ON DELETE CASCADE,
  max_secret_age_days INTEGER NOT NULL
);
CREATE TABLE audit_log (
  guid TEXT PRIMARY KEY,
  workspace_guid TEXT NOT NULL REFERENCES workspaces(guid) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  address TEXT NOT NULL,
  action TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_guid TEXT NOT NULL,
  object_name TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_workspace ON audit_log (workspace_guid, created_at);
)sql"},
      // Client-credentials and minted tokens are no longer stored when issued: a JWT verifies
      // without a look-up, so only revocations are recorded. Tokens of the authorization_code
      // and refresh_token grants stay in oauth_access_tokens, so that a grant can be revoked.
      // An app's last token time moves onto the app, seeded from the tokens stored so far.
      {201, "oauth revocations and the last token time of apps", R"sql(
CREATE TABLE oauth_revocations (
  jti TEXT PRIMARY KEY,
  app_guid TEXT NOT NULL,
  workspace_guid TEXT NOT NULL,
  revoked_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX oauth_revocations_by_expiry ON oauth_revocations (expires_at);
ALTER TABLE oauth_apps ADD COLUMN last_token_at INTEGER;
UPDATE oauth_apps SET last_token_at =
  (SELECT MAX(t.issued_at) FROM oauth_access_tokens t WHERE t.app_guid = oauth_apps.guid);
)sql"},
  };
}

}  // namespace arenite::oauth
