// Suppliers, supplier items, and item sourcing (the approved manufacturer list).
#include "core/clock.h"
#include "core/guid.h"
#include "plm/events.h"
#include "plm/internal.h"
#include "plm/logic.h"
#include "plm/plm.h"

namespace arenite::plm {

using namespace internal;  // NOLINT: the component's own helpers

namespace {

constexpr char kSupplierSelect[] =
    "SELECT s.guid, s.name, s.supplier_id, s.account_number, s.description, s.website, "
    "s.approval_status, s.addresses_json, s.phones_json, s.creator_guid, u.email, u.full_name, "
    "s.created_at, s.updated_at, s.attributes_json FROM suppliers s LEFT JOIN users u ON "
    "u.guid = s.creator_guid ";

Json ParsedOrNull(const store::Row& row, int col) {
  if (row.IsNull(col)) return nullptr;
  return Json::parse(row.Text(col), nullptr, false);
}

Json SupplierRow(const store::Row& row) {
  return {{"guid", row.String(0)},
          {"name", row.String(1)},
          {"supplierId", Str(row, 2)},
          {"accountNumber", Str(row, 3)},
          {"description", Str(row, 4)},
          {"website", Str(row, 5)},
          {"approvalStatus", row.String(6)},
          {"addresses", ParsedOrNull(row, 7)},
          {"phoneNumbers", ParsedOrNull(row, 8)},
          {"creator", UserRef(row, 9)},
          {"creationDateTime", FormatDateTime(row.Int(12))},
          {"lastModifiedDateTime", FormatDateTime(row.Int(13))}};
}

Result<Json> LoadSupplier(store::Tx& tx, const std::string& ws, const std::string& guid) {
  static const std::string sql =
      std::string(kSupplierSelect) + "WHERE s.guid = ? AND s.workspace_guid = ?";
  Json out, attributes;
  ARENITE_RETURN_IF_ERROR(tx.Query(sql, {guid, ws}, [&](const store::Row& row) {
    out = SupplierRow(row);
    attributes = ParsedOrNull(row, 14);
    return false;
  }));
  if (out.is_null()) return NotFoundGuid(guid);
  ARENITE_ASSIGN_OR_RETURN(out["additionalAttributes"], RenderAttributes(tx, ws, attributes));
  return out;
}

struct SupplierFields {
  std::optional<std::string> name, supplier_id, account, description, website, approval;
  Json addresses, phones;
};

const std::vector<std::string_view> kSupplierFields = {
    "name",           "supplierId", "accountNumber", "description",         "website",
    "approvalStatus", "addresses",  "phoneNumbers",  "additionalAttributes"};

Status ReadSupplierFields(const Json& body, bool setnull, SupplierFields* f) {
  ARENITE_ASSIGN_OR_RETURN(bool has_name, PatchString(body, "name", 500, false, &f->name));
  if (has_name && (!f->name || f->name->empty())) {
    return BadRequest("The supplier name is not valid.", kErrSupplierName);
  }
  ARENITE_RETURN_IF_ERROR(PatchString(body, "supplierId", 200, setnull, &f->supplier_id));
  // accountNumber: Arena sends a string; accept a number too.
  if (auto it = body.find("accountNumber"); it != body.end() && it->is_number_integer()) {
    f->account = std::to_string(it->get<int64_t>());
  } else {
    ARENITE_RETURN_IF_ERROR(PatchString(body, "accountNumber", 200, setnull, &f->account));
  }
  ARENITE_RETURN_IF_ERROR(PatchString(body, "description", 4000, setnull, &f->description));
  ARENITE_RETURN_IF_ERROR(PatchString(body, "website", 1000, setnull, &f->website));
  ARENITE_ASSIGN_OR_RETURN(bool has_approval,
                           PatchString(body, "approvalStatus", 20, false, &f->approval));
  if (has_approval && f->approval != "approved" && f->approval != "disapproved" &&
      f->approval != "unrated") {
    return BadRequest("The approval status is not valid.", kErrApprovalStatus);
  }
  for (auto [key, target] :
       {std::pair{"addresses", &f->addresses}, std::pair{"phoneNumbers", &f->phones}}) {
    auto it = body.find(key);
    if (it == body.end()) continue;
    if (it->is_null()) {
      if (setnull) *target = nullptr;
      continue;
    }
    if (!it->is_array() || it->size() > 50) {
      return BadRequest(std::string("field '") + key + "' must be an array");
    }
    int primaries = 0;
    for (const auto& e : *it) {
      if (!e.is_object()) return BadRequest(std::string("field '") + key + "' must hold objects");
      if (e.contains("primary") && e["primary"] == true) ++primaries;
    }
    if (primaries > 1)
      return BadRequest("Only one primary address is allowed.", kErrPrimaryAddress);
    *target = *it;
  }
  return OkStatus();
}

Status WriteSupplierError(Result<int64_t>& r, const std::optional<std::string>& supplier_id) {
  if (r.ok()) return OkStatus();
  if (r.error().code == kErrDuplicate) {
    return Conflict("The Supplier Identifier \"" + supplier_id.value_or("") +
                        "\" matches an existing Supplier Identifier in the workspace. Supplier "
                        "Identifiers must be unique for each Supplier.",
                    kErrDuplicateSupplierId);
  }
  return std::move(r).error();
}

constexpr char kSupplierItemSelect[] =
    "SELECT si.guid, si.supplier_guid, s.name, si.number, si.name, si.description, si.type, "
    "si.uom, si.off_the_shelf, si.creator_guid, u.email, u.full_name, si.created_at, "
    "si.updated_at, si.attributes_json FROM supplier_items si JOIN suppliers s ON s.guid = "
    "si.supplier_guid LEFT JOIN users u ON u.guid = si.creator_guid ";

Json SupplierItemRow(const store::Row& row) {
  return {{"guid", row.String(0)},
          {"supplier", {{"guid", row.String(1)}, {"name", row.String(2)}}},
          {"number", row.String(3)},
          {"name", Str(row, 4)},
          {"description", Str(row, 5)},
          {"type", row.String(6)},
          {"uom", Str(row, 7)},
          {"offTheShelf", row.Int(8) != 0},
          {"creator", UserRef(row, 9)},
          {"creationDateTime", FormatDateTime(row.Int(12))},
          {"lastModifiedDateTime", FormatDateTime(row.Int(13))}};
}

Result<Json> LoadSupplierItem(store::Tx& tx, const std::string& ws, const std::string& guid) {
  static const std::string sql =
      std::string(kSupplierItemSelect) + "WHERE si.guid = ? AND si.workspace_guid = ?";
  Json out, attributes;
  ARENITE_RETURN_IF_ERROR(tx.Query(sql, {guid, ws}, [&](const store::Row& row) {
    out = SupplierItemRow(row);
    attributes = ParsedOrNull(row, 14);
    return false;
  }));
  if (out.is_null()) return NotFoundGuid(guid);
  ARENITE_ASSIGN_OR_RETURN(out["additionalAttributes"], RenderAttributes(tx, ws, attributes));
  return out;
}

struct SupplierItemFields {
  std::optional<std::string> supplier, number, name, description, type, uom;
  bool off_the_shelf = true;
  Json attributes = Json::object();
};

const std::vector<std::string_view> kSupplierItemFields = {
    "supplier", "number", "name",        "description",
    "type",     "uom",    "offTheShelf", "additionalAttributes"};

Status ReadSupplierItemFields(store::Tx& tx, const std::string& ws, const Json& body, bool setnull,
                              SupplierItemFields* f) {
  ARENITE_RETURN_IF_ERROR(ReadAttributes(tx, ws, "SUPPLIER_ITEM", body, &f->attributes));
  ARENITE_ASSIGN_OR_RETURN(auto supplier, json::OptionalGuidRef(body, "supplier"));
  if (supplier) {
    ARENITE_ASSIGN_OR_RETURN(bool ok, tx.Exists("SELECT 1 FROM suppliers WHERE guid = ? AND "
                                                "workspace_guid = ?",
                                                {*supplier, ws}));
    if (!ok)
      return BadRequest("The supplier is not valid for the supplier item.", kErrInvalidSupplier);
    f->supplier = supplier;
  }
  ARENITE_ASSIGN_OR_RETURN(bool has_number, PatchString(body, "number", 200, false, &f->number));
  if (has_number && (!f->number || f->number->empty())) {
    return BadRequest("The value for the attribute \"number\" cannot be empty.", kErrEmptyValue);
  }
  ARENITE_RETURN_IF_ERROR(PatchString(body, "name", 500, setnull, &f->name));
  ARENITE_RETURN_IF_ERROR(PatchString(body, "description", 4000, setnull, &f->description));
  ARENITE_ASSIGN_OR_RETURN(bool has_type, PatchString(body, "type", 20, false, &f->type));
  if (has_type && f->type != "PART" && f->type != "PROCESS" && f->type != "DOCUMENT") {
    return BadRequest("The specified value is not a valid option for the attribute \"type\".",
                      kErrInvalidOption);
  }
  ARENITE_RETURN_IF_ERROR(PatchString(body, "uom", 40, false, &f->uom));
  ARENITE_ASSIGN_OR_RETURN(auto ots, json::OptionalBool(body, "offTheShelf"));
  if (ots) f->off_the_shelf = *ots;
  return OkStatus();
}

}  // namespace

Result<Json> Plm::CreateSupplier(const Ctx& ctx, const Json& body) {
  ARENITE_RETURN_IF_ERROR(json::RejectUnknownFields(body, kSupplierFields));
  SupplierFields f;
  ARENITE_RETURN_IF_ERROR(ReadSupplierFields(body, false, &f));
  if (!f.name) return BadRequest("The attribute \"name\" is required.", kErrMissingField);
  Json out;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    Json attributes = Json::object();
    ARENITE_RETURN_IF_ERROR(ReadAttributes(tx, ctx.workspace, "SUPPLIER", body, &attributes));
    std::string guid = NewGuid();
    auto r = tx.Exec(
        "INSERT INTO suppliers (guid, workspace_guid, name, supplier_id, account_number, "
        "description, website, approval_status, addresses_json, phones_json, creator_guid, "
        "created_at, updated_at, attributes_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?)",
        {guid, ctx.workspace, *f.name, store::Nullable(f.supplier_id), store::Nullable(f.account),
         store::Nullable(f.description), store::Nullable(f.website), f.approval.value_or("unrated"),
         f.addresses.is_null() ? store::Value(nullptr) : store::Value(f.addresses.dump()),
         f.phones.is_null() ? store::Value(nullptr) : store::Value(f.phones.dump()), ctx.user,
         ctx.now, ctx.now, AttributesColumn(attributes)});
    ARENITE_RETURN_IF_ERROR(WriteSupplierError(r, f.supplier_id));
    ARENITE_ASSIGN_OR_RETURN(out, LoadSupplier(tx, ctx.workspace, guid));
    ARENITE_RETURN_IF_ERROR(RecordEvent(tx, ctx.workspace, kSupplierCreated, "SUPPLIER", guid,
                                        ctx.actor, nullptr, out, ctx.now));
    return OkStatus();
  }));
  return out;
}

