// Seeding, lookups, items, revisions, BOM lines and where-used.
#include <map>
#include "core/clock.h"
#include "core/guid.h"
#include "plm/events.h"
#include "plm/internal.h"
#include "plm/logic.h"
#include "plm/plm.h"

namespace arenite::plm {

using namespace internal;  // NOLINT: the component's own helpers

// ---------------------------------------------------------------------------------------------
// Seeding and lookups

Status Plm::SeedDefaults(store::Tx& tx, const std::string& ws, int64_t now) {
  ARENITE_ASSIGN_OR_RETURN(
      int64_t fresh, tx.Exec("INSERT INTO plm_seeded (workspace_guid, created_at) VALUES (?, ?) "
                             "ON CONFLICT (workspace_guid) DO NOTHING",
                             {ws, now}));
  // A workspace seeded before change categories existed gets them now.
  if (fresh == 0) return SeedChangeCategories(tx, ws, now);
  ARENITE_RETURN_IF_ERROR(SeedChangeCategories(tx, ws, now));
  struct Format {
    const char* key;
    const char* name;
    const char* type;
    const char* prefix;
    int digits;
    bool is_default;
  };
  static const Format kFormats[] = {
      {"basic", "Basic Item Number", "ITEM", "ITM-", 6, true},
      {"elec", "Electrical", "ITEM", "210-", 5, false},
      {"mech", "Mechanical", "ITEM", "310-", 5, false},
      {"asm", "Assembly", "ITEM", "800-", 5, false},
      {"doc", "Document", "ITEM", "DOC-", 5, false},
      {"eco", "Engineering Change Order", "CHANGE", "ECO-", 6, true},
  };
  std::map<std::string, std::string> format_guid;
  for (const auto& f : kFormats) {
    std::string guid = NewGuid();
    format_guid[f.key] = guid;
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO number_formats (guid, workspace_guid, name, object_type, prefix, digits, "
        "is_default, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        {guid, ws, std::string(f.name), std::string(f.type), std::string(f.prefix),
         int64_t{f.digits}, int64_t{f.is_default ? 1 : 0}, now}));
  }
  struct Category {
    const char* path;
    bool structural;
    const char* format;
  };
  static const Category kCategories[] = {
      {"Parts", true, ""},
      {"Parts\\Electrical", true, "elec"},
      {"Parts\\Electrical\\Resistor", false, "elec"},
      {"Parts\\Electrical\\Capacitor", false, "elec"},
      {"Parts\\Electrical\\Inductor", false, "elec"},
      {"Parts\\Electrical\\Diode", false, "elec"},
      {"Parts\\Electrical\\Integrated Circuit", false, "elec"},
      {"Parts\\Electrical\\Connector", false, "elec"},
      {"Parts\\Electrical\\Crystal", false, "elec"},
      {"Parts\\Mechanical", true, "mech"},
      {"Parts\\Mechanical\\Fastener", false, "mech"},
      {"Parts\\Mechanical\\Enclosure", false, "mech"},
      {"Parts\\Mechanical\\Bracket", false, "mech"},
      {"Parts\\Mechanical\\Cable", false, "mech"},
      {"Parts\\Mechanical\\Label", false, "mech"},
      {"Assemblies", true, "asm"},
      {"Assemblies\\PCBA", false, "asm"},
      {"Assemblies\\Sub-Assembly", false, "asm"},
      {"Assemblies\\Top-Level Assembly", false, "asm"},
      {"Documents", true, "doc"},
      {"Documents\\Specification", false, "doc"},
      {"Documents\\Drawing", false, "doc"},
      {"Documents\\Procedure", false, "doc"},
  };
  std::map<std::string, std::string> category_guid;
  for (const auto& c : kCategories) {
    std::string path = c.path;
    size_t cut = path.rfind('\\');
    std::string name = cut == std::string::npos ? path : path.substr(cut + 1);
    store::Value parent = nullptr;
    if (cut != std::string::npos) parent = category_guid[path.substr(0, cut)];
    int64_t level = 1;
    for (char ch : path) level += ch == '\\' ? 1 : 0;
    std::string guid = NewGuid();
    category_guid[path] = guid;
    store::Value format = nullptr;
    if (*c.format) format = format_guid[c.format];
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO item_categories (guid, workspace_guid, name, path, parent_guid, level, "
        "structural, number_format_guid, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {guid, ws, name, path, parent, level, int64_t{c.structural ? 1 : 0}, format, now}));
  }
  struct Phase {
    const char* name;
    const char* short_name;
    const char* stage;
    bool active;
  };
  static const Phase kPhases[] = {
      {"Unreleased", "Unrel", "PRELIMINARY", true},     {"In Design", "In Des", "DESIGN", true},
      {"Prototype", "Proto", "DESIGN", true},           {"Abandoned", "Aban", "DESIGN", false},
      {"In Production", "In Prod", "PRODUCTION", true}, {"Deprecated", "Depr", "PRODUCTION", true},
      {"Obsolete", "Obs", "PRODUCTION", false},
  };
  int64_t position = 0;
  for (const auto& p : kPhases) {
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO lifecycle_phases (guid, workspace_guid, name, short_name, stage, position, "
        "active) VALUES (?, ?, ?, ?, ?, ?, ?)",
        {NewGuid(), ws, std::string(p.name), std::string(p.short_name), std::string(p.stage),
         ++position, int64_t{p.active ? 1 : 0}}));
  }
  return OkStatus();
}

Status Plm::EnsureSeeded(const std::string& ws) {
  {
    std::lock_guard<std::mutex> lock(seeded_mu_);
    if (seeded_.count(ws)) return OkStatus();
  }
  int64_t now = clock_.Now();
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) { return SeedDefaults(tx, ws, now); }));
  std::lock_guard<std::mutex> lock(seeded_mu_);
  seeded_.insert(ws);
  return OkStatus();
}

namespace {

constexpr char kCategorySelect[] =
    "SELECT guid, name, path, parent_guid, level, structural, number_format_guid, created_at FROM "
    "item_categories ";

Json CategoryJson(const store::Row& row) {
  bool structural = row.Int(5) != 0;
  Json c = {{"guid", row.String(0)},
            {"name", row.String(1)},
            {"path", row.String(2)},
            {"level", row.Int(4)},
            {"structural", structural},
            {"assignable", !structural},
            {"activated", true},
            {"systemDefined", false},
            {"creationDateTime", FormatDateTime(row.Int(7))}};
  c["parentCategory"] = row.IsNull(3) ? Json(nullptr) : Json{{"guid", row.String(3)}};
  c["numberFormat"] = row.IsNull(6) ? Json(nullptr) : Json{{"guid", row.String(6)}};
  return c;
}

constexpr char kAttributeSelect[] =
    "SELECT guid, name, field_type, options_json, object_type, created_at FROM attribute_defs ";

Json AttributeJson(const store::Row& row) {
  Json a = {{"guid", row.String(0)},       {"apiName", row.String(0)},
            {"name", row.String(1)},       {"fieldType", row.String(2)},
            {"objectType", row.String(4)}, {"creationDateTime", FormatDateTime(row.Int(5))}};
  if (!row.IsNull(3)) a["possibleValues"] = Json::parse(row.Text(3), nullptr, false);
  return a;
}

}  // namespace

Result<Json> Plm::ListCategories(const std::string& ws) {
  Json out = Json::array();
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    return tx.Query(std::string(kCategorySelect) + "WHERE workspace_guid = ? ORDER BY path", {ws},
                    [&](const store::Row& row) {
                      out.push_back(CategoryJson(row));
                      return true;
                    });
  }));
  return out;
}

Result<Json> Plm::GetCategory(const std::string& ws, const std::string& guid) {
  return GetOne(store_, kCategorySelect, ws, guid, CategoryJson);
}

Result<Json> Plm::ListPhases(const std::string& ws) {
  Json out = Json::array();
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    return tx.Query(
        "SELECT guid, name, short_name, stage, active FROM lifecycle_phases WHERE "
        "workspace_guid = ? ORDER BY position",
        {ws}, [&](const store::Row& row) {
          out.push_back({{"guid", row.String(0)},
                         {"name", row.String(1)},
                         {"shortName", row.String(2)},
                         {"stage", row.String(3)},
                         {"active", row.Int(4) != 0},
                         {"used", true}});
          return true;
        });
  }));
  return out;
}

