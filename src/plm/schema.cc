#include "plm/schema.h"

namespace arenite::plm {

std::vector<store::Migration> Migrations() {
  return {
      {100, "plm counters and the event outbox", R"sql(
CREATE TABLE plm_counters (
  workspace_guid TEXT NOT NULL,
  name TEXT NOT NULL,
  next INTEGER NOT NULL,
  PRIMARY KEY (workspace_guid, name)
);
CREATE TABLE events (
  guid TEXT PRIMARY KEY,
  workspace_guid TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  type TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_guid TEXT NOT NULL,
  actor TEXT NOT NULL,
  before_json TEXT,
  after_json TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (workspace_guid, sequence)
);
)sql"},
      {101, "plm lookups", R"sql(
CREATE TABLE plm_seeded (
  workspace_guid TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
);
CREATE TABLE number_formats (
  guid TEXT PRIMARY KEY,
  workspace_guid TEXT NOT NULL,
  name TEXT NOT NULL,
  object_type TEXT NOT NULL,
  prefix TEXT NOT NULL,
  digits INTEGER NOT NULL,
  is_default INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX number_formats_ws ON number_formats (workspace_guid, object_type);
CREATE TABLE item_categories (
  guid TEXT PRIMARY KEY,
  workspace_guid TEXT NOT NULL,
  name TEXT NOT NULL,
  path TEXT NOT NULL,
  parent_guid TEXT,
  level INTEGER NOT NULL,
  structural INTEGER NOT NULL DEFAULT 0,
  number_format_guid TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (workspace_guid, path)
);
CREATE TABLE lifecycle_phases (
  guid TEXT PRIMARY KEY,
  workspace_guid TEXT NOT NULL,
  name TEXT NOT NULL,
  short_name TEXT NOT NULL,
  stage TEXT NOT NULL,
  position INTEGER NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  UNIQUE (workspace_guid, name)
);
CREATE TABLE attribute_defs (
  guid TEXT PRIMARY KEY,
  workspace_guid TEXT NOT NULL,
  object_type TEXT NOT NULL,
  name TEXT NOT NULL,
  field_type TEXT NOT NULL,
  options_json TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (workspace_guid, object_type, name)
);
)sql"},
      {102, "items, revisions, BOM lines and sourcing", R"sql(
CREATE TABLE items (
  guid TEXT PRIMARY KEY,
  workspace_guid TEXT NOT NULL,
  number TEXT,
  working_rev TEXT NOT NULL,
  effective_rev TEXT,
  creator_guid TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (workspace_guid, number)
);
CREATE INDEX items_updated ON items (workspace_guid, updated_at);
CREATE INDEX items_created ON items (workspace_guid, created_at, guid);
CREATE TABLE item_revisions (
  guid TEXT PRIMARY KEY,
  item_guid TEXT NOT NULL REFERENCES items(guid) ON DELETE CASCADE,
  workspace_guid TEXT NOT NULL,
  status INTEGER NOT NULL,
  revision_number TEXT,
  name TEXT NOT NULL,
  description TEXT,
  category_guid TEXT,
  phase_guid TEXT,
  uom TEXT,
  procurement_type TEXT,
  owner_name TEXT,
  production_cost REAL,
  prototype_cost REAL,
  standard_cost REAL,
  target_cost REAL,
  target_price REAL,
  attributes_json TEXT,
  change_guid TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  effective_at INTEGER,
  superseded_at INTEGER
);
CREATE INDEX item_revisions_item ON item_revisions (item_guid, status);
CREATE INDEX item_revisions_name ON item_revisions (workspace_guid, name);
CREATE INDEX item_revisions_category ON item_revisions (workspace_guid, category_guid);
CREATE INDEX item_revisions_phase ON item_revisions (workspace_guid, phase_guid);
CREATE TABLE bom_lines (
  guid TEXT PRIMARY KEY,
  workspace_guid TEXT NOT NULL,
  parent_rev TEXT NOT NULL REFERENCES item_revisions(guid) ON DELETE CASCADE,
  parent_item TEXT NOT NULL,
  child_item TEXT NOT NULL,
  line_number INTEGER,
  quantity REAL NOT NULL,
  ref_des TEXT,
  notes TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX bom_lines_parent ON bom_lines (parent_rev, line_number);
CREATE INDEX bom_lines_parent_item ON bom_lines (parent_item);
CREATE INDEX bom_lines_child ON bom_lines (child_item);
CREATE TABLE sourcing (
  guid TEXT PRIMARY KEY,
  workspace_guid TEXT NOT NULL,
  rev_guid TEXT NOT NULL REFERENCES item_revisions(guid) ON DELETE CASCADE,
  item_guid TEXT NOT NULL,
  mfr_item TEXT,
  vendor_item TEXT,
  aml_rank INTEGER,
  aml_split REAL,
  approved INTEGER NOT NULL DEFAULT 0,
  active_production INTEGER NOT NULL DEFAULT 0,
  active_prototype INTEGER NOT NULL DEFAULT 0,
  make_item INTEGER NOT NULL DEFAULT 0,
  conversion_factor REAL,
  notes TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX sourcing_rev ON sourcing (rev_guid);
CREATE INDEX sourcing_mfr ON sourcing (mfr_item);
CREATE INDEX sourcing_vendor ON sourcing (vendor_item);
)sql"},
      {103, "changes and affected items", R"sql(
CREATE TABLE changes (
  guid TEXT PRIMARY KEY,
  workspace_guid TEXT NOT NULL,
  number TEXT NOT NULL,
  title TEXT NOT NULL,
  description TEXT,
  effectivity_type TEXT NOT NULL,
  status TEXT NOT NULL,
  implementation_status TEXT,
  approval_deadline INTEGER,
  effectivity_planned INTEGER,
  expiration INTEGER,
  creator_guid TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  lifecycle_at INTEGER NOT NULL,
  submitted_at INTEGER,
  effective_at INTEGER,
  UNIQUE (workspace_guid, number)
);
CREATE INDEX changes_updated ON changes (workspace_guid, updated_at);
CREATE INDEX changes_status ON changes (workspace_guid, status);
CREATE TABLE change_items (
  guid TEXT PRIMARY KEY,
  workspace_guid TEXT NOT NULL,
  change_guid TEXT NOT NULL REFERENCES changes(guid) ON DELETE CASCADE,
  item_guid TEXT NOT NULL,
  affected_rev TEXT,
  new_rev TEXT NOT NULL,
  new_revision_number TEXT,
  new_phase_guid TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (change_guid, item_guid)
);
CREATE INDEX change_items_item ON change_items (item_guid);
)sql"},
      {104, "suppliers and supplier items", R"sql(
CREATE TABLE suppliers (
  guid TEXT PRIMARY KEY,
  workspace_guid TEXT NOT NULL,
  name TEXT NOT NULL,
  supplier_id TEXT,
  account_number TEXT,
  description TEXT,
  website TEXT,
  approval_status TEXT NOT NULL,
  addresses_json TEXT,
  phones_json TEXT,
  creator_guid TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (workspace_guid, supplier_id)
);
CREATE INDEX suppliers_name ON suppliers (workspace_guid, name);
CREATE TABLE supplier_items (
  guid TEXT PRIMARY KEY,
  workspace_guid TEXT NOT NULL,
  supplier_guid TEXT NOT NULL REFERENCES suppliers(guid),
  number TEXT NOT NULL,
  name TEXT,
  description TEXT,
  type TEXT NOT NULL,
  uom TEXT,
  off_the_shelf INTEGER NOT NULL DEFAULT 1,
  creator_guid TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX supplier_items_number ON supplier_items (workspace_guid, number);
CREATE INDEX supplier_items_supplier ON supplier_items (supplier_guid);
)sql"},
      {105, "due changes of effectivity on date", R"sql(
CREATE INDEX changes_due ON changes (status, effectivity_planned);
)sql"},
      // The item list reaches a revision from its item (r.guid = COALESCE(i.effective_rev,
      // i.working_rev)), so no query searches revisions by name, category or phase: these three
      // indexes were only maintained, on every revision written, and never read.
      {106, "drop the unused revision indexes", R"sql(
DROP INDEX IF EXISTS item_revisions_name;
DROP INDEX IF EXISTS item_revisions_category;
DROP INDEX IF EXISTS item_revisions_phase;
)sql"},
      {107, "expiring deviations", R"sql(
CREATE INDEX changes_expiring ON changes (status, expiration);
)sql"},
      {108, "additional attribute values of changes, suppliers and supplier items", R"sql(
ALTER TABLE changes ADD COLUMN attributes_json TEXT;
ALTER TABLE suppliers ADD COLUMN attributes_json TEXT;
ALTER TABLE supplier_items ADD COLUMN attributes_json TEXT;
)sql"},
      // A workspace's change categories are seeded with its other lookups, and added to a
      // workspace seeded before this migration the first time it is used (SeedDefaults).
      {109, "change categories", R"sql(
CREATE TABLE change_categories (
  guid TEXT PRIMARY KEY,
  workspace_guid TEXT NOT NULL,
  name TEXT NOT NULL,
  path TEXT NOT NULL,
  level INTEGER NOT NULL,
  assignable INTEGER NOT NULL,
  system_defined INTEGER NOT NULL DEFAULT 0,
  effectivity_type TEXT,
  number_prefix TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (workspace_guid, path)
);
ALTER TABLE changes ADD COLUMN category_guid TEXT;
)sql"},
      // Arena names the stage of unreleased phases PRELIMINARY.
      {110, "lifecycle stage PRELIMINARY", R"sql(
UPDATE lifecycle_phases SET stage = 'PRELIMINARY' WHERE stage = 'UNRELEASED';
)sql"},
  };
}

}  // namespace arenite::plm