Result<Json> Plm::GetSupplier(const std::string& ws, const std::string& guid) {
  Json out;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(out, LoadSupplier(tx, ws, guid));
    return OkStatus();
  }));
  return out;
}

Result<Json> Plm::UpdateSupplier(const Ctx& ctx, const std::string& guid, const Json& body,
                                 bool setnull) {
  std::vector<std::string_view> allowed = kSupplierFields;
  for (auto k : {"guid", "creator", "creationDateTime", "lastModifiedDateTime"}) {
    allowed.push_back(k);
  }
  ARENITE_RETURN_IF_ERROR(json::RejectUnknownFields(body, allowed));
  Json out;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(Json before, LoadSupplier(tx, ctx.workspace, guid));
    SupplierFields f;
    auto opt = [&](const char* key) -> std::optional<std::string> {
      if (!before[key].is_string()) return std::nullopt;
      return before[key].get<std::string>();
    };
    f.name = opt("name");
    f.supplier_id = opt("supplierId");
    f.account = opt("accountNumber");
    f.description = opt("description");
    f.website = opt("website");
    f.approval = opt("approvalStatus");
    f.addresses = before["addresses"];
    f.phones = before["phoneNumbers"];
    ARENITE_RETURN_IF_ERROR(ReadSupplierFields(body, setnull, &f));
    Json attributes = AttributeValues(before["additionalAttributes"]);
    ARENITE_RETURN_IF_ERROR(ReadAttributes(tx, ctx.workspace, "SUPPLIER", body, &attributes));
    auto r = tx.Exec(
        "UPDATE suppliers SET name = ?, supplier_id = ?, account_number = ?, description = ?, "
        "website = ?, approval_status = ?, addresses_json = ?, phones_json = ?, "
        "attributes_json = ?, updated_at = ? WHERE guid = ?",
        {*f.name, store::Nullable(f.supplier_id), store::Nullable(f.account),
         store::Nullable(f.description), store::Nullable(f.website), *f.approval,
         f.addresses.is_null() ? store::Value(nullptr) : store::Value(f.addresses.dump()),
         f.phones.is_null() ? store::Value(nullptr) : store::Value(f.phones.dump()),
         AttributesColumn(attributes), ctx.now, guid});
    ARENITE_RETURN_IF_ERROR(WriteSupplierError(r, f.supplier_id));
    ARENITE_ASSIGN_OR_RETURN(out, LoadSupplier(tx, ctx.workspace, guid));
    ARENITE_RETURN_IF_ERROR(RecordEvent(tx, ctx.workspace, kSupplierUpdated, "SUPPLIER", guid,
                                        ctx.actor, before, out, ctx.now));
    return OkStatus();
  }));
  return out;
}

