#include "store/store.h"
#include "webhooks/webhooks.h"

namespace arenite::webhooks {

std::vector<store::Migration> Migrations() {
  return {
      {400, "webhooks", R"sql(
CREATE TABLE webhooks (
  guid TEXT PRIMARY KEY,
  workspace_guid TEXT NOT NULL REFERENCES workspaces(guid) ON DELETE CASCADE,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  target_url TEXT NOT NULL,
  event_types TEXT NOT NULL,
  filters TEXT NOT NULL,
  auth_type TEXT NOT NULL,
  oauth_app_guid TEXT,
  auth_config TEXT NOT NULL,
  auth_secret BLOB,
  payload TEXT NOT NULL,
  extract_config TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  disabled_reason TEXT,
  max_concurrent INTEGER NOT NULL,
  max_per_second INTEGER NOT NULL,
  signing_secret BLOB NOT NULL,
  signing_secret_created_at INTEGER NOT NULL,
  previous_signing_secret BLOB,
  previous_secret_expires_at INTEGER,
  from_sequence INTEGER NOT NULL,
  extract_sequence INTEGER NOT NULL,
  extract_due_at INTEGER,
  health TEXT NOT NULL,
  health_reason TEXT,
  failing_since INTEGER,
  last_delivery_at INTEGER,
  last_success_at INTEGER,
  config_version INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX webhooks_by_workspace ON webhooks (workspace_guid, created_at);
CREATE INDEX webhooks_by_app ON webhooks (oauth_app_guid);
CREATE TABLE webhook_cursors (
  workspace_guid TEXT PRIMARY KEY REFERENCES workspaces(guid) ON DELETE CASCADE,
  sequence INTEGER NOT NULL
);
CREATE TABLE webhook_deliveries (
  guid TEXT PRIMARY KEY,
  workspace_guid TEXT NOT NULL,
  webhook_guid TEXT NOT NULL REFERENCES webhooks(guid) ON DELETE CASCADE,
  event_guid TEXT,
  event_type TEXT NOT NULL,
  sequence_from INTEGER,
  sequence_to INTEGER,
  body BLOB,
  package_path TEXT,
  content_type TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  schedule_step INTEGER NOT NULL,
  next_attempt_at INTEGER,
  last_status INTEGER,
  last_error TEXT,
  last_error_class TEXT,
  created_at INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  delivered_at INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
  WHERE status IN ('PENDING', 'RETRYING');
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_guid, created_ms);
CREATE INDEX webhook_deliveries_by_age ON webhook_deliveries (created_at);
CREATE TABLE webhook_attempts (
  delivery_guid TEXT NOT NULL REFERENCES webhook_deliveries(guid) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  started_ms INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  request_headers TEXT NOT NULL,
  response_status INTEGER,
  response_headers TEXT NOT NULL,
  response_body BLOB,
  error_class TEXT,
  error TEXT,
  address TEXT,
  PRIMARY KEY (delivery_guid, number)
);
CREATE TABLE webhook_row_state (
  webhook_guid TEXT NOT NULL REFERENCES webhooks(guid) ON DELETE CASCADE,
  view TEXT NOT NULL,
  row_guid TEXT NOT NULL,
  digest BLOB NOT NULL,
  key_text TEXT NOT NULL,
  PRIMARY KEY (webhook_guid, view, row_guid)
);
)sql"},
      {401, "webhook schedule indexes and requeues", R"sql(
CREATE INDEX webhook_deliveries_due_by_webhook ON webhook_deliveries
  (webhook_guid, next_attempt_at, created_ms, guid) WHERE status IN ('PENDING', 'RETRYING');
CREATE INDEX webhook_deliveries_open_packages ON webhook_deliveries
  (webhook_guid, sequence_to, created_ms)
  WHERE event_type = 'extract.package' AND status IN ('PENDING', 'RETRYING', 'FAILED');
ALTER TABLE webhook_deliveries ADD COLUMN requeues INTEGER NOT NULL DEFAULT 0;
)sql"},
      // The scheduler reads the due deliveries of many webhooks at once from this index alone.
      {402, "webhook due index covers the status", R"sql(
DROP INDEX webhook_deliveries_due_by_webhook;
CREATE INDEX webhook_deliveries_due_by_webhook ON webhook_deliveries
  (webhook_guid, next_attempt_at, created_ms, guid, status) WHERE status IN ('PENDING', 'RETRYING');
)sql"},
  };
}

}  // namespace arenite::webhooks