Result<Json> Plm::ListNumberFormats(const std::string& ws) {
  Json out = Json::array();
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    return tx.Query(
        "SELECT guid, name, object_type, prefix, digits, is_default, created_at FROM "
        "number_formats WHERE workspace_guid = ? ORDER BY object_type DESC, name",
        {ws}, [&](const store::Row& row) {
          out.push_back(
              {{"guid", row.String(0)},
               {"name", row.String(1)},
               {"objectType", row.String(2)},
               {"prefix", row.String(3)},
               {"default", row.Int(5) != 0},
               {"exampleNumber", FormatNumber(row.Text(3), static_cast<int>(row.Int(4)), 1)},
               {"creationDateTime", FormatDateTime(row.Int(6))}});
          return true;
        });
  }));
  return out;
}

Result<Json> Plm::ListAttributes(const std::string& ws) {
  Json out = Json::array();
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    return tx.Query(
        std::string(kAttributeSelect) + "WHERE workspace_guid = ? ORDER BY object_type, name", {ws},
        [&](const store::Row& row) {
          out.push_back(AttributeJson(row));
          return true;
        });
  }));
  return out;
}

Result<Json> Plm::GetAttribute(const std::string& ws, const std::string& guid) {
  return GetOne(store_, kAttributeSelect, ws, guid, AttributeJson);
}

Result<Json> Plm::CreateAttribute(const Ctx& ctx, const Json& body) {
  ARENITE_RETURN_IF_ERROR(
      json::RejectUnknownFields(body, {"name", "fieldType", "possibleValues", "objectType"}));
  ARENITE_ASSIGN_OR_RETURN(std::string name, json::RequiredString(body, "name", 200));
  ARENITE_ASSIGN_OR_RETURN(std::string type, json::RequiredString(body, "fieldType", 40));
  ARENITE_ASSIGN_OR_RETURN(auto object_type, json::OptionalString(body, "objectType", 20));
  ARENITE_ASSIGN_OR_RETURN(auto options, json::OptionalStringArray(body, "possibleValues"));
  if (type != "SINGLE_LINE_TEXT" && type != "MULTI_LINE_TEXT" && type != "NUMBER" &&
      type != "BOOLEAN" && type != "DATE" && type != "FIXED_DROP_DOWN") {
    return BadRequest("The value for the attribute \"fieldType\" is not valid.", kErrInvalidValue);
  }
  if (type == "FIXED_DROP_DOWN" && (!options || options->empty())) {
    return BadRequest("field 'possibleValues' is required for FIXED_DROP_DOWN", kErrMissingField);
  }
  std::string ot = object_type.value_or("ITEM");
  if (ot != "ITEM" && ot != "CHANGE" && ot != "SUPPLIER" && ot != "SUPPLIER_ITEM") {
    return BadRequest("The value for the attribute \"objectType\" is not valid.", kErrInvalidValue);
  }
  if (name.empty())
    return BadRequest("The value for the attribute \"name\" cannot be empty.", kErrEmptyValue);
  std::string guid = NewGuid();
  store::Value opts = nullptr;
  if (options) opts = Json(*options).dump();
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO attribute_defs (guid, workspace_guid, object_type, name, "
                "field_type, options_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                {guid, ctx.workspace, ot, name, type, opts, ctx.now}));
    return OkStatus();
  }));
  Json a = {{"guid", guid},      {"apiName", guid},  {"name", name},
            {"fieldType", type}, {"objectType", ot}, {"creationDateTime", FormatDateTime(ctx.now)}};
  if (options) a["possibleValues"] = *options;
  return a;
}

// ---------------------------------------------------------------------------------------------
// Item loading

namespace internal {

const char kItemSelect[] =
    "SELECT r.guid, r.item_guid, i.number, r.status, r.revision_number, r.name, r.description, "
    "r.category_guid, c.name, c.path, r.phase_guid, p.name, p.short_name, p.stage, r.uom, "
    "r.procurement_type, r.owner_name, r.production_cost, r.prototype_cost, r.standard_cost, "
    "r.target_cost, r.target_price, r.attributes_json, i.creator_guid, u.email, u.full_name, "
    "i.created_at, r.effective_at, r.superseded_at, i.updated_at, i.working_rev, "
    "i.effective_rev, r.change_guid, "
    "EXISTS (SELECT 1 FROM bom_lines b WHERE b.parent_rev = r.guid), "
    "EXISTS (SELECT 1 FROM bom_lines b2 WHERE b2.child_item = r.item_guid) "
    "FROM item_revisions r JOIN items i ON i.guid = r.item_guid "
    "LEFT JOIN item_categories c ON c.guid = r.category_guid "
    "LEFT JOIN lifecycle_phases p ON p.guid = r.phase_guid "
    "LEFT JOIN users u ON u.guid = i.creator_guid ";

// Renders a kItemSelect row; `attributes` receives the raw custom attribute values.
Json ItemRow(const store::Row& row, Json* attributes) {
  int64_t status = row.Int(3);
  bool is_assembly = row.Int(33) != 0, in_assembly = row.Int(34) != 0;
  Json item = {
      {"guid", row.String(1)},
      {"revisionGuid", row.String(0)},
      {"number", Str(row, 2)},
      {"name", row.String(5)},
      {"description", Str(row, 6)},
      {"revisionNumber", Str(row, 4)},
      {"revisionStatus", std::string(RevisionStatusName(status))},
      {"status", status},
      {"uom", Str(row, 14)},
      {"procurementType", Str(row, 15)},
      {"offTheShelf", !row.IsNull(15) && row.Text(15) == "OTS"},
      {"productionCost", Num(row, 17)},
      {"prototypeCost", Num(row, 18)},
      {"standardCost", Num(row, 19)},
      {"targetCost", Num(row, 20)},
      {"targetPrice", Num(row, 21)},
      {"creator", UserRef(row, 23)},
      {"creationDateTime", FormatDateTime(row.Int(26))},
      {"effectiveDateTime", Time(row, 27)},
      {"supersededDateTime", Time(row, 28)},
      {"lastModifiedDateTime", FormatDateTime(row.Int(29))},
      {"isAssembly", is_assembly},
      {"inAssembly", in_assembly},
      {"assemblyType", !is_assembly  ? "NOT_AN_ASSEMBLY"
                       : in_assembly ? "ASSEMBLY"
                                     : "TOP_LEVEL_ASSEMBLY"},
      {"workingRevision", {{"guid", row.String(30)}}},
  };
  item["owner"] = row.IsNull(16) ? Json(nullptr) : Json{{"fullName", row.String(16)}};
  item["category"] =
      row.IsNull(7) ? Json(nullptr)
                    : Json{{"guid", row.String(7)}, {"name", Str(row, 8)}, {"path", Str(row, 9)}};
  item["lifecyclePhase"] = PhaseRef(row, 10);
  item["effectiveRevision"] = row.IsNull(31) ? Json(nullptr) : Json{{"guid", row.String(31)}};
  if (attributes && !row.IsNull(22)) *attributes = Json::parse(row.Text(22), nullptr, false);
  return item;
}

namespace {

Result<Json> LoadBy(store::Tx& tx, const std::string& ws, const std::string& guid,
                    std::string_view sql) {
  Json item, attrs;
  ARENITE_RETURN_IF_ERROR(tx.Query(sql, {guid, ws}, [&](const store::Row& row) {
    item = ItemRow(row, &attrs);
    return false;
  }));
  if (item.is_null()) return NotFoundGuid(guid);
  ARENITE_RETURN_IF_ERROR(AddModifiedFlags(tx, &item));  // defined with ModifiedBom, below
  ARENITE_ASSIGN_OR_RETURN(item["additionalAttributes"], RenderAttributes(tx, ws, attrs));
  return item;
}

const std::string kByItem = std::string(kItemSelect) +
                            "WHERE i.guid = ? AND i.workspace_guid = ? AND "
                            "r.guid = COALESCE(i.effective_rev, i.working_rev)";
const std::string kByRevision =
    std::string(kItemSelect) + "WHERE r.guid = ? AND r.workspace_guid = ?";

}  // namespace

Result<Json> LoadRevision(store::Tx& tx, const std::string& ws, const std::string& rev) {
  return LoadBy(tx, ws, rev, kByRevision);
}

Result<Json> LoadItem(store::Tx& tx, const std::string& ws, const std::string& guid) {
  auto item = LoadBy(tx, ws, guid, kByItem);
  if (item.ok() || item.error().status != 404) return item;
  return LoadBy(tx, ws, guid, kByRevision);
}

Result<ItemKeys> ResolveItem(store::Tx& tx, const std::string& ws, const std::string& guid) {
  std::optional<ItemKeys> keys;
  ARENITE_RETURN_IF_ERROR(tx.Query(
      "SELECT guid, working_rev, effective_rev FROM items WHERE guid = ? AND workspace_guid = ?",
      {guid, ws}, [&](const store::Row& row) {
        keys = ItemKeys{row.String(0), row.String(1), row.OptString(2), ""};
        keys->shown_rev = keys->effective_rev.value_or(keys->working_rev);
        return false;
      }));
  if (keys) return *keys;
  ARENITE_RETURN_IF_ERROR(tx.Query(
      "SELECT i.guid, i.working_rev, i.effective_rev FROM item_revisions r JOIN items i ON "
      "i.guid = r.item_guid WHERE r.guid = ? AND r.workspace_guid = ?",
      {guid, ws}, [&](const store::Row& row) {
        keys = ItemKeys{row.String(0), row.String(1), row.OptString(2), guid};
        return false;
      }));
  if (keys) return *keys;
  return NotFoundGuid(guid);
}

Result<Json> ItemRef(store::Tx& tx, const std::string& item_guid) {
  Json ref;
  ARENITE_RETURN_IF_ERROR(tx.Query(
      "SELECT i.guid, i.number, r.name, r.revision_number, r.status, r.guid FROM items i JOIN "
      "item_revisions r ON r.guid = COALESCE(i.effective_rev, i.working_rev) WHERE i.guid = ?",
      {item_guid}, [&](const store::Row& row) {
        ref = {{"guid", row.String(0)},
               {"number", Str(row, 1)},
               {"name", row.String(2)},
               {"revisionNumber", Str(row, 3)},
               {"revisionStatus", std::string(RevisionStatusName(row.Int(4)))},
               {"revisionGuid", row.String(5)}};
        return false;
      }));
  if (ref.is_null()) return NotFoundGuid(item_guid);
  return ref;
}

}  // namespace internal