Status Plm::DeleteSupplier(const Ctx& ctx, const std::string& guid) {
  return store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(Json before, LoadSupplier(tx, ctx.workspace, guid));
    ARENITE_ASSIGN_OR_RETURN(
        bool used, tx.Exists("SELECT 1 FROM supplier_items WHERE supplier_guid = ?", {guid}));
    if (used) {
      return Conflict("The supplier still has supplier items; delete them first.", kErrInUse);
    }
    ARENITE_RETURN_IF_ERROR(tx.Exec("DELETE FROM suppliers WHERE guid = ?", {guid}));
    ARENITE_RETURN_IF_ERROR(RecordEvent(tx, ctx.workspace, kSupplierDeleted, "SUPPLIER", guid,
                                        ctx.actor, before, nullptr, ctx.now));
    return OkStatus();
  });
}

Result<Json> Plm::ListSuppliers(const std::string& ws, const Filters& f) {
  std::string sql = std::string(kSupplierSelect) + "WHERE s.workspace_guid = ?";
  store::Params params = {ws};
  AppendTextFilter(f.name, "s.name", &sql, &params);
  AppendTextFilter(f.supplier_id, "s.supplier_id", &sql, &params);
  AppendCondition(f.modified_since, " AND s.updated_at >= ?", &sql, &params);
  Json out = Json::array();
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    ARENITE_RETURN_IF_ERROR(AppendAttributeFilters(tx, ws, "SUPPLIER", "s.attributes_json",
                                                   f.attributes, &sql, &params));
    sql += " ORDER BY s.name, s.guid LIMIT ? OFFSET ?";
    params.push_back(f.limit);
    params.push_back(f.offset);
    return tx.Query(sql, params, [&](const store::Row& row) {
      out.push_back(SupplierRow(row));
      return true;
    });
  }));
  return out;
}

