#include "workspace/schema.h"

namespace arenite::workspace {

std::vector<store::Migration> Migrations() {
  return {
      {1, "workspaces, users and sessions", R"sql(
CREATE TABLE workspaces (
  guid TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  request_limit INTEGER,
  settings TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL
);
CREATE TABLE users (
  guid TEXT PRIMARY KEY,
  workspace_guid TEXT NOT NULL REFERENCES workspaces(guid) ON DELETE CASCADE,
  email TEXT NOT NULL,
  full_name TEXT NOT NULL,
  role TEXT NOT NULL,
  kind TEXT NOT NULL DEFAULT 'PERSON',
  password_hash TEXT,
  active INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (workspace_guid, email)
);
CREATE INDEX users_by_email ON users (email);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  workspace_guid TEXT NOT NULL REFERENCES workspaces(guid) ON DELETE CASCADE,
  user_guid TEXT NOT NULL REFERENCES users(guid) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_guid);
)sql"},
  };
}

}  // namespace arenite::workspace