// ---------------------------------------------------------------------------------------------
// Items

namespace {

// The editable fields of a revision.
struct ItemFields {
  std::optional<std::string> number, name, description, category, phase, revision_number, uom,
      procurement, owner;
  std::optional<double> production_cost, prototype_cost, standard_cost, target_cost, target_price;
  Json attributes = Json::object();
};

const std::vector<std::string_view> kItemInputFields = {"number",
                                                        "shared",
                                                        "name",
                                                        "description",
                                                        "category",
                                                        "lifecyclePhase",
                                                        "revisionNumber",
                                                        "uom",
                                                        "procurementType",
                                                        "offTheShelf",
                                                        "owner",
                                                        "productionCost",
                                                        "prototypeCost",
                                                        "standardCost",
                                                        "targetCost",
                                                        "targetPrice",
                                                        "additionalAttributes",
                                                        "numberFormat"};

// Fields of the item object that a client may send back unchanged on PUT; ignored.
const std::vector<std::string_view> kItemReadOnly = {"guid",
                                                     "revisionGuid",
                                                     "revisionStatus",
                                                     "status",
                                                     "creator",
                                                     "creationDateTime",
                                                     "effectiveDateTime",
                                                     "supersededDateTime",
                                                     "lastModifiedDateTime",
                                                     "isAssembly",
                                                     "inAssembly",
                                                     "assemblyType",
                                                     "workingRevision",
                                                     "effectiveRevision",
                                                     "url"};

// The names of what a revision refers to, read while checking the references, so that a new
// item renders without reading back what was just written.
struct RefNames {
  std::string category_name, category_path;
  std::optional<std::string> category_format;  // the category's number format, if it has one
  std::string phase_name, phase_short_name, phase_stage;
};

// Reads the item fields of `body` that need no look-up over `f` (PUT semantics; on create `f`
// starts empty). Store-free, so a creation does it before it queues for the writer.
Status ParseItemFields(const Json& body, bool setnull, ItemFields* f) {
  // Arena's samples send "shared": false. Items are never shared with suppliers here, so false
  // (or null) is what every item is; true is refused rather than ignored.
  ARENITE_ASSIGN_OR_RETURN(auto shared, json::OptionalBool(body, "shared"));
  if (shared && *shared) {
    return BadRequest(
        "Items cannot be shared with suppliers in this version; send \"shared\": "
        "false or leave it out.",
        kErrInvalidValue);
  }
  ARENITE_RETURN_IF_ERROR(PatchString(body, "number", 100, setnull, &f->number));
  ARENITE_ASSIGN_OR_RETURN(bool has_name, PatchString(body, "name", 500, false, &f->name));
  if (has_name && f->name && f->name->empty()) {
    return BadRequest("The value for the attribute \"name\" cannot be empty.", kErrEmptyValue);
  }
  ARENITE_RETURN_IF_ERROR(PatchString(body, "description", 4000, setnull, &f->description));
  ARENITE_RETURN_IF_ERROR(PatchString(body, "revisionNumber", 20, setnull, &f->revision_number));
  ARENITE_RETURN_IF_ERROR(PatchString(body, "uom", 40, false, &f->uom));
  ARENITE_ASSIGN_OR_RETURN(bool has_proc,
                           PatchString(body, "procurementType", 10, setnull, &f->procurement));
  if (has_proc && f->procurement && *f->procurement != "OTS" && *f->procurement != "MTS") {
    return BadRequest("The specified value \"" + f->procurement->substr(0, 20) +
                          "\" is not a valid option for the attribute \"procurementType\".",
                      kErrInvalidOption);
  }
  ARENITE_ASSIGN_OR_RETURN(auto ots, json::OptionalBool(body, "offTheShelf"));
  if (ots && !has_proc) f->procurement = *ots ? "OTS" : "MTS";
  if (auto it = body.find("owner"); it != body.end()) {
    if (it->is_null()) {
      if (setnull) f->owner.reset();
    } else if (it->is_object()) {
      ARENITE_ASSIGN_OR_RETURN(auto name, json::OptionalString(*it, "fullName", 200));
      f->owner = name;
    } else {
      return BadRequest("field 'owner' must be {\"fullName\": \"...\"}");
    }
  }
  ARENITE_RETURN_IF_ERROR(PatchNumber(body, "productionCost", setnull, &f->production_cost));
  ARENITE_RETURN_IF_ERROR(PatchNumber(body, "prototypeCost", setnull, &f->prototype_cost));
  ARENITE_RETURN_IF_ERROR(PatchNumber(body, "standardCost", setnull, &f->standard_cost));
  ARENITE_RETURN_IF_ERROR(PatchNumber(body, "targetCost", setnull, &f->target_cost));
  ARENITE_RETURN_IF_ERROR(PatchNumber(body, "targetPrice", setnull, &f->target_price));
  return OkStatus();
}

// Checks and applies the fields of `body` that refer to other objects (category, lifecycle
// phase, custom attributes), after ParseItemFields; `names` (may be null) receives what they
// refer to.
Status ReadItemRefs(store::Tx& tx, const std::string& ws, const Json& body, ItemFields* f,
                    RefNames* names) {
  ARENITE_ASSIGN_OR_RETURN(auto category, json::OptionalGuidRef(body, "category"));
  if (category) {
    std::optional<int64_t> structural;
    RefNames found;
    ARENITE_RETURN_IF_ERROR(
        tx.Query("SELECT structural, name, path, number_format_guid FROM item_categories WHERE "
                 "guid = ? AND workspace_guid = ?",
                 {*category, ws}, [&](const store::Row& row) {
                   structural = row.Int(0);
                   found.category_name = row.String(1);
                   found.category_path = row.String(2);
                   found.category_format = row.OptString(3);
                   return false;
                 }));
    if (!structural) {
      return BadRequest("The category guid \"" + *category + "\" is not valid.",
                        kErrInvalidCategory);
    }
    if (*structural) {
      return BadRequest("This category is structural; objects may not be assigned to it.",
                        kErrStructuralCategory);
    }
    f->category = category;
    if (names) {
      names->category_name = std::move(found.category_name);
      names->category_path = std::move(found.category_path);
      names->category_format = std::move(found.category_format);
    }
  }
  ARENITE_ASSIGN_OR_RETURN(auto phase, json::OptionalGuidRef(body, "lifecyclePhase"));
  if (phase) {
    bool exists = false;
    ARENITE_RETURN_IF_ERROR(
        tx.Query("SELECT name, short_name, stage FROM lifecycle_phases WHERE guid = ? AND "
                 "workspace_guid = ? AND active = 1",
                 {*phase, ws}, [&](const store::Row& row) {
                   exists = true;
                   if (names) {
                     names->phase_name = row.String(0);
                     names->phase_short_name = row.String(1);
                     names->phase_stage = row.String(2);
                   }
                   return false;
                 }));
    if (!exists) {
      return BadRequest("The Item lifecycle phase with guid \"" + *phase + "\" is not active.",
                        kErrInactivePhase);
    }
    f->phase = phase;
  }
  if (auto it = body.find("additionalAttributes"); it != body.end() && !it->is_null()) {
    ARENITE_RETURN_IF_ERROR(MergeAttributes(tx, ws, "ITEM", *it, &f->attributes));
  }
  return OkStatus();
}

// Reads item fields from `body` over `f` (PUT semantics; on create `f` starts empty).
Status ReadItemFields(store::Tx& tx, const std::string& ws, const Json& body, bool setnull,
                      ItemFields* f) {
  ARENITE_RETURN_IF_ERROR(ParseItemFields(body, setnull, f));
  return ReadItemRefs(tx, ws, body, f, nullptr);
}

store::Value V(const std::optional<std::string>& s) { return store::Nullable(s); }
store::Value V(const std::optional<double>& d) { return store::Nullable(d); }

Status InsertRevision(store::Tx& tx, const std::string& ws, const std::string& rev,
                      const std::string& item, int64_t status, const ItemFields& f, int64_t now) {
  ARENITE_RETURN_IF_ERROR(tx.Exec(
      "INSERT INTO item_revisions (guid, item_guid, workspace_guid, status, revision_number, "
      "name, description, category_guid, phase_guid, uom, procurement_type, owner_name, "
      "production_cost, prototype_cost, standard_cost, target_cost, target_price, "
      "attributes_json, created_at, updated_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {rev,
       item,
       ws,
       status,
       V(f.revision_number),
       f.name.value_or(""),
       V(f.description),
       V(f.category),
       V(f.phase),
       V(f.uom),
       V(f.procurement),
       V(f.owner),
       V(f.production_cost),
       V(f.prototype_cost),
       V(f.standard_cost),
       V(f.target_cost),
       V(f.target_price),
       f.attributes.empty() ? store::Value(nullptr) : store::Value(f.attributes.dump()),
       now,
       now}));
  return OkStatus();
}