Result<Json> Plm::CreateSupplierItem(const Ctx& ctx, const Json& body) {
  ARENITE_RETURN_IF_ERROR(json::RejectUnknownFields(body, kSupplierItemFields));
  Json out;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    SupplierItemFields f;
    ARENITE_RETURN_IF_ERROR(ReadSupplierItemFields(tx, ctx.workspace, body, false, &f));
    if (!f.supplier) return BadRequest("The attribute \"supplier\" is required.", kErrMissingField);
    if (!f.number) return BadRequest("The attribute \"number\" is required.", kErrMissingField);
    std::string guid = NewGuid();
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO supplier_items (guid, workspace_guid, supplier_guid, number, name, "
                "description, type, uom, off_the_shelf, creator_guid, created_at, updated_at, "
                "attributes_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                {guid, ctx.workspace, *f.supplier, *f.number, store::Nullable(f.name),
                 store::Nullable(f.description), f.type.value_or("PART"), f.uom.value_or("each"),
                 int64_t{f.off_the_shelf ? 1 : 0}, ctx.user, ctx.now, ctx.now,
                 AttributesColumn(f.attributes)}));
    ARENITE_ASSIGN_OR_RETURN(out, LoadSupplierItem(tx, ctx.workspace, guid));
    ARENITE_RETURN_IF_ERROR(RecordEvent(tx, ctx.workspace, kSupplierItemCreated, "SUPPLIER_ITEM",
                                        guid, ctx.actor, nullptr, out, ctx.now));
    return OkStatus();
  }));
  return out;
}

Result<Json> Plm::GetSupplierItem(const std::string& ws, const std::string& guid) {
  Json out;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(out, LoadSupplierItem(tx, ws, guid));
    return OkStatus();
  }));
  return out;
}