Result<ItemFields> LoadFields(store::Tx& tx, const std::string& rev) {
  std::optional<ItemFields> f;
  ARENITE_RETURN_IF_ERROR(tx.Query(
      "SELECT r.revision_number, r.name, r.description, r.category_guid, r.phase_guid, r.uom, "
      "r.procurement_type, r.owner_name, r.production_cost, r.prototype_cost, r.standard_cost, "
      "r.target_cost, r.target_price, r.attributes_json, i.number FROM item_revisions r JOIN "
      "items i ON i.guid = r.item_guid WHERE r.guid = ?",
      {rev}, [&](const store::Row& row) {
        f.emplace();
        auto real = [&](int c) {
          return row.IsNull(c) ? std::optional<double>() : std::optional<double>(row.Real(c));
        };
        f->revision_number = row.OptString(0);
        f->name = row.String(1);
        f->description = row.OptString(2);
        f->category = row.OptString(3);
        f->phase = row.OptString(4);
        f->uom = row.OptString(5);
        f->procurement = row.OptString(6);
        f->owner = row.OptString(7);
        f->production_cost = real(8);
        f->prototype_cost = real(9);
        f->standard_cost = real(10);
        f->target_cost = real(11);
        f->target_price = real(12);
        if (!row.IsNull(13)) f->attributes = Json::parse(row.Text(13), nullptr, false);
        if (!f->attributes.is_object()) f->attributes = Json::object();
        f->number = row.OptString(14);
        return false;
      }));
  if (!f) return NotFoundGuid(rev);
  return *f;
}

// The item JSON of a revision just inserted by CreateItem, as LoadRevision would read it back:
// built from what was written and the names its references were checked with, so that only the
// creator's name (and custom attribute names, when there are values) are looked up. A new revision
// is on no BOM and has none of its own, and is not yet effective.
Result<Json> NewItemJson(store::Tx& tx, const Ctx& ctx, const std::string& item,
                         const std::string& rev, const ItemFields& f, const RefNames& names) {
  auto opt = [](const auto& v) { return v ? Json(*v) : Json(nullptr); };
  auto num = [](const std::optional<double>& v) { return v ? Num(*v) : Json(nullptr); };
  Json creator = {{"guid", ctx.user}, {"email", nullptr}, {"fullName", nullptr}};
  ARENITE_RETURN_IF_ERROR(tx.Query("SELECT email, full_name FROM users WHERE guid = ?", {ctx.user},
                                   [&](const store::Row& row) {
                                     creator["email"] = Str(row, 0);
                                     creator["fullName"] = Str(row, 1);
                                     return false;
                                   }));
  std::string now = FormatDateTime(ctx.now);
  Json out = {
      {"guid", item},
      {"revisionGuid", rev},
      {"number", opt(f.number)},
      {"name", f.name.value_or("")},
      {"description", opt(f.description)},
      {"revisionNumber", opt(f.revision_number)},
      {"revisionStatus", std::string(RevisionStatusName(0))},
      {"status", 0},
      {"uom", opt(f.uom)},
      {"procurementType", opt(f.procurement)},
      {"offTheShelf", f.procurement && *f.procurement == "OTS"},
      {"productionCost", num(f.production_cost)},
      {"prototypeCost", num(f.prototype_cost)},
      {"standardCost", num(f.standard_cost)},
      {"targetCost", num(f.target_cost)},
      {"targetPrice", num(f.target_price)},
      {"creator", std::move(creator)},
      {"creationDateTime", now},
      {"effectiveDateTime", nullptr},
      {"supersededDateTime", nullptr},
      {"lastModifiedDateTime", now},
      {"isAssembly", false},
      {"inAssembly", false},
      {"assemblyType", "NOT_AN_ASSEMBLY"},
      {"workingRevision", {{"guid", rev}}},
      {"effectiveRevision", nullptr},
      // As AddModifiedFlags finds them: never released, so its specs are new, and no BOM or
      // sourcing yet.
      {"modifiedBom", false},
      {"modifiedSourcing", false},
      {"modifiedSpecs", true},
      {"modifiedFiles", false},
  };
  out["owner"] = f.owner ? Json{{"fullName", *f.owner}} : Json(nullptr);
  out["category"] = f.category ? Json{{"guid", *f.category},
                                      {"name", names.category_name},
                                      {"path", names.category_path}}
                               : Json(nullptr);
  out["lifecyclePhase"] = f.phase ? Json{{"guid", *f.phase},
                                         {"name", names.phase_name},
                                         {"shortName", names.phase_short_name},
                                         {"stage", names.phase_stage}}
                                  : Json(nullptr);
  ARENITE_ASSIGN_OR_RETURN(out["additionalAttributes"],
                           RenderAttributes(tx, ctx.workspace, f.attributes));
  return out;
}

Error DuplicateNumber() {
  return Conflict(
      "A revision of an Item already exists (or has been reserved by an integration) with the "
      "item number you selected. Item numbers may not be duplicated in this workspace.",
      kErrDuplicate);
}

}  // namespace

Result<Json> Plm::CreateItem(const Ctx& ctx, const Json& body, std::string* text) {
  ARENITE_RETURN_IF_ERROR(json::RejectUnknownFields(body, kItemInputFields));
  if (!body.contains("name")) {
    return BadRequest("The attribute \"name\" is required.", kErrMissingField);
  }
  ARENITE_ASSIGN_OR_RETURN(auto format, json::OptionalGuidRef(body, "numberFormat"));
  // All that needs no look-up is done here, on the caller's thread: the single writer is left
  // with the look-ups, the numbering and the rows.
  ItemFields f;
  ARENITE_RETURN_IF_ERROR(ParseItemFields(body, false, &f));
  if (!f.uom) f.uom = "each";
  if (f.number && f.number->empty()) f.number.reset();
  const std::string item = NewOrderedGuid(), rev = NewOrderedGuid();
  Json out;
  std::string rendered;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    RefNames names;
    ARENITE_RETURN_IF_ERROR(ReadItemRefs(tx, ctx.workspace, body, &f, &names));
    if (!f.name) return BadRequest("The attribute \"name\" is required.", kErrMissingField);
    if (!f.phase) {
      ARENITE_RETURN_IF_ERROR(tx.Query(
          "SELECT guid, name, short_name, stage FROM lifecycle_phases WHERE workspace_guid = ? "
          "AND stage = 'PRELIMINARY' ORDER BY position",
          {ctx.workspace}, [&](const store::Row& row) {
            f.phase = row.String(0);
            names.phase_name = row.String(1);
            names.phase_short_name = row.String(2);
            names.phase_stage = row.String(3);
            return false;
          }));
    }
    if (f.number) {
      ARENITE_ASSIGN_OR_RETURN(bool taken,
                               tx.Exists("SELECT 1 FROM items WHERE workspace_guid = ? AND "
                                         "number = ?",
                                         {ctx.workspace, *f.number}));
      if (taken) return DuplicateNumber();
    } else if (std::optional<std::string> fmt = format ? format : names.category_format) {
      ARENITE_ASSIGN_OR_RETURN(f.number, NextNumber(tx, ctx.workspace, *fmt, false));
    } else {
      ARENITE_ASSIGN_OR_RETURN(f.number, NextDefaultNumber(tx, ctx.workspace, "ITEM", false));
    }
    auto inserted = tx.Exec(
        "INSERT INTO items (guid, workspace_guid, number, working_rev, creator_guid, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        {item, ctx.workspace, V(f.number), rev, ctx.user, ctx.now, ctx.now});
    if (!inserted.ok()) {
      if (inserted.error().code == kErrDuplicate) return DuplicateNumber();
      return std::move(inserted).error();
    }
    ARENITE_RETURN_IF_ERROR(InsertRevision(tx, ctx.workspace, rev, item, 0, f, ctx.now));
    ARENITE_ASSIGN_OR_RETURN(out, NewItemJson(tx, ctx, item, rev, f, names));
    // Serialized once, for the event and the answer.
    rendered = out.dump();
    ARENITE_RETURN_IF_ERROR(RecordEventText(tx, ctx.workspace, kItemCreated, "ITEM", item,
                                            ctx.actor, nullptr, rendered, ctx.now));
    return OkStatus();
  }));
  if (text) *text = std::move(rendered);
  return out;
}

Result<Json> Plm::UpdateItem(const Ctx& ctx, const std::string& guid, const Json& body,
                             bool setnull) {
  std::vector<std::string_view> allowed = kItemInputFields;
  allowed.insert(allowed.end(), kItemReadOnly.begin(), kItemReadOnly.end());
  ARENITE_RETURN_IF_ERROR(json::RejectUnknownFields(body, allowed));
  // Arena renumbers an item from numberFormat's field values; arenite takes the new number
  // whole, as "number", and says so rather than answering 200 with the number unchanged.
  if (auto it = body.find("numberFormat"); it != body.end() && !it->is_null()) {
    return BadRequest(
        "An item's number is changed with \"number\"; \"numberFormat\" only numbers new items.",
        kErrInvalidValue);
  }
  Json out;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(ItemKeys keys, ResolveItem(tx, ctx.workspace, guid));
    ARENITE_RETURN_IF_ERROR(CheckUnlocked(tx, keys));
    if (keys.shown_rev != keys.working_rev && guid != keys.item) {
      return BadRequest("Updates can only be performed on the working revision of an item.",
                        kErrNotWorkingRevision);
    }
    ARENITE_ASSIGN_OR_RETURN(Json before, LoadRevision(tx, ctx.workspace, keys.working_rev));
    ARENITE_ASSIGN_OR_RETURN(ItemFields f, LoadFields(tx, keys.working_rev));
    std::optional<std::string> old_number = f.number, old_phase = f.phase;
    ARENITE_RETURN_IF_ERROR(ReadItemFields(tx, ctx.workspace, body, setnull, &f));
    if (f.number != old_number) {
      if (f.number && f.number->empty()) f.number.reset();
      auto changed =
          tx.Exec("UPDATE items SET number = ? WHERE guid = ?", {V(f.number), keys.item});
      if (!changed.ok()) {
        if (changed.error().code == kErrDuplicate) return DuplicateNumber();
        return std::move(changed).error();
      }
    }
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("UPDATE item_revisions SET revision_number = ?, name = ?, description = ?, "
                "category_guid = ?, phase_guid = ?, uom = ?, procurement_type = ?, owner_name = ?, "
                "production_cost = ?, prototype_cost = ?, standard_cost = ?, target_cost = ?, "
                "target_price = ?, attributes_json = ?, updated_at = ? WHERE guid = ?",
                {V(f.revision_number), f.name.value_or(""), V(f.description), V(f.category),
                 V(f.phase), V(f.uom), V(f.procurement), V(f.owner), V(f.production_cost),
                 V(f.prototype_cost), V(f.standard_cost), V(f.target_cost), V(f.target_price),
                 f.attributes.empty() ? store::Value(nullptr) : store::Value(f.attributes.dump()),
                 ctx.now, keys.working_rev}));
    ARENITE_RETURN_IF_ERROR(TouchItem(tx, keys.item, ctx.now));
    ARENITE_ASSIGN_OR_RETURN(out, LoadRevision(tx, ctx.workspace, keys.working_rev));
    const char* type = f.phase != old_phase ? kItemLifecycleChanged : kItemUpdated;
    ARENITE_RETURN_IF_ERROR(
        RecordEvent(tx, ctx.workspace, type, "ITEM", keys.item, ctx.actor, before, out, ctx.now));
    return OkStatus();
  }));
  return out;
}

Status Plm::DeleteItem(const Ctx& ctx, const std::string& guid) {
  return store_.Write([&](store::Tx& tx) -> Status {
    std::optional<std::string> found;
    ARENITE_ASSIGN_OR_RETURN(
        found, tx.QueryString("SELECT guid FROM items WHERE guid = ? AND workspace_guid = ?",
                              {guid, ctx.workspace}));
    if (!found) return NotFoundGuid(guid);
    ARENITE_ASSIGN_OR_RETURN(bool used,
                             tx.Exists("SELECT 1 FROM bom_lines WHERE child_item = ?", {guid}));
    if (used) {
      return Conflict("The item is used on a BOM; remove it from its assemblies first.", kErrInUse);
    }
    ARENITE_ASSIGN_OR_RETURN(bool in_change,
                             tx.Exists("SELECT 1 FROM change_items WHERE item_guid = ?", {guid}));
    if (in_change) return Conflict("The item is on a change and cannot be deleted.", kErrInUse);
    ARENITE_ASSIGN_OR_RETURN(Json before, LoadItem(tx, ctx.workspace, guid));
    ARENITE_RETURN_IF_ERROR(tx.Exec("DELETE FROM items WHERE guid = ?", {guid}));
    ARENITE_RETURN_IF_ERROR(RecordEvent(tx, ctx.workspace, kItemDeleted, "ITEM", guid, ctx.actor,
                                        before, nullptr, ctx.now));
    return OkStatus();
  });
}