Result<Json> Plm::UpdateSupplierItem(const Ctx& ctx, const std::string& guid, const Json& body,
                                     bool setnull) {
  std::vector<std::string_view> allowed = kSupplierItemFields;
  for (auto k : {"guid", "creator", "creationDateTime", "lastModifiedDateTime"}) {
    allowed.push_back(k);
  }
  ARENITE_RETURN_IF_ERROR(json::RejectUnknownFields(body, allowed));
  Json out;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(Json before, LoadSupplierItem(tx, ctx.workspace, guid));
    SupplierItemFields f;
    auto opt = [&](const Json& v) -> std::optional<std::string> {
      if (!v.is_string()) return std::nullopt;
      return v.get<std::string>();
    };
    f.supplier = before["supplier"]["guid"].get<std::string>();
    f.number = opt(before["number"]);
    f.name = opt(before["name"]);
    f.description = opt(before["description"]);
    f.type = opt(before["type"]);
    f.uom = opt(before["uom"]);
    f.off_the_shelf = before["offTheShelf"].get<bool>();
    f.attributes = AttributeValues(before["additionalAttributes"]);
    ARENITE_RETURN_IF_ERROR(ReadSupplierItemFields(tx, ctx.workspace, body, setnull, &f));
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "UPDATE supplier_items SET supplier_guid = ?, number = ?, name = ?, description = ?, "
        "type = ?, uom = ?, off_the_shelf = ?, attributes_json = ?, updated_at = ? WHERE guid = ?",
        {*f.supplier, *f.number, store::Nullable(f.name), store::Nullable(f.description),
         f.type.value_or("PART"), store::Nullable(f.uom), int64_t{f.off_the_shelf ? 1 : 0},
         AttributesColumn(f.attributes), ctx.now, guid}));
    ARENITE_ASSIGN_OR_RETURN(out, LoadSupplierItem(tx, ctx.workspace, guid));
    ARENITE_RETURN_IF_ERROR(RecordEvent(tx, ctx.workspace, kSupplierItemUpdated, "SUPPLIER_ITEM",
                                        guid, ctx.actor, before, out, ctx.now));
    return OkStatus();
  }));
  return out;
}

Status Plm::DeleteSupplierItem(const Ctx& ctx, const std::string& guid) {
  return store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(Json before, LoadSupplierItem(tx, ctx.workspace, guid));
    ARENITE_ASSIGN_OR_RETURN(
        bool used,
        tx.Exists("SELECT 1 FROM sourcing WHERE mfr_item = ? OR vendor_item = ?", {guid, guid}));
    if (used) {
      return Conflict("The supplier item is used in item sourcing; remove it there first.",
                      kErrInUse);
    }
    ARENITE_RETURN_IF_ERROR(tx.Exec("DELETE FROM supplier_items WHERE guid = ?", {guid}));
    ARENITE_RETURN_IF_ERROR(RecordEvent(tx, ctx.workspace, kSupplierItemDeleted, "SUPPLIER_ITEM",
                                        guid, ctx.actor, before, nullptr, ctx.now));
    return OkStatus();
  });
}

Result<Json> Plm::ListSupplierItems(const std::string& ws, const Filters& f) {
  std::string sql = std::string(kSupplierItemSelect) + "WHERE si.workspace_guid = ?";
  store::Params params = {ws};
  AppendTextFilter(f.number, "si.number", &sql, &params);
  AppendTextFilter(f.name, "si.name", &sql, &params);
  AppendCondition(f.supplier, " AND si.supplier_guid = ?", &sql, &params);
  AppendTextFilter(f.supplier_name, "s.name", &sql, &params);
  AppendCondition(f.modified_since, " AND si.updated_at >= ?", &sql, &params);
  Json out = Json::array();
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    ARENITE_RETURN_IF_ERROR(AppendAttributeFilters(tx, ws, "SUPPLIER_ITEM", "si.attributes_json",
                                                   f.attributes, &sql, &params));
    sql += " ORDER BY si.number, si.guid LIMIT ? OFFSET ?";
    params.push_back(f.limit);
    params.push_back(f.offset);
    return tx.Query(sql, params, [&](const store::Row& row) {
      out.push_back(SupplierItemRow(row));
      return true;
    });
  }));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sourcing