namespace {

// Whether the rows of `table` on the item's working revision (`rev` names the revision column)
// differ from those on its effective one, `same` saying when a working row n and an effective
// row o are alike: a row of either without a like row in the other, or a different count. An
// item never released has no effective rows, so any working row is a difference. The columns
// in `same` carry a unary + so that SQLite finds the other side's rows by `rev`: by a compared
// column instead (a part on a thousand BOMs, every line without a vendor item), one look took
// milliseconds.
std::string RowsDiffer(std::string_view table, std::string_view rev, std::string_view same) {
  auto rows = [&](char alias, std::string_view which) {
    return std::string("SELECT 1 FROM ") + std::string(table) + " " + alias + " WHERE " + alias +
           "." + std::string(rev) + " = i." + std::string(which);
  };
  auto count = [&](char alias, std::string_view which) {
    return std::string("(SELECT COUNT(*) FROM ") + std::string(table) + " " + alias + " WHERE " +
           alias + "." + std::string(rev) + " = i." + std::string(which) + ")";
  };
  std::string like = " AND " + std::string(same) + ")";
  return "(EXISTS (" + rows('n', "working_rev") + " AND NOT EXISTS (" + rows('o', "effective_rev") +
         like + ") OR EXISTS (" + rows('o', "effective_rev") + " AND NOT EXISTS (" +
         rows('n', "working_rev") + like + ") OR " + count('n', "working_rev") +
         " != " + count('o', "effective_rev") + ")";
}

// Arena's modified* criteria: the working revision has changes its effective revision (the one
// a change last released) does not. An item never released counts as modified in its specs.
// arenite keeps no files, so no item has modified files.
const std::string& ModifiedBom() {
  static const std::string sql =
      RowsDiffer("bom_lines", "parent_rev",
                 "+o.child_item = +n.child_item AND +o.line_number IS +n.line_number AND "
                 "+o.quantity = +n.quantity AND +o.ref_des IS +n.ref_des AND +o.notes IS +n.notes");
  return sql;
}

const std::string& ModifiedSourcing() {
  static const std::string sql = RowsDiffer(
      "sourcing", "rev_guid",
      "+o.mfr_item IS +n.mfr_item AND +o.vendor_item IS +n.vendor_item AND +o.aml_rank IS "
      "+n.aml_rank AND +o.aml_split IS +n.aml_split AND +o.approved = +n.approved AND "
      "+o.active_production = +n.active_production AND +o.active_prototype = "
      "+n.active_prototype AND +o.make_item = +n.make_item AND +o.conversion_factor IS "
      "+n.conversion_factor AND +o.notes IS +n.notes");
  return sql;
}

constexpr char kModifiedSpecs[] =
    "(i.effective_rev IS NULL OR EXISTS (SELECT 1 FROM item_revisions n JOIN item_revisions o "
    "ON o.guid = i.effective_rev WHERE n.guid = i.working_rev AND NOT (n.name IS o.name AND "
    "n.description IS o.description AND n.category_guid IS o.category_guid AND n.uom IS o.uom "
    "AND n.procurement_type IS o.procurement_type AND n.owner_name IS o.owner_name AND "
    "n.production_cost IS o.production_cost AND n.prototype_cost IS o.prototype_cost AND "
    "n.standard_cost IS o.standard_cost AND n.target_cost IS o.target_cost AND "
    "n.target_price IS o.target_price AND n.attributes_json IS o.attributes_json)))";

}  // namespace

Status internal::AddModifiedFlags(store::Tx& tx, Json* item) {
  // What the item's working revision changed against its effective one, whichever revision the
  // answer shows.
  static const std::string sql = "SELECT " + ModifiedBom() + ", " + ModifiedSourcing() + ", " +
                                 kModifiedSpecs + " FROM items i WHERE i.guid = ?";
  return tx.Query(sql, {(*item)["guid"].get<std::string>()}, [&](const store::Row& row) {
    (*item)["modifiedBom"] = row.Int(0) != 0;
    (*item)["modifiedSourcing"] = row.Int(1) != 0;
    (*item)["modifiedSpecs"] = row.Int(2) != 0;
    (*item)["modifiedFiles"] = false;  // arenite keeps no files
    return false;
  });
}

namespace {

void AppendFlag(const std::optional<bool>& wanted, std::string_view condition, std::string* sql) {
  if (!wanted) return;
  *sql += *wanted ? " AND " : " AND NOT ";
  *sql += condition;
}

}  // namespace

Result<Json> Plm::GetItem(const std::string& ws, const std::string& guid, bool include_empty) {
  Json out;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(out, LoadItem(tx, ws, guid));
    if (include_empty) {
      ARENITE_RETURN_IF_ERROR(AddEmptyAttributes(tx, ws, "ITEM", &out["additionalAttributes"]));
    }
    return OkStatus();
  }));
  return out;
}

Result<Json> Plm::ListItems(const std::string& ws, const Filters& f) {
  // The page's keys first, so that rows skipped by OFFSET cost an index step and not a
  // rendered row. The revision is joined only when a filter reads it.
  bool by_revision = f.name || f.category || f.phase || f.description || f.revision_number ||
                     f.owner_name || f.effective_from || f.effective_to || f.assembly_type ||
                     f.criteria || !f.attributes.empty();
  std::string keys = by_revision ? "SELECT i.guid FROM items i JOIN item_revisions r ON r.guid = "
                                   "COALESCE(i.effective_rev, i.working_rev) WHERE "
                                   "i.workspace_guid = ?"
                                 : "SELECT i.guid FROM items i WHERE i.workspace_guid = ?";
  store::Params params = {ws};
  AppendTextFilter(f.number, "i.number", &keys, &params);
  AppendTextFilter(f.name, "r.name", &keys, &params);
  AppendTextFilter(f.description, "r.description", &keys, &params);
  AppendTextFilter(f.revision_number, "r.revision_number", &keys, &params);
  AppendTextFilter(f.owner_name, "r.owner_name", &keys, &params);
  AppendCondition(f.category, " AND r.category_guid = ?", &keys, &params);
  AppendCondition(f.phase, " AND r.phase_guid = ?", &keys, &params);
  AppendCondition(f.creator, " AND i.creator_guid = ?", &keys, &params);
  AppendCondition(f.modified_since, " AND i.updated_at >= ?", &keys, &params);
  AppendCondition(f.effective_from, " AND r.effective_at >= ?", &keys, &params);
  AppendCondition(f.effective_to, " AND r.effective_at <= ?", &keys, &params);
  if (f.creator_name) {
    keys += " AND i.creator_guid IN (SELECT u.guid FROM users u WHERE 1";
    AppendTextFilter(f.creator_name, "u.full_name", &keys, &params);
    keys += ")";
  }
  // As ItemRow names them: an assembly has BOM lines; it is a top-level one when no BOM
  // holds it.
  const char* kHasBom = "EXISTS (SELECT 1 FROM bom_lines b WHERE b.parent_rev = r.guid)";
  const char* kOnBom = "EXISTS (SELECT 1 FROM bom_lines b2 WHERE b2.child_item = i.guid)";
  if (f.in_assembly) keys += std::string(" AND ") + (*f.in_assembly ? "" : "NOT ") + kOnBom;
  AppendFlag(f.modified_bom, ModifiedBom(), &keys);
  AppendFlag(f.modified_sourcing, ModifiedSourcing(), &keys);
  AppendFlag(f.modified_specs, kModifiedSpecs, &keys);
  AppendFlag(f.modified_files, "0", &keys);
  if (f.assembly_type == "NOT_AN_ASSEMBLY") {
    keys += std::string(" AND NOT ") + kHasBom;
  } else if (f.assembly_type) {
    keys += std::string(" AND ") + kHasBom + " AND " +
            (*f.assembly_type == "ASSEMBLY" ? "" : "NOT ") + kOnBom;
  }
  Json out = Json::array();
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    // Both look up attribute types, so they run in the read. Their SQL lands after the
    // assembly type's, which binds no parameter: SQL and parameters stay in the same order.
    if (f.criteria)
      ARENITE_RETURN_IF_ERROR(AppendItemCriteria(tx, ws, *f.criteria, &keys, &params));
    ARENITE_RETURN_IF_ERROR(
        AppendAttributeFilters(tx, ws, "ITEM", "r.attributes_json", f.attributes, &keys, &params));
    keys += " ORDER BY i.created_at, i.guid LIMIT ? OFFSET ?";
    params.push_back(f.limit);
    params.push_back(f.offset);
    std::string sql = std::string(kItemSelect) + "WHERE i.guid IN (" + keys +
                      ") AND r.guid = COALESCE(i.effective_rev, i.working_rev) ORDER BY "
                      "i.created_at, i.guid";
    return tx.Query(sql, params, [&](const store::Row& row) {
      out.push_back(ItemRow(row, nullptr));
      return true;
    });
  }));
  return out;
}

Result<Json> Plm::ListRevisions(const std::string& ws, const std::string& guid) {
  Json out = Json::array();
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(ItemKeys keys, ResolveItem(tx, ws, guid));
    return tx.Query(
        "SELECT r.guid, r.status, r.revision_number, r.phase_guid, p.name, r.effective_at, "
        "r.superseded_at, r.change_guid, ch.number, ch.created_at, r.created_at FROM "
        "item_revisions r LEFT JOIN lifecycle_phases p ON p.guid = r.phase_guid LEFT JOIN "
        "changes ch ON ch.guid = r.change_guid WHERE r.item_guid = ? ORDER BY "
        "CASE r.status WHEN 0 THEN 0 WHEN 1 THEN 1 ELSE 2 END, r.effective_at DESC, "
        "r.created_at DESC",
        {keys.item}, [&](const store::Row& row) {
          int64_t status = row.Int(1);
          Json rev = {{"guid", row.String(0)},
                      {"item", {{"guid", keys.item}}},
                      {"number", Str(row, 2)},
                      {"revisionNumber", Str(row, 2)},
                      {"status", status},
                      {"revisionStatus", std::string(RevisionStatusName(status))},
                      {"effectiveDateTime", Time(row, 5)},
                      {"supersededDateTime", Time(row, 6)},
                      {"creationDateTime", FormatDateTime(row.Int(10))},
                      {"notes", nullptr}};
          rev["lifecyclePhase"] =
              row.IsNull(3) ? Json(nullptr) : Json{{"guid", row.String(3)}, {"name", Str(row, 4)}};
          rev["change"] = row.IsNull(7) ? Json(nullptr)
                                        : Json{{"guid", row.String(7)},
                                               {"number", Str(row, 8)},
                                               {"creationDateTime", Time(row, 9)},
                                               {"effectiveDateTime", Time(row, 5)},
                                               {"deviated", false}};
          out.push_back(std::move(rev));
          return true;
        });
  }));
  return out;
}

// ---------------------------------------------------------------------------------------------
// BOM

namespace {

constexpr char kBomSelect[] =
    "SELECT b.guid, b.line_number, b.quantity, b.ref_des, b.notes, b.child_item, ci.number, "
    "cr.name, cr.revision_number, cr.status, cr.guid, b.parent_item FROM bom_lines b JOIN items "
    "ci ON ci.guid = b.child_item JOIN item_revisions cr ON cr.guid = "
    "COALESCE(ci.effective_rev, ci.working_rev) ";

Json BomRow(const store::Row& row) {
  return {{"guid", row.String(0)},
          {"lineNumber", row.IsNull(1) ? Json(nullptr) : Json(row.Int(1))},
          {"quantity", Num(row, 2)},
          {"refDes", Str(row, 3)},
          {"notes", Str(row, 4)},
          {"item",
           {{"guid", row.String(5)},
            {"number", Str(row, 6)},
            {"name", row.String(7)},
            {"revisionNumber", Str(row, 8)},
            {"revisionStatus", std::string(RevisionStatusName(row.Int(9)))},
            {"revisionGuid", row.String(10)}}},
          {"parentItem", {{"guid", row.String(11)}}}};
}

Result<Json> LoadLine(store::Tx& tx, const std::string& rev, const std::string& line) {
  static const std::string sql = std::string(kBomSelect) + "WHERE b.guid = ? AND b.parent_rev = ?";
  Json out;
  ARENITE_RETURN_IF_ERROR(tx.Query(sql, {line, rev}, [&](const store::Row& row) {
    out = BomRow(row);
    return false;
  }));
  if (out.is_null()) return NotFoundGuid(line);
  return out;
}

// A BOM is changed on the item's working revision only, as Arena's item updates are: a
// revision guid other than the working one is refused, and so is a line of the revision the
// item guid shows (its effective one) when the working revision does not hold it.
Status CheckBomWritable(const ItemKeys& keys, const std::string& guid) {
  if (guid != keys.item && keys.shown_rev != keys.working_rev) {
    return BadRequest("Updates can only be performed on the working revision of an item.",
                      kErrNotWorkingRevision);
  }
  return OkStatus();
}

Result<Json> LoadWritableLine(store::Tx& tx, const ItemKeys& keys, const std::string& guid,
                              const std::string& line) {
  ARENITE_RETURN_IF_ERROR(CheckBomWritable(keys, guid));
  auto found = LoadLine(tx, keys.working_rev, line);
  if (found.ok() || keys.shown_rev == keys.working_rev) return found;
  if (LoadLine(tx, keys.shown_rev, line).ok()) {
    return BadRequest(
        "The BOM line is on the item's effective revision; updates can only be performed on "
        "the working revision of an item.",
        kErrNotWorkingRevision);
  }
  return found;
}

struct LineFields {
  std::optional<int64_t> line_number;
  double quantity = 1;
  std::optional<std::string> ref_des, notes;
};

Status ReadLineFields(const Json& body, bool setnull, LineFields* f) {
  if (auto it = body.find("lineNumber"); it != body.end() && !(it->is_null() && !setnull)) {
    ARENITE_ASSIGN_OR_RETURN(f->line_number, json::OptionalInt(body, "lineNumber", 1, 99999));
  }
  if (auto it = body.find("quantity"); it != body.end() && !it->is_null()) {
    ARENITE_ASSIGN_OR_RETURN(auto q, LooseNumber(body, "quantity"));
    if (!q || *q <= 0) return BadRequest("Quantity must be positive.", kErrQuantityNotPositive);
    if (*q >= 1e9)
      return BadRequest("Quantity must be smaller than 1000000000.", kErrQuantityTooLarge);
    f->quantity = *q;
  }
  ARENITE_RETURN_IF_ERROR(PatchString(body, "refDes", 4000, setnull, &f->ref_des));
  // Only what the request sends: a line stored before this check keeps its designators.
  if (body.contains("refDes") && f->ref_des) ARENITE_RETURN_IF_ERROR(CheckRefDes(*f->ref_des));
  ARENITE_RETURN_IF_ERROR(PatchString(body, "notes", 4000, setnull, &f->notes));
  return OkStatus();
}

Error Cycle(const std::string& number) {
  return Conflict("The item \"" + number +
                      "\" appears at a higher level in the fully indented BOM and cannot be "
                      "added at this level.",
                  kErrBomCycle);
}

}  // namespace

Result<Json> Plm::GetBom(const std::string& ws, const std::string& guid) {
  static const std::string sql =
      std::string(kBomSelect) + "WHERE b.parent_rev = ? ORDER BY b.line_number, b.guid";
  Json out = Json::array();
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(ItemKeys keys, ResolveItem(tx, ws, guid));
    return tx.Query(sql, {keys.shown_rev}, [&](const store::Row& row) {
      out.push_back(BomRow(row));
      return true;
    });
  }));
  return out;
}