namespace {

constexpr char kSourcingSelect[] =
    "SELECT guid, item_guid, mfr_item, vendor_item, aml_rank, aml_split, approved, "
    "active_production, active_prototype, make_item, conversion_factor, notes, created_at FROM "
    "sourcing ";

Json SourcingRow(const store::Row& row) {
  auto ref = [&](int c) { return row.IsNull(c) ? Json(nullptr) : Json{{"guid", row.String(c)}}; };
  return {{"guid", row.String(0)},
          {"item", {{"guid", row.String(1)}}},
          {"mfrItem", ref(2)},
          {"vendorItem", ref(3)},
          {"amlRank", row.IsNull(4) ? Json(nullptr) : Json(row.Int(4))},
          {"amlSplit", Num(row, 5)},
          {"approved", row.Int(6) != 0},
          {"activeProduction", row.Int(7) != 0},
          {"activePrototype", row.Int(8) != 0},
          {"makeItem", row.Int(9) != 0},
          {"vendorItemConversionFactor", Num(row, 10)},
          {"notes", Str(row, 11)},
          {"creationDateTime", Time(row, 12)}};
}

Result<Json> LoadSourcing(store::Tx& tx, const std::string& rev, const std::string& src) {
  static const std::string sql = std::string(kSourcingSelect) + "WHERE guid = ? AND rev_guid = ?";
  Json out;
  ARENITE_RETURN_IF_ERROR(tx.Query(sql, {src, rev}, [&](const store::Row& row) {
    out = SourcingRow(row);
    return false;
  }));
  if (out.is_null()) return NotFoundGuid(src);
  return out;
}

struct SourcingFields {
  std::optional<std::string> mfr, vendor, notes;
  std::optional<int64_t> rank;
  std::optional<double> split, factor;
  bool approved = false, production = false, prototype = false, make = false;
};

const std::vector<std::string_view> kSourcingFields = {"mfrItem",
                                                       "vendorItem",
                                                       "amlRank",
                                                       "amlSplit",
                                                       "approved",
                                                       "activeProduction",
                                                       "activePrototype",
                                                       "makeItem",
                                                       "vendorItemConversionFactor",
                                                       "notes"};

Status ReadSourcingFields(store::Tx& tx, const std::string& ws, const Json& body, bool setnull,
                          SourcingFields* f) {
  for (auto [key, target] : {std::pair{"mfrItem", &f->mfr}, std::pair{"vendorItem", &f->vendor}}) {
    auto it = body.find(key);
    if (it == body.end()) continue;
    if (it->is_null()) {
      if (setnull) target->reset();
      continue;
    }
    ARENITE_ASSIGN_OR_RETURN(auto guid, json::OptionalGuidRef(body, key));
    ARENITE_ASSIGN_OR_RETURN(bool ok, tx.Exists("SELECT 1 FROM supplier_items WHERE guid = ? AND "
                                                "workspace_guid = ?",
                                                {*guid, ws}));
    if (!ok) {
      return BadRequest(
          "The " + std::string(key == std::string("mfrItem") ? "manufacturer" : "vendor") +
              " item guid \"" + *guid + "\" must be a supplier item guid.",
          key == std::string("mfrItem") ? kErrSourcingMfrItem : kErrSourcingVendorItem);
    }
    *target = guid;
  }
  if (auto it = body.find("amlRank"); it != body.end() && !(it->is_null() && !setnull)) {
    ARENITE_ASSIGN_OR_RETURN(f->rank, json::OptionalInt(body, "amlRank", 1, 98));
  }
  ARENITE_RETURN_IF_ERROR(PatchNumber(body, "amlSplit", setnull, &f->split));
  ARENITE_RETURN_IF_ERROR(PatchNumber(body, "vendorItemConversionFactor", true, &f->factor));
  ARENITE_RETURN_IF_ERROR(PatchString(body, "notes", 4000, setnull, &f->notes));
  for (auto [key, target] :
       {std::pair{"approved", &f->approved}, std::pair{"activeProduction", &f->production},
        std::pair{"activePrototype", &f->prototype}, std::pair{"makeItem", &f->make}}) {
    ARENITE_ASSIGN_OR_RETURN(auto v, json::OptionalBool(body, key));
    if (v) *target = *v;
  }
  if (f->make && (f->mfr || f->vendor)) {
    return BadRequest("Make sourcing relationships can not specify manufacturer or vendor items.",
                      kErrSourcingMakeWithItems);
  }
  if (!f->make && !f->mfr && !f->vendor) {
    return BadRequest(
        "Non-make sourcing relationships must specify manufacturer and/or vendor "
        "item.",
        kErrSourcingNoSupplierItem);
  }
  if ((f->make || !f->vendor) && f->factor) {
    return BadRequest(
        "If no vendor item is specified or if makeItem=true, "
        "vendorItemConversionFactor must be null.",
        kErrSourcingFactor);
  }
  if (!f->approved && (f->rank || f->split)) {
    return BadRequest("Only approved sourcing relationships can be ranked or split.",
                      kErrSourcingRank);
  }
  return OkStatus();
}

}  // namespace