Result<Json> Plm::AddBomLine(const Ctx& ctx, const std::string& guid, const Json& body) {
  ARENITE_RETURN_IF_ERROR(
      json::RejectUnknownFields(body, {"item", "quantity", "refDes", "notes", "lineNumber"}));
  ARENITE_ASSIGN_OR_RETURN(auto child_ref, json::OptionalGuidRef(body, "item"));
  if (!child_ref) return BadRequest("The attribute \"item\" is required.", kErrMissingField);
  LineFields f;
  ARENITE_RETURN_IF_ERROR(ReadLineFields(body, false, &f));
  Json out;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(ItemKeys parent, ResolveItem(tx, ctx.workspace, guid));
    ARENITE_RETURN_IF_ERROR(CheckBomWritable(parent, guid));
    ARENITE_RETURN_IF_ERROR(CheckUnlocked(tx, parent));
    auto child = ResolveItem(tx, ctx.workspace, *child_ref);
    if (!child.ok()) {
      return BadRequest("The item \"" + *child_ref + "\" of the BOM line is not found.",
                        kErrNotFound);
    }
    // Arena: "only effective revision can be added"; a superseded one is refused.
    if (child->shown_rev != child->working_rev && child->shown_rev != child->effective_rev) {
      return BadRequest("The revision \"" + *child_ref +
                            "\" is superseded; add the item or its effective revision.",
                        kErrInvalidGuid);
    }
    ARENITE_ASSIGN_OR_RETURN(Json child_item, ItemRef(tx, child->item));
    std::string child_number =
        child_item["number"].is_string() ? child_item["number"].get<std::string>() : child->item;
    if (child->item == parent.item) return Cycle(child_number);
    // Would the parent be reached from the child through working or effective BOMs?
    ARENITE_ASSIGN_OR_RETURN(
        bool cycle,
        tx.Exists("WITH RECURSIVE reach(item) AS (SELECT ? UNION SELECT b.child_item FROM "
                  "bom_lines b JOIN item_revisions r ON r.guid = b.parent_rev AND r.status < 2 "
                  "JOIN reach ON b.parent_item = reach.item) SELECT 1 FROM reach WHERE item = ?",
                  {child->item, parent.item}));
    if (cycle) return Cycle(child_number);
    if (!f.line_number) {
      ARENITE_ASSIGN_OR_RETURN(
          auto max, tx.QueryInt("SELECT MAX(line_number) FROM bom_lines WHERE parent_rev = ?",
                                {parent.working_rev}));
      f.line_number = max.value_or(0) + 1;
    }
    std::string line = NewOrderedGuid();
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO bom_lines (guid, workspace_guid, parent_rev, parent_item, child_item, "
        "line_number, quantity, ref_des, notes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {line, ctx.workspace, parent.working_rev, parent.item, child->item, *f.line_number,
         f.quantity, V(f.ref_des), V(f.notes), ctx.now}));
    ARENITE_RETURN_IF_ERROR(TouchItem(tx, parent.item, ctx.now));
    ARENITE_ASSIGN_OR_RETURN(out, LoadLine(tx, parent.working_rev, line));
    ARENITE_RETURN_IF_ERROR(RecordEvent(tx, ctx.workspace, kItemUpdated, "BOM_LINE", parent.item,
                                        ctx.actor, nullptr, out, ctx.now));
    return OkStatus();
  }));
  return out;
}

Result<Json> Plm::GetBomLine(const std::string& ws, const std::string& guid,
                             const std::string& line) {
  Json out;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(ItemKeys keys, ResolveItem(tx, ws, guid));
    auto found = LoadLine(tx, keys.shown_rev, line);
    if (!found.ok()) found = LoadLine(tx, keys.working_rev, line);
    ARENITE_ASSIGN_OR_RETURN(out, std::move(found));
    return OkStatus();
  }));
  return out;
}

Result<Json> Plm::UpdateBomLine(const Ctx& ctx, const std::string& guid, const std::string& line,
                                const Json& body, bool setnull) {
  ARENITE_RETURN_IF_ERROR(json::RejectUnknownFields(
      body, {"item", "quantity", "refDes", "notes", "lineNumber", "guid", "parentItem"}));
  if (body.contains("item") && !body["item"].is_null() && !body["item"].is_object()) {
    return BadRequest("field 'item' must be {\"guid\": \"...\"}");
  }
  Json out;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(ItemKeys parent, ResolveItem(tx, ctx.workspace, guid));
    ARENITE_RETURN_IF_ERROR(CheckUnlocked(tx, parent));
    ARENITE_ASSIGN_OR_RETURN(Json before, LoadWritableLine(tx, parent, guid, line));
    LineFields f;
    if (before["lineNumber"].is_number()) f.line_number = before["lineNumber"].get<int64_t>();
    f.quantity = before["quantity"].get<double>();
    if (before["refDes"].is_string()) f.ref_des = before["refDes"].get<std::string>();
    if (before["notes"].is_string()) f.notes = before["notes"].get<std::string>();
    ARENITE_RETURN_IF_ERROR(ReadLineFields(body, setnull, &f));
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "UPDATE bom_lines SET line_number = ?, quantity = ?, ref_des = ?, notes = ? WHERE guid = ?",
        {store::Nullable(f.line_number), f.quantity, V(f.ref_des), V(f.notes), line}));
    ARENITE_RETURN_IF_ERROR(TouchItem(tx, parent.item, ctx.now));
    ARENITE_ASSIGN_OR_RETURN(out, LoadLine(tx, parent.working_rev, line));
    ARENITE_RETURN_IF_ERROR(RecordEvent(tx, ctx.workspace, kItemUpdated, "BOM_LINE", parent.item,
                                        ctx.actor, before, out, ctx.now));
    return OkStatus();
  }));
  return out;
}

Status Plm::DeleteBomLine(const Ctx& ctx, const std::string& guid, const std::string& line) {
  return store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(ItemKeys parent, ResolveItem(tx, ctx.workspace, guid));
    ARENITE_RETURN_IF_ERROR(CheckUnlocked(tx, parent));
    ARENITE_ASSIGN_OR_RETURN(Json before, LoadWritableLine(tx, parent, guid, line));
    ARENITE_RETURN_IF_ERROR(tx.Exec("DELETE FROM bom_lines WHERE guid = ?", {line}));
    ARENITE_RETURN_IF_ERROR(TouchItem(tx, parent.item, ctx.now));
    ARENITE_RETURN_IF_ERROR(RecordEvent(tx, ctx.workspace, kItemUpdated, "BOM_LINE", parent.item,
                                        ctx.actor, before, nullptr, ctx.now));
    return OkStatus();
  });
}

Result<Json> Plm::WhereUsed(const std::string& ws, const std::string& guid) {
  Json out = Json::array();
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(ItemKeys keys, ResolveItem(tx, ws, guid));
    return tx.Query(
        "SELECT b.guid, b.line_number, b.quantity, b.ref_des, b.notes, pi.guid, pi.number, "
        "pr.name, pr.revision_number, pr.status, pr.guid FROM bom_lines b JOIN item_revisions pr "
        "ON pr.guid = b.parent_rev AND pr.status < 2 JOIN items pi ON pi.guid = pr.item_guid "
        "WHERE b.child_item = ? ORDER BY pi.number, pr.status",
        {keys.item}, [&](const store::Row& row) {
          out.push_back({{"guid", row.String(0)},
                         {"lineNumber", row.IsNull(1) ? Json(nullptr) : Json(row.Int(1))},
                         {"quantity", Num(row, 2)},
                         {"refDes", Str(row, 3)},
                         {"notes", Str(row, 4)},
                         {"item",
                          {{"guid", row.String(5)},
                           {"number", Str(row, 6)},
                           {"name", row.String(7)},
                           {"revisionNumber", Str(row, 8)},
                           {"revisionStatus", std::string(RevisionStatusName(row.Int(9)))},
                           {"revisionGuid", row.String(10)}}}});
          return true;
        });
  }));
  return out;
}

}  // namespace arenite::plm