Result<Json> Plm::ListSourcing(const std::string& ws, const std::string& guid, const Filters& f) {
  static const std::string sql = std::string(kSourcingSelect) +
                                 "WHERE rev_guid = ? ORDER BY approved DESC, aml_rank, guid "
                                 "LIMIT ? OFFSET ?";
  Json out = Json::array();
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(ItemKeys keys, ResolveItem(tx, ws, guid));
    return tx.Query(sql, {keys.shown_rev, f.limit, f.offset}, [&](const store::Row& row) {
      out.push_back(SourcingRow(row));
      return true;
    });
  }));
  return out;
}

Result<Json> Plm::ListSupplierItemSourcing(const std::string& ws, const std::string& guid,
                                           const Filters& f) {
  // kSourcingSelect's columns in its order (SourcingRow reads them), then the line's revision.
  static constexpr char sql[] =
      "SELECT s.guid, s.item_guid, s.mfr_item, s.vendor_item, s.aml_rank, s.aml_split, "
      "s.approved, s.active_production, s.active_prototype, s.make_item, s.conversion_factor, "
      "s.notes, s.created_at, r.guid, r.name, i.number, r.revision_number, r.status FROM sourcing "
      "s JOIN item_revisions r ON r.guid = s.rev_guid JOIN items i ON i.guid = r.item_guid WHERE "
      "s.workspace_guid = ? AND (s.mfr_item = ? OR s.vendor_item = ?) AND (? IS NULL OR r.status "
      "= ?) ORDER BY i.number, r.status, r.created_at, s.guid LIMIT ? OFFSET ?";
  Json out = Json::array();
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    bool found = false;
    ARENITE_RETURN_IF_ERROR(
        tx.Query("SELECT 1 FROM supplier_items WHERE guid = ? AND workspace_guid = ?", {guid, ws},
                 [&](const store::Row&) {
                   found = true;
                   return false;
                 }));
    if (!found) return NotFoundGuid(guid);
    store::Value status = f.revision_status ? store::Value(*f.revision_status) : nullptr;
    return tx.Query(
        sql, {ws, guid, guid, status, status, f.limit, f.offset}, [&](const store::Row& row) {
          Json line = SourcingRow(row);
          int64_t revision_status = row.Int(17);
          // The revision, as Arena names it here: its own guid, and the item's number.
          line["item"] = {{"guid", row.String(13)},
                          {"name", Str(row, 14)},
                          {"number", Str(row, 15)},
                          {"revisionNumber", Str(row, 16)},
                          {"status", revision_status},
                          {"revisionStatus", std::string(RevisionStatusName(revision_status))}};
          out.push_back(std::move(line));
          return true;
        });
  }));
  return out;
}

Result<Json> Plm::AddSourcing(const Ctx& ctx, const std::string& guid, const Json& body) {
  ARENITE_RETURN_IF_ERROR(json::RejectUnknownFields(body, kSourcingFields));
  Json out;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(ItemKeys keys, ResolveItem(tx, ctx.workspace, guid));
    ARENITE_RETURN_IF_ERROR(CheckUnlocked(tx, keys));
    SourcingFields f;
    ARENITE_RETURN_IF_ERROR(ReadSourcingFields(tx, ctx.workspace, body, false, &f));
    std::string src = NewGuid();
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO sourcing (guid, workspace_guid, rev_guid, item_guid, mfr_item, vendor_item, "
        "aml_rank, aml_split, approved, active_production, active_prototype, make_item, "
        "conversion_factor, notes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?)",
        {src, ctx.workspace, keys.working_rev, keys.item, store::Nullable(f.mfr),
         store::Nullable(f.vendor), store::Nullable(f.rank), store::Nullable(f.split),
         int64_t{f.approved}, int64_t{f.production}, int64_t{f.prototype}, int64_t{f.make},
         store::Nullable(f.factor), store::Nullable(f.notes), ctx.now}));
    ARENITE_RETURN_IF_ERROR(TouchItem(tx, keys.item, ctx.now));
    ARENITE_ASSIGN_OR_RETURN(out, LoadSourcing(tx, keys.working_rev, src));
    ARENITE_RETURN_IF_ERROR(RecordEvent(tx, ctx.workspace, kItemUpdated, "SOURCING", keys.item,
                                        ctx.actor, nullptr, out, ctx.now));
    return OkStatus();
  }));
  return out;
}

Result<Json> Plm::GetSourcing(const std::string& ws, const std::string& guid,
                              const std::string& src) {
  Json out;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(ItemKeys keys, ResolveItem(tx, ws, guid));
    auto found = LoadSourcing(tx, keys.shown_rev, src);
    if (!found.ok()) found = LoadSourcing(tx, keys.working_rev, src);
    ARENITE_ASSIGN_OR_RETURN(out, std::move(found));
    return OkStatus();
  }));
  return out;
}

Result<Json> Plm::UpdateSourcing(const Ctx& ctx, const std::string& guid, const std::string& src,
                                 const Json& body, bool setnull) {
  std::vector<std::string_view> allowed = kSourcingFields;
  for (auto k : {"guid", "item", "creationDateTime"}) allowed.push_back(k);
  ARENITE_RETURN_IF_ERROR(json::RejectUnknownFields(body, allowed));
  Json out;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(ItemKeys keys, ResolveItem(tx, ctx.workspace, guid));
    ARENITE_RETURN_IF_ERROR(CheckUnlocked(tx, keys));
    ARENITE_ASSIGN_OR_RETURN(Json before, LoadSourcing(tx, keys.working_rev, src));
    SourcingFields f;
    auto ref = [&](const char* k) -> std::optional<std::string> {
      if (!before[k].is_object()) return std::nullopt;
      return before[k]["guid"].get<std::string>();
    };
    f.mfr = ref("mfrItem");
    f.vendor = ref("vendorItem");
    if (before["notes"].is_string()) f.notes = before["notes"].get<std::string>();
    if (before["amlRank"].is_number()) f.rank = before["amlRank"].get<int64_t>();
    if (before["amlSplit"].is_number()) f.split = before["amlSplit"].get<double>();
    if (before["vendorItemConversionFactor"].is_number()) {
      f.factor = before["vendorItemConversionFactor"].get<double>();
    }
    f.approved = before["approved"].get<bool>();
    f.production = before["activeProduction"].get<bool>();
    f.prototype = before["activePrototype"].get<bool>();
    f.make = before["makeItem"].get<bool>();
    if (!body.contains("vendorItemConversionFactor")) {
      // Keep the stored factor unless the body clears or sets it.
      Json patched = body;
      patched["vendorItemConversionFactor"] = f.factor ? Json(*f.factor) : Json(nullptr);
      ARENITE_RETURN_IF_ERROR(ReadSourcingFields(tx, ctx.workspace, patched, setnull, &f));
    } else {
      ARENITE_RETURN_IF_ERROR(ReadSourcingFields(tx, ctx.workspace, body, setnull, &f));
    }
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "UPDATE sourcing SET mfr_item = ?, vendor_item = ?, aml_rank = ?, aml_split = ?, "
        "approved = ?, active_production = ?, active_prototype = ?, make_item = ?, "
        "conversion_factor = ?, notes = ? WHERE guid = ?",
        {store::Nullable(f.mfr), store::Nullable(f.vendor), store::Nullable(f.rank),
         store::Nullable(f.split), int64_t{f.approved}, int64_t{f.production}, int64_t{f.prototype},
         int64_t{f.make}, store::Nullable(f.factor), store::Nullable(f.notes), src}));
    ARENITE_RETURN_IF_ERROR(TouchItem(tx, keys.item, ctx.now));
    ARENITE_ASSIGN_OR_RETURN(out, LoadSourcing(tx, keys.working_rev, src));
    ARENITE_RETURN_IF_ERROR(RecordEvent(tx, ctx.workspace, kItemUpdated, "SOURCING", keys.item,
                                        ctx.actor, before, out, ctx.now));
    return OkStatus();
  }));
  return out;
}

Status Plm::DeleteSourcing(const Ctx& ctx, const std::string& guid, const std::string& src) {
  return store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(ItemKeys keys, ResolveItem(tx, ctx.workspace, guid));
    ARENITE_RETURN_IF_ERROR(CheckUnlocked(tx, keys));
    ARENITE_ASSIGN_OR_RETURN(Json before, LoadSourcing(tx, keys.working_rev, src));
    ARENITE_RETURN_IF_ERROR(tx.Exec("DELETE FROM sourcing WHERE guid = ?", {src}));
    ARENITE_RETURN_IF_ERROR(TouchItem(tx, keys.item, ctx.now));
    ARENITE_RETURN_IF_ERROR(RecordEvent(tx, ctx.workspace, kItemUpdated, "SOURCING", keys.item,
                                        ctx.actor, before, nullptr, ctx.now));
    return OkStatus();
  });
}

}  // namespace arenite::plm
