// Changes, their affected items, and the lifecycle that releases items.
#include <algorithm>
#include <limits>

#include "core/clock.h"
#include "core/guid.h"
#include "plm/events.h"
#include "plm/internal.h"
#include "plm/logic.h"

#include "plm/plm.h"

namespace arenite::plm {

using namespace internal;  // NOLINT: the component's own helpers

namespace {

constexpr char kChangeSelect[] =
    "SELECT ch.guid, ch.number, ch.title, ch.description, ch.effectivity_type, ch.status, "
    "ch.implementation_status, ch.approval_deadline, ch.effectivity_planned, ch.expiration, "
    "ch.creator_guid, u.email, u.full_name, ch.created_at, ch.updated_at, ch.lifecycle_at, "
    "ch.submitted_at, ch.effective_at, ch.attributes_json, ch.category_guid, cc.name, cc.path "
    "FROM changes ch LEFT JOIN users u ON u.guid = ch.creator_guid "
    "LEFT JOIN change_categories cc ON cc.guid = ch.category_guid ";

Json ChangeRow(const store::Row& row) {
  std::string effectivity = row.String(4);
  Json c = {{"guid", row.String(0)},
            {"number", row.String(1)},
            {"title", row.String(2)},
            {"description", Str(row, 3)},
            {"effectivityType", effectivity},
            {"lifecycleStatus", {{"type", row.String(5)}}},
            {"implementationStatus", Str(row, 6)},
            {"approvalDeadlineDateTime", Time(row, 7)},
            {"creator", UserRef(row, 10)},
            {"creationDateTime", FormatDateTime(row.Int(13))},
            {"lastModifiedDateTime", FormatDateTime(row.Int(14))},
            {"lifecycleDateTime", FormatDateTime(row.Int(15))},
            {"submissionDateTime", Time(row, 16)},
            {"effectiveDateTime", Time(row, 17)}};
  if (effectivity == "PERMANENT_ON_DATE") c["effectivityPlannedDateTime"] = Time(row, 8);
  if (effectivity == "TEMPORARY") c["expirationDateTime"] = Time(row, 9);
  c["category"] =
      row.IsNull(19)
          ? Json(nullptr)
          : Json{{"guid", row.String(19)}, {"name", Str(row, 20)}, {"path", Str(row, 21)}};
  return c;
}

constexpr char kCategorySelect[] =
    "SELECT guid, name, path, level, assignable, system_defined, effectivity_type, "
    "number_prefix, created_at FROM change_categories ";

// A change category as Arena's Workspace Settings show it.
Json CategoryRow(const store::Row& row) {
  Json prefix = row.IsNull(7) ? Json(nullptr) : Json{{"value", row.String(7)}};
  return {{"guid", row.String(0)},
          {"name", row.String(1)},
          {"path", row.String(2)},
          {"level", row.Int(3)},
          {"assignable", row.Int(4) != 0},
          {"systemDefined", row.Int(5) != 0},
          {"activated", true},
          {"description", nullptr},
          {"effectivityType", Str(row, 6)},
          {"enforceDefaultEffectivityType", false},
          {"numberingSequencePrefixDefault", prefix},
          {"enforceDefaultNumberSequence", false},
          {"initialImplementationStatus", row.Int(4) != 0 ? Json("NOT_STARTED") : Json(nullptr)},
          {"creationDateTime", FormatDateTime(row.Int(8))}};
}

// What a change takes from its category when the request leaves it out.
struct CategoryDefaults {
  std::optional<std::string> effectivity, prefix;
};

// `category: {"guid"}` of a change's body, checked against the workspace's change categories:
// nullopt when absent, an error when unknown or not assignable.
Result<std::optional<std::string>> ReadChangeCategory(store::Tx& tx, const std::string& ws,
                                                      const Json& body,
                                                      CategoryDefaults* defaults) {
  ARENITE_ASSIGN_OR_RETURN(auto category, json::OptionalGuidRef(body, "category"));
  if (!category) return category;
  std::optional<bool> assignable;
  ARENITE_RETURN_IF_ERROR(tx.Query(
      "SELECT assignable, effectivity_type, number_prefix FROM change_categories WHERE guid = ? "
      "AND workspace_guid = ?",
      {*category, ws}, [&](const store::Row& row) {
        assignable = row.Int(0) != 0;
        if (defaults) *defaults = {row.OptString(1), row.OptString(2)};
        return false;
      }));
  if (!assignable) {
    return BadRequest("The category guid \"" + *category + "\" is not valid.", kErrInvalidCategory);
  }
  if (!*assignable) {
    return BadRequest("This category is structural; objects may not be assigned to it.",
                      kErrStructuralCategory);
  }
  return category;
}

Result<Json> LoadChange(store::Tx& tx, const std::string& ws, const std::string& guid) {
  static const std::string sql =
      std::string(kChangeSelect) + "WHERE ch.guid = ? AND ch.workspace_guid = ?";
  Json out, attributes;
  ARENITE_RETURN_IF_ERROR(tx.Query(sql, {guid, ws}, [&](const store::Row& row) {
    out = ChangeRow(row);
    if (!row.IsNull(18)) attributes = Json::parse(row.Text(18), nullptr, false);
    return false;
  }));
  if (out.is_null()) return NotFoundGuid(guid);
  ARENITE_ASSIGN_OR_RETURN(out["additionalAttributes"], RenderAttributes(tx, ws, attributes));
  return out;
}

bool ValidImplementationStatus(const std::string& s) {
  return s == "NOT_STARTED" || s == "IN_PROGRESS" || s == "NEEDS_ATTN" || s == "DONE" ||
         s == "BLANK";
}

Error InvalidImplementationStatus() {
  return BadRequest(
      "Invalid implementation status. It could be: NOT_STARTED, IN_PROGRESS, NEEDS_ATTN, DONE, "
      "BLANK.",
      kErrImplementationStatus);
}

// A date-time field: absent false; null clears when setnull; else must parse.
Result<bool> PatchTime(const Json& body, std::string_view key, bool setnull,
                       std::optional<int64_t>* target) {
  std::optional<std::string> text;
  if (target->has_value()) text = "";
  ARENITE_ASSIGN_OR_RETURN(bool touched, PatchString(body, key, 40, setnull, &text));
  if (!touched) return false;
  if (!text) {
    target->reset();
    return true;
  }
  auto t = ParseDateTime(*text);
  // Years 0000 to 9999 only: the answer writes the year with four digits.
  if (t && (*t < -62167219200 || *t > 253402300799)) t.reset();
  if (!t) {
    return BadRequest("field '" + std::string(key) +
                          "' must be a date-time like "
                          "2026-12-03T09:41:15Z",
                      kErrInvalidValue);
  }
  *target = *t;
  return true;
}

struct ChangeFields {
  std::optional<std::string> title, description, effectivity, implementation;
  std::optional<int64_t> deadline, planned, expiration;
};

Status ReadChangeFields(const Json& body, bool setnull, ChangeFields* f) {
  ARENITE_ASSIGN_OR_RETURN(bool has_title, PatchString(body, "title", 500, false, &f->title));
  if (has_title && (!f->title || f->title->empty())) {
    return BadRequest("The value for the attribute \"title\" cannot be empty.", kErrEmptyValue);
  }
  ARENITE_RETURN_IF_ERROR(PatchString(body, "description", 8000, setnull, &f->description));
  ARENITE_ASSIGN_OR_RETURN(bool has_eff,
                           PatchString(body, "effectivityType", 40, false, &f->effectivity));
  if (has_eff && !IsEffectivityType(f->effectivity.value_or(""))) {
    return BadRequest("The value for the attribute \"effectivityType\" is not valid.",
                      kErrInvalidValue);
  }
  ARENITE_ASSIGN_OR_RETURN(
      bool has_impl, PatchString(body, "implementationStatus", 40, setnull, &f->implementation));
  if (has_impl && f->implementation && !ValidImplementationStatus(*f->implementation)) {
    return InvalidImplementationStatus();
  }
  ARENITE_RETURN_IF_ERROR(PatchTime(body, "approvalDeadlineDateTime", setnull, &f->deadline));
  ARENITE_RETURN_IF_ERROR(PatchTime(body, "effectivityPlannedDateTime", setnull, &f->planned));
  ARENITE_RETURN_IF_ERROR(PatchTime(body, "expirationDateTime", setnull, &f->expiration));
  return OkStatus();
}

// Arena: a PERMANENT_ON_DATE change requires its effectivityPlannedDateTime.
Status CheckPlannedDate(const ChangeFields& f) {
  if (f.effectivity == "PERMANENT_ON_DATE" && !f.planned) {
    return BadRequest(
        "The attribute \"effectivityPlannedDateTime\" is required for a change with "
        "PERMANENT_ON_DATE effectivity.",
        kErrMissingField);
  }
  return OkStatus();
}

// A date of a rendered change (effectivityPlannedDateTime, expirationDateTime), when it has one.
std::optional<int64_t> DateOf(const Json& change, const char* field) {
  auto it = change.find(field);
  if (it == change.end() || !it->is_string()) return std::nullopt;
  return ParseDateTime(it->get<std::string>());
}

std::optional<int64_t> PlannedDate(const Json& change) {
  return DateOf(change, "effectivityPlannedDateTime");
}

// Arena routes a change's approval through the category's routings; arenite has no approval
// routings, so a request that names some is refused with a message that says why.
Status RefuseRoutings(const Json& body) {
  if (!body.is_object() || !body.contains("routings")) return OkStatus();
  return BadRequest(
      "The attribute \"routings\" is not supported: this server has no approval routings. "
      "Leave it out.",
      kErrUnknownField);
}

const std::vector<std::string_view> kChangeInputFields = {"number",
                                                          "category",
                                                          "title",
                                                          "description",
                                                          "effectivityType",
                                                          "implementationStatus",
                                                          "approvalDeadlineDateTime",
                                                          "effectivityPlannedDateTime",
                                                          "expirationDateTime",
                                                          "enforceApprovalDeadline",
                                                          "additionalAttributes"};

// A revision reference: {guid, item{guid}, number, name, revisionNumber, revisionStatus}.
Result<Json> RevisionRef(store::Tx& tx, const std::optional<std::string>& rev) {
  if (!rev) return Json(nullptr);
  Json ref;
  ARENITE_RETURN_IF_ERROR(tx.Query(
      "SELECT r.guid, i.guid, i.number, r.name, r.revision_number, r.status, r.effective_at "
      "FROM item_revisions r JOIN items i ON i.guid = r.item_guid WHERE r.guid = ?",
      {*rev}, [&](const store::Row& row) {
        ref = {{"guid", row.String(0)},
               {"item", {{"guid", row.String(1)}}},
               {"number", Str(row, 2)},
               {"name", row.String(3)},
               {"revisionNumber", Str(row, 4)},
               {"revisionStatus", std::string(RevisionStatusName(row.Int(5)))},
               {"effectiveDateTime", Time(row, 6)}};
        return false;
      }));
  return ref;
}

Result<Json> LoadChangeItem(store::Tx& tx, const std::string& assoc) {
  std::optional<std::string> affected, new_rev, number, phase, phase_name, change;
  bool found = false;
  ARENITE_RETURN_IF_ERROR(tx.Query(
      "SELECT ci.affected_rev, ci.new_rev, ci.new_revision_number, ci.new_phase_guid, p.name, "
      "ci.change_guid FROM change_items ci LEFT JOIN lifecycle_phases p ON p.guid = "
      "ci.new_phase_guid WHERE ci.guid = ?",
      {assoc}, [&](const store::Row& row) {
        found = true;
        affected = row.OptString(0);
        new_rev = row.OptString(1);
        number = row.OptString(2);
        phase = row.OptString(3);
        phase_name = row.OptString(4);
        change = row.OptString(5);
        return false;
      }));
  if (!found) return NotFoundGuid(assoc);
  Json out = {{"guid", assoc},
              {"change", {{"guid", *change}}},
              {"newRevisionNumber", number ? Json(*number) : Json()}};
  ARENITE_ASSIGN_OR_RETURN(out["affectedItemRevision"], RevisionRef(tx, affected));
  ARENITE_ASSIGN_OR_RETURN(out["newItemRevision"], RevisionRef(tx, new_rev));
  out["newLifecyclePhase"] =
      phase ? Json{{"guid", *phase}, {"name", phase_name ? Json(*phase_name) : Json()}} : Json();
  return out;
}

// Turns `image`, a working revision as rendered before its release, into the item as the
// release leaves it (what LoadItem would now read): the revision effective as of now, with
// its new number and phase, and `working` as the item's next working revision, a copy of the
// released one (so no modified* flag). Everything else the image shows (names, costs,
// attributes, assembly flags, creator) is the same row's and the release does not touch it.
// `phases` caches the phase references by guid.
Status ReleasedImage(store::Tx& tx, const Ctx& ctx, const std::optional<std::string>& number,
                     const std::optional<std::string>& phase, const std::string& working,
                     std::map<std::string, Json>& phases, Json& image) {
  std::string released = image["revisionGuid"].get<std::string>();
  image["revisionNumber"] = number ? Json(*number) : Json();
  image["revisionStatus"] = std::string(RevisionStatusName(1));
  image["status"] = 1;
  image["effectiveDateTime"] = FormatDateTime(ctx.now);
  image["lastModifiedDateTime"] = FormatDateTime(ctx.now);
  image["workingRevision"] = {{"guid", working}};
  image["effectiveRevision"] = {{"guid", released}};
  // The next working revision starts as a copy of the released one: nothing differs yet.
  for (const char* flag : {"modifiedBom", "modifiedSourcing", "modifiedSpecs", "modifiedFiles"}) {
    image[flag] = false;
  }
  if (phase) {
    auto cached = phases.find(*phase);
    if (cached == phases.end()) {
      // As the item's join renders a phase row it does not find: the guid alone.
      Json ref = {{"guid", *phase}, {"name", nullptr}, {"shortName", nullptr}, {"stage", nullptr}};
      ARENITE_RETURN_IF_ERROR(
          tx.Query("SELECT guid, name, short_name, stage FROM lifecycle_phases WHERE guid = ?",
                   {*phase}, [&](const store::Row& row) {
                     ref = PhaseRef(row, 0);
                     return false;
                   }));
      cached = phases.emplace(*phase, std::move(ref)).first;
    }
    image["lifecyclePhase"] = cached->second;
  }
  return OkStatus();
}

// Makes each affected item's working revision effective (superseding the previous effective
// one) and opens a new working revision with a copy of its BOM and sourcing.
Status Release(store::Tx& tx, const Ctx& ctx, const std::string& change) {
  struct Affected {
    std::string item, new_rev;
    std::optional<std::string> number, phase;
  };
  std::vector<Affected> affected;
  ARENITE_RETURN_IF_ERROR(tx.Query(
      "SELECT item_guid, new_rev, new_revision_number, new_phase_guid FROM change_items WHERE "
      "change_guid = ? ORDER BY created_at, guid",
      {change}, [&](const store::Row& row) {
        affected.push_back({row.String(0), row.String(1), row.OptString(2), row.OptString(3)});
        return true;
      }));
  ARENITE_ASSIGN_OR_RETURN(
      auto sequences,
      EventSequences::Reserve(tx, ctx.workspace, static_cast<int64_t>(affected.size())));
  std::map<std::string, Json> phases;  // the lifecycle phases the release moves items to
  for (const auto& a : affected) {
    ARENITE_ASSIGN_OR_RETURN(ItemKeys keys, ResolveItem(tx, ctx.workspace, a.item));
    if (keys.working_rev != a.new_rev) {
      return Conflict(
          "The working revision of an affected item has changed; the change cannot "
          "become effective.",
          kErrConflict);
    }
    // The images: before, the item as shown (its effective revision, else its working one);
    // after, the working revision as it is about to be released. The after image is that
    // revision's row with what the release changes put in by hand, so that a first release
    // (no effective revision yet) reads one row, not two; ReleasedImage lists the fields, and
    // the unit tests compare its result with the item read back.
    ARENITE_ASSIGN_OR_RETURN(Json before, LoadRevision(tx, ctx.workspace, keys.shown_rev));
    Json after;
    if (!keys.effective_rev) {
      after = before;
    } else {
      ARENITE_ASSIGN_OR_RETURN(after, LoadRevision(tx, ctx.workspace, keys.working_rev));
      ARENITE_RETURN_IF_ERROR(tx.Exec(
          "UPDATE item_revisions SET status = 2, superseded_at = ?, updated_at = ? WHERE guid = ?",
          {ctx.now, ctx.now, *keys.effective_rev}));
    }
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "UPDATE item_revisions SET status = 1, revision_number = ?, phase_guid = COALESCE(?, "
        "phase_guid), effective_at = ?, change_guid = ?, updated_at = ? WHERE guid = ?",
        {store::Nullable(a.number), store::Nullable(a.phase), ctx.now, change, ctx.now,
         keys.working_rev}));
    std::string working = NewOrderedGuid();
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO item_revisions (guid, item_guid, workspace_guid, status, revision_number, "
        "name, description, category_guid, phase_guid, uom, procurement_type, owner_name, "
        "production_cost, prototype_cost, standard_cost, target_cost, target_price, "
        "attributes_json, created_at, updated_at) SELECT ?, item_guid, workspace_guid, 0, NULL, "
        "name, description, category_guid, phase_guid, uom, procurement_type, owner_name, "
        "production_cost, prototype_cost, standard_cost, target_cost, target_price, "
        "attributes_json, ?, ? FROM item_revisions WHERE guid = ?",
        {working, ctx.now, ctx.now, keys.working_rev}));
    std::vector<std::string> lines, sources;
    ARENITE_RETURN_IF_ERROR(tx.Query("SELECT guid FROM bom_lines WHERE parent_rev = ?",
                                     {keys.working_rev}, [&](const store::Row& row) {
                                       lines.push_back(row.String(0));
                                       return true;
                                     }));
    for (const auto& line : lines) {
      ARENITE_RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO bom_lines (guid, workspace_guid, parent_rev, parent_item, child_item, "
          "line_number, quantity, ref_des, notes, created_at) SELECT ?, workspace_guid, ?, "
          "parent_item, child_item, line_number, quantity, ref_des, notes, created_at FROM "
          "bom_lines WHERE guid = ?",
          {NewOrderedGuid(), working, line}));
    }
    ARENITE_RETURN_IF_ERROR(tx.Query("SELECT guid FROM sourcing WHERE rev_guid = ?",
                                     {keys.working_rev}, [&](const store::Row& row) {
                                       sources.push_back(row.String(0));
                                       return true;
                                     }));
    for (const auto& src : sources) {
      ARENITE_RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO sourcing (guid, workspace_guid, rev_guid, item_guid, mfr_item, "
          "vendor_item, aml_rank, aml_split, approved, active_production, active_prototype, "
          "make_item, conversion_factor, notes, created_at) SELECT ?, workspace_guid, ?, "
          "item_guid, mfr_item, vendor_item, aml_rank, aml_split, approved, active_production, "
          "active_prototype, make_item, conversion_factor, notes, created_at FROM sourcing "
          "WHERE guid = ?",
          {NewOrderedGuid(), working, src}));
    }
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "UPDATE items SET effective_rev = ?, working_rev = ?, updated_at = ? WHERE guid = ?",
        {keys.working_rev, working, ctx.now, a.item}));
    ARENITE_RETURN_IF_ERROR(ReleasedImage(tx, ctx, a.number, a.phase, working, phases, after));
    bool phase_changed = before["lifecyclePhase"] != after["lifecyclePhase"];
    ARENITE_RETURN_IF_ERROR(sequences.Record(tx, ctx.workspace,
                                             phase_changed ? kItemLifecycleChanged : kItemUpdated,
                                             "ITEM", a.item, ctx.actor, before, after, ctx.now));
  }
  return OkStatus();
}

// Moves change `guid` (rendered as `before`) from status `from` to `to` inside `tx`: the status
// row, the release of its affected items when it becomes effective, and the
// change.status_changed event. Every move to EFFECTIVE, a client's or the effectivity
// scheduler's, is this function. The row is updated only while it is still in `from`, so that
// two writers (two nodes, or the scheduler and a client) never make the same move twice.
Result<Json> ApplyStatus(store::Tx& tx, const Ctx& ctx, const std::string& guid, const Json& before,
                         const std::string& from, const std::string& to,
                         const std::optional<std::string>& implementation) {
  std::string effectivity = before["effectivityType"].get<std::string>();
  ARENITE_ASSIGN_OR_RETURN(
      int64_t moved,
      tx.Exec("UPDATE changes SET status = ?, lifecycle_at = ?, updated_at = ?, submitted_at = "
              "CASE WHEN ? = 1 THEN ? ELSE submitted_at END, effective_at = CASE WHEN ? = 1 THEN "
              "? ELSE effective_at END, implementation_status = COALESCE(?, "
              "implementation_status) WHERE guid = ? AND status = ?",
              {to, ctx.now, ctx.now, int64_t{to == kSubmitted ? 1 : 0}, ctx.now,
               int64_t{to == kEffective && from != kCompleted ? 1 : 0}, ctx.now,
               store::Nullable(implementation), guid, from}));
  if (moved != 1) {
    return Conflict("The change is no longer in status " + from + ".", kErrIllegalTransition);
  }
  if (to == kEffective && from != kCompleted && effectivity != "TEMPORARY") {
    ARENITE_RETURN_IF_ERROR(Release(tx, ctx, guid));
  }
  ARENITE_ASSIGN_OR_RETURN(Json after, LoadChange(tx, ctx.workspace, guid));
  ARENITE_RETURN_IF_ERROR(RecordEvent(tx, ctx.workspace, kChangeStatusChanged, "CHANGE", guid,
                                      ctx.actor, before, after, ctx.now));
  return after;
}

}  // namespace

namespace internal {

Status SeedChangeCategories(store::Tx& tx, const std::string& ws, int64_t now) {
  ARENITE_ASSIGN_OR_RETURN(
      auto any,
      tx.QueryInt("SELECT 1 FROM change_categories WHERE workspace_guid = ? LIMIT 1", {ws}));
  if (any) return OkStatus();
  // Arena's defaults: the system's "Change", a structural "Change Order" above the change
  // orders, and deviations, which are temporary.
  struct Category {
    const char* path;
    bool assignable;
    bool system_defined;
    const char* effectivity;
    const char* prefix;
  };
  static const Category kCategories[] = {
      {"Change", true, true, "", ""},
      {"Change\\Change Order", false, false, "PERMANENT_ON_APPROVAL", ""},
      {"Change\\Change Order\\Engineering Change Order", true, false, "PERMANENT_ON_APPROVAL",
       "ECO-"},
      {"Change\\Deviation", true, false, "TEMPORARY", "DEV-"},
  };
  for (const auto& c : kCategories) {
    std::string path = c.path;
    size_t cut = path.rfind('\\');
    int64_t level = 1 + std::count(path.begin(), path.end(), '\\');
    auto text_or_null = [](const char* s) {
      return *s ? store::Value(std::string(s)) : store::Value(nullptr);
    };
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO change_categories (guid, workspace_guid, name, path, level, assignable, "
        "system_defined, effectivity_type, number_prefix, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {NewGuid(), ws, cut == std::string::npos ? path : path.substr(cut + 1), path, level,
         int64_t{c.assignable ? 1 : 0}, int64_t{c.system_defined ? 1 : 0},
         text_or_null(c.effectivity), text_or_null(c.prefix), now}));
  }
  return OkStatus();
}

}  // namespace internal

Result<Json> Plm::ListChangeCategories(const std::string& ws) {
  Json out = Json::array();
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    return tx.Query(std::string(kCategorySelect) + "WHERE workspace_guid = ? ORDER BY path", {ws},
                    [&](const store::Row& row) {
                      out.push_back(CategoryRow(row));
                      return true;
                    });
  }));
  return out;
}

Result<Json> Plm::GetChangeCategory(const std::string& ws, const std::string& guid) {
  return GetOne(store_, kCategorySelect, ws, guid, CategoryRow);
}

Result<Json> Plm::CreateChange(const Ctx& ctx, const Json& body) {
  // numberSequencePrefix numbers a new change; an update has no use for it and refuses it.
  static const std::vector<std::string_view> kCreateFields = [] {
    std::vector<std::string_view> fields = kChangeInputFields;
    fields.push_back("numberSequencePrefix");
    return fields;
  }();
  ARENITE_RETURN_IF_ERROR(RefuseRoutings(body));
  ARENITE_RETURN_IF_ERROR(json::RejectUnknownFields(body, kCreateFields));
  ChangeFields f;
  ARENITE_RETURN_IF_ERROR(ReadChangeFields(body, false, &f));
  if (!f.title) return BadRequest("The attribute \"title\" is required.", kErrMissingField);
  ARENITE_ASSIGN_OR_RETURN(auto number, json::OptionalString(body, "number", 100));
  // Arena numbers a change from its numberSequencePrefix, {"value": "ECO-"}.
  std::optional<std::string> prefix;
  if (auto it = body.find("numberSequencePrefix"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) {
      return BadRequest("field 'numberSequencePrefix' must be {\"value\": \"...\"}",
                        kErrInvalidValue);
    }
    ARENITE_ASSIGN_OR_RETURN(prefix, json::OptionalString(*it, "value", 20));
    bool printable = prefix && !prefix->empty() &&
                     std::all_of(prefix->begin(), prefix->end(),
                                 [](unsigned char c) { return c > 0x20 && c < 0x7f; });
    if (!printable) {
      return BadRequest(
          "The value for the attribute \"numberSequencePrefix\" is not valid: 1 to 20 visible "
          "characters.",
          kErrInvalidValue);
    }
  }
  ARENITE_RETURN_IF_ERROR(json::OptionalBool(body, "enforceApprovalDeadline"));
  Json out;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    // The category's effectivity and number prefix stand in for those the request leaves out.
    CategoryDefaults defaults;
    ARENITE_ASSIGN_OR_RETURN(auto category, ReadChangeCategory(tx, ctx.workspace, body, &defaults));
    if (!f.effectivity) f.effectivity = defaults.effectivity;
    if (!prefix) prefix = defaults.prefix;
    std::string effectivity = f.effectivity.value_or("PERMANENT_ON_APPROVAL");
    f.effectivity = effectivity;
    ARENITE_RETURN_IF_ERROR(CheckPlannedDate(f));
    if ((!number || number->empty()) && prefix) {
      ARENITE_ASSIGN_OR_RETURN(number, NextChangeNumberWithPrefix(tx, ctx.workspace, *prefix));
    } else if (!number || number->empty()) {
      ARENITE_ASSIGN_OR_RETURN(number, NextDefaultNumber(tx, ctx.workspace, "CHANGE", true));
    }
    Json attributes = Json::object();
    ARENITE_RETURN_IF_ERROR(ReadAttributes(tx, ctx.workspace, "CHANGE", body, &attributes));
    std::string guid = NewGuid();
    auto inserted = tx.Exec(
        "INSERT INTO changes (guid, workspace_guid, number, title, description, "
        "effectivity_type, status, implementation_status, approval_deadline, "
        "effectivity_planned, expiration, creator_guid, created_at, updated_at, lifecycle_at, "
        "attributes_json, category_guid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?)",
        {guid, ctx.workspace, *number, *f.title, store::Nullable(f.description), effectivity,
         std::string(kOpenUnlocked), f.implementation.value_or("NOT_STARTED"),
         store::Nullable(f.deadline), store::Nullable(f.planned), store::Nullable(f.expiration),
         ctx.user, ctx.now, ctx.now, ctx.now, AttributesColumn(attributes),
         store::Nullable(category)});
    if (!inserted.ok()) {
      if (inserted.error().code == kErrDuplicate) {
        return Conflict("A change with the number \"" + *number + "\" already exists.",
                        kErrDuplicate);
      }
      return std::move(inserted).error();
    }
    ARENITE_ASSIGN_OR_RETURN(out, LoadChange(tx, ctx.workspace, guid));
    ARENITE_RETURN_IF_ERROR(RecordEvent(tx, ctx.workspace, kChangeCreated, "CHANGE", guid,
                                        ctx.actor, nullptr, out, ctx.now));
    return OkStatus();
  }));
  return out;
}

Result<Json> Plm::GetChange(const std::string& ws, const std::string& guid) {
  Json out;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(out, LoadChange(tx, ws, guid));
    return OkStatus();
  }));
  return out;
}

Result<Json> Plm::UpdateChange(const Ctx& ctx, const std::string& guid, const Json& body,
                               bool setnull) {
  std::vector<std::string_view> allowed = kChangeInputFields;
  for (auto k : {"guid", "lifecycleStatus", "creator", "creationDateTime", "lastModifiedDateTime",
                 "lifecycleDateTime", "submissionDateTime", "effectiveDateTime"}) {
    allowed.push_back(k);
  }
  ARENITE_RETURN_IF_ERROR(RefuseRoutings(body));
  ARENITE_RETURN_IF_ERROR(json::RejectUnknownFields(body, allowed));
  Json out;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(Json before, LoadChange(tx, ctx.workspace, guid));
    ChangeFields f;
    f.title = before["title"].get<std::string>();
    if (before["description"].is_string()) f.description = before["description"].get<std::string>();
    f.effectivity = before["effectivityType"].get<std::string>();
    if (before["implementationStatus"].is_string()) {
      f.implementation = before["implementationStatus"].get<std::string>();
    }
    auto time_of = [&](const char* key) -> std::optional<int64_t> {
      if (!before.contains(key) || !before[key].is_string()) return std::nullopt;
      return ParseDateTime(before[key].get<std::string>());
    };
    f.deadline = time_of("approvalDeadlineDateTime");
    f.planned = time_of("effectivityPlannedDateTime");
    f.expiration = time_of("expirationDateTime");
    ChangeFields old = f;
    ARENITE_RETURN_IF_ERROR(ReadChangeFields(body, setnull, &f));
    Json attributes = AttributeValues(before["additionalAttributes"]);
    const Json old_attributes = attributes;
    ARENITE_RETURN_IF_ERROR(ReadAttributes(tx, ctx.workspace, "CHANGE", body, &attributes));
    std::optional<std::string> old_category;
    if (before["category"].is_object())
      old_category = before["category"]["guid"].get<std::string>();
    ARENITE_ASSIGN_OR_RETURN(std::optional<std::string> category,
                             ReadChangeCategory(tx, ctx.workspace, body, nullptr));
    // An absent category keeps the change's; null takes it away where the request says so.
    if (!category && !(setnull && body.contains("category"))) category = old_category;
    std::string status = before["lifecycleStatus"]["type"].get<std::string>();
    bool only_implementation = f.title == old.title && f.description == old.description &&
                               f.effectivity == old.effectivity && f.deadline == old.deadline &&
                               f.planned == old.planned && f.expiration == old.expiration &&
                               attributes == old_attributes && category == old_category;
    if (status != kOpenUnlocked && !only_implementation) {
      return Conflict("The change cannot be updated at this lifecycle stage.", kErrChangeLocked);
    }
    if (!only_implementation) ARENITE_RETURN_IF_ERROR(CheckPlannedDate(f));
    if ((old.effectivity == "TEMPORARY") != (f.effectivity == "TEMPORARY")) {
      return BadRequest(
          "Effectivity cannot be modified because once created, a Change cannot "
          "move between permanent and temporary effectivity.",
          kErrEffectivityKind);
    }
    if (!body.contains("number") || body["number"].is_null() ||
        body["number"] == before["number"]) {
    } else {
      return BadRequest("The attribute \"number\" is not editable.", kErrNotEditable);
    }
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "UPDATE changes SET title = ?, description = ?, effectivity_type = ?, "
        "implementation_status = ?, approval_deadline = ?, effectivity_planned = ?, "
        "expiration = ?, attributes_json = ?, category_guid = ?, updated_at = ? WHERE guid = ?",
        {*f.title, store::Nullable(f.description), *f.effectivity,
         store::Nullable(f.implementation), store::Nullable(f.deadline), store::Nullable(f.planned),
         store::Nullable(f.expiration), AttributesColumn(attributes), store::Nullable(category),
         ctx.now, guid}));
    ARENITE_ASSIGN_OR_RETURN(out, LoadChange(tx, ctx.workspace, guid));
    ARENITE_RETURN_IF_ERROR(RecordEvent(tx, ctx.workspace, kChangeUpdated, "CHANGE", guid,
                                        ctx.actor, before, out, ctx.now));
    return OkStatus();
  }));
  return out;
}

Result<Json> Plm::ListChanges(const std::string& ws, const Filters& f) {
  if (f.implementation_status && !ValidImplementationStatus(*f.implementation_status)) {
    return InvalidImplementationStatus();
  }
  std::string sql = std::string(kChangeSelect) + "WHERE ch.workspace_guid = ?";
  store::Params params = {ws};
  AppendTextFilter(f.number, "ch.number", &sql, &params);
  AppendTextFilter(f.title, "ch.title", &sql, &params);
  AppendCondition(f.status, " AND ch.status = ?", &sql, &params);
  AppendCondition(f.implementation_status, " AND ch.implementation_status = ?", &sql, &params);
  AppendCondition(f.creator, " AND ch.creator_guid = ?", &sql, &params);
  AppendCondition(f.category, " AND ch.category_guid = ?", &sql, &params);
  AppendCondition(f.modified_since, " AND ch.updated_at >= ?", &sql, &params);
  AppendCondition(f.effective_from, " AND ch.effective_at >= ?", &sql, &params);
  AppendCondition(f.effective_to, " AND ch.effective_at <= ?", &sql, &params);
  // Only a deviation (TEMPORARY) shows an expirationDateTime.
  AppendCondition(f.expiration_from,
                  " AND ch.effectivity_type = 'TEMPORARY' AND ch.expiration >= ?", &sql, &params);
  AppendCondition(f.expiration_to, " AND ch.effectivity_type = 'TEMPORARY' AND ch.expiration <= ?",
                  &sql, &params);
  Json out = Json::array();
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    ARENITE_RETURN_IF_ERROR(AppendAttributeFilters(tx, ws, "CHANGE", "ch.attributes_json",
                                                   f.attributes, &sql, &params));
    sql += " ORDER BY ch.created_at, ch.guid LIMIT ? OFFSET ?";
    params.push_back(f.limit);
    params.push_back(f.offset);
    return tx.Query(sql, params, [&](const store::Row& row) {
      out.push_back(ChangeRow(row));
      return true;
    });
  }));
  return out;
}

Result<Json> Plm::ListChangeItems(const std::string& ws, const std::string& guid) {
  Json out = Json::array();
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    ARENITE_RETURN_IF_ERROR(LoadChange(tx, ws, guid));
    std::vector<std::string> assocs;
    ARENITE_RETURN_IF_ERROR(
        tx.Query("SELECT guid FROM change_items WHERE change_guid = ? ORDER BY created_at, guid",
                 {guid}, [&](const store::Row& row) {
                   assocs.push_back(row.String(0));
                   return true;
                 }));
    for (const auto& a : assocs) {
      ARENITE_ASSIGN_OR_RETURN(Json item, LoadChangeItem(tx, a));
      out.push_back(std::move(item));
    }
    return OkStatus();
  }));
  return out;
}

Result<Json> Plm::AddChangeItem(const Ctx& ctx, const std::string& guid, const Json& body) {
  ARENITE_RETURN_IF_ERROR(json::RejectUnknownFields(
      body, {"newItemRevision", "newRevisionNumber", "newLifecyclePhase", "specsView", "bomView",
             "filesView", "sourcingView", "materialEffectivityDateTime", "dispositionAttributes"}));
  ARENITE_ASSIGN_OR_RETURN(auto rev_ref, json::OptionalGuidRef(body, "newItemRevision"));
  if (!rev_ref) {
    return BadRequest("The attribute \"newItemRevision\" is required.", kErrMissingField);
  }
  ARENITE_ASSIGN_OR_RETURN(auto rev_number, json::OptionalString(body, "newRevisionNumber", 20));
  if (rev_number && rev_number->empty()) {
    return BadRequest("Revision number must be non-empty and can't exceed 20 characters long.",
                      kErrRevisionNumberLength);
  }
  ARENITE_ASSIGN_OR_RETURN(auto phase, json::OptionalGuidRef(body, "newLifecyclePhase"));
  Json out;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(Json change, LoadChange(tx, ctx.workspace, guid));
    if (change["lifecycleStatus"]["type"] != kOpenUnlocked) {
      return Conflict("Can only be called if the change is Open and Unlocked.", kErrChangeNotOpen);
    }
    auto keys = ResolveItem(tx, ctx.workspace, *rev_ref);
    if (!keys.ok()) {
      return BadRequest("The item revision \"" + *rev_ref + "\" is not found.", kErrNotFound);
    }
    if (keys->shown_rev != keys->working_rev && *rev_ref != keys->item) {
      return BadRequest("newItemRevision must be the working revision of the item.",
                        kErrNotWorkingRevisionForChange);
    }
    if (change["effectivityType"] == "TEMPORARY" && !keys->effective_rev) {
      return BadRequest("Unreleased item cannot be added to a temporary change.",
                        kErrUnreleasedOnTemporary);
    }
    ARENITE_ASSIGN_OR_RETURN(bool in_this,
                             tx.Exists("SELECT 1 FROM change_items WHERE change_guid = ? AND "
                                       "item_guid = ?",
                                       {guid, keys->item}));
    if (in_this) return Conflict("The item is already in the change.", kErrItemInChange);
    ARENITE_ASSIGN_OR_RETURN(
        bool elsewhere,
        tx.Exists("SELECT 1 FROM change_items ci JOIN changes ch ON ch.guid = ci.change_guid "
                  "WHERE ci.item_guid = ? AND ch.status NOT IN ('CANCELED', 'REJECTED', "
                  "'EFFECTIVE', 'COMPLETED', 'EXPIRED')",
                  {keys->item}));
    if (elsewhere) {
      return Conflict(
          "The Items you selected cannot be added due to a conflict with an existing "
          "Change.",
          kErrItemInOtherChange);
    }
    if (phase) {
      ARENITE_ASSIGN_OR_RETURN(bool ok, tx.Exists("SELECT 1 FROM lifecycle_phases WHERE guid = ? "
                                                  "AND workspace_guid = ? AND active = 1",
                                                  {*phase, ctx.workspace}));
      if (!ok) {
        return BadRequest("The Item lifecycle phase with guid \"" + *phase + "\" is not active.",
                          kErrInactivePhase);
      }
    } else {
      // Keep the phase; an unreleased item goes to production.
      ARENITE_ASSIGN_OR_RETURN(
          phase, tx.QueryString("SELECT CASE WHEN p.stage = 'PRELIMINARY' THEN NULL ELSE p.guid "
                                "END FROM item_revisions r JOIN lifecycle_phases p ON p.guid = "
                                "r.phase_guid WHERE r.guid = ?",
                                {keys->working_rev}));
      if (!phase) {
        ARENITE_ASSIGN_OR_RETURN(
            phase, tx.QueryString("SELECT guid FROM lifecycle_phases WHERE workspace_guid = ? "
                                  "AND stage = 'PRODUCTION' AND active = 1 ORDER BY position",
                                  {ctx.workspace}));
      }
    }
    if (!rev_number) {
      // Arena derives the next revision "as long as no revision has been specified on the
      // working revision": one that was (revisionNumber on the item) is taken as it is, unless
      // another revision of the item has it already (a GET of the effective revision sent back
      // with PUT carries the effective one's number).
      ARENITE_ASSIGN_OR_RETURN(
          rev_number,
          tx.QueryString("SELECT w.revision_number FROM item_revisions w WHERE w.guid = ? AND "
                         "w.revision_number IS NOT NULL AND w.revision_number <> '' AND NOT "
                         "EXISTS (SELECT 1 FROM item_revisions o WHERE o.item_guid = w.item_guid "
                         "AND o.guid <> w.guid AND o.revision_number = w.revision_number)",
                         {keys->working_rev}));
    }
    if (!rev_number) {
      std::optional<std::string> current;
      if (keys->effective_rev) {
        ARENITE_ASSIGN_OR_RETURN(
            current, tx.QueryString("SELECT revision_number FROM item_revisions WHERE guid = ?",
                                    {*keys->effective_rev}));
      }
      rev_number = NextRevision(current);
      if (!rev_number) {
        return BadRequest("Revision number could not be auto-generated and must be set manually.",
                          kErrRevisionNotDerivable);
      }
    }
    std::string assoc = NewGuid();
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO change_items (guid, workspace_guid, change_guid, item_guid, affected_rev, "
        "new_rev, new_revision_number, new_phase_guid, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
        "?, ?)",
        {assoc, ctx.workspace, guid, keys->item, store::Nullable(keys->effective_rev),
         keys->working_rev, *rev_number, store::Nullable(phase), ctx.now}));
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("UPDATE changes SET updated_at = ? WHERE guid = ?", {ctx.now, guid}));
    ARENITE_ASSIGN_OR_RETURN(out, LoadChangeItem(tx, assoc));
    ARENITE_RETURN_IF_ERROR(RecordEvent(tx, ctx.workspace, kChangeUpdated, "CHANGE_ITEM", guid,
                                        ctx.actor, nullptr, out, ctx.now));
    return OkStatus();
  }));
  return out;
}

namespace {

// The affected item `assoc` of change `guid`, with the change's status.
Result<std::string> ChangeItemStatus(store::Tx& tx, const std::string& ws, const std::string& guid,
                                     const std::string& assoc) {
  ARENITE_ASSIGN_OR_RETURN(
      auto status, tx.QueryString("SELECT ch.status FROM change_items ci JOIN changes ch ON "
                                  "ch.guid = ci.change_guid WHERE ci.guid = ? AND "
                                  "ci.change_guid = ? AND ch.workspace_guid = ?",
                                  {assoc, guid, ws}));
  if (!status) return NotFoundGuid(assoc);
  return *status;
}

}  // namespace

Result<Json> Plm::GetChangeItem(const std::string& ws, const std::string& guid,
                                const std::string& assoc) {
  Json out;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    ARENITE_RETURN_IF_ERROR(ChangeItemStatus(tx, ws, guid, assoc));
    ARENITE_ASSIGN_OR_RETURN(out, LoadChangeItem(tx, assoc));
    return OkStatus();
  }));
  return out;
}

Result<Json> Plm::UpdateChangeItem(const Ctx& ctx, const std::string& guid,
                                   const std::string& assoc, const Json& body) {
  ARENITE_RETURN_IF_ERROR(json::RejectUnknownFields(
      body, {"guid", "change", "affectedItemRevision", "newItemRevision", "newRevisionNumber",
             "newLifecyclePhase", "specsView", "bomView", "filesView", "sourcingView",
             "materialEffectivityDateTime", "dispositionAttributes"}));
  ARENITE_ASSIGN_OR_RETURN(auto rev_number, json::OptionalString(body, "newRevisionNumber", 20));
  if (!rev_number || rev_number->empty()) {
    return BadRequest("Revision number must be non-empty and can't exceed 20 characters long.",
                      kErrRevisionNumberLength);
  }
  ARENITE_ASSIGN_OR_RETURN(auto phase, json::OptionalGuidRef(body, "newLifecyclePhase"));
  Json out;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(std::string status, ChangeItemStatus(tx, ctx.workspace, guid, assoc));
    if (status != kOpenUnlocked) {
      return Conflict(
          "This Change is locked. Edits can be performed only on Open and Unlocked "
          "Changes.",
          kErrChangeNotOpen);
    }
    if (phase) {
      ARENITE_ASSIGN_OR_RETURN(bool ok, tx.Exists("SELECT 1 FROM lifecycle_phases WHERE guid = ? "
                                                  "AND workspace_guid = ? AND active = 1",
                                                  {*phase, ctx.workspace}));
      if (!ok) {
        return BadRequest("The Item lifecycle phase with guid \"" + *phase + "\" is not active.",
                          kErrInactivePhase);
      }
    }
    ARENITE_ASSIGN_OR_RETURN(Json before, LoadChangeItem(tx, assoc));
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("UPDATE change_items SET new_revision_number = ?, new_phase_guid = COALESCE(?, "
                "new_phase_guid) WHERE guid = ?",
                {*rev_number, store::Nullable(phase), assoc}));
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("UPDATE changes SET updated_at = ? WHERE guid = ?", {ctx.now, guid}));
    ARENITE_ASSIGN_OR_RETURN(out, LoadChangeItem(tx, assoc));
    ARENITE_RETURN_IF_ERROR(RecordEvent(tx, ctx.workspace, kChangeUpdated, "CHANGE_ITEM", guid,
                                        ctx.actor, before, out, ctx.now));
    return OkStatus();
  }));
  return out;
}

Status Plm::DeleteChangeItem(const Ctx& ctx, const std::string& guid, const std::string& assoc) {
  return store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(std::string status, ChangeItemStatus(tx, ctx.workspace, guid, assoc));
    if (status != kOpenUnlocked) {
      return Conflict("Items can be deleted only when the change is Open and Unlocked.",
                      kErrChangeNotOpen);
    }
    ARENITE_ASSIGN_OR_RETURN(Json before, LoadChangeItem(tx, assoc));
    ARENITE_RETURN_IF_ERROR(tx.Exec("DELETE FROM change_items WHERE guid = ?", {assoc}));
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("UPDATE changes SET updated_at = ? WHERE guid = ?", {ctx.now, guid}));
    ARENITE_RETURN_IF_ERROR(RecordEvent(tx, ctx.workspace, kChangeUpdated, "CHANGE_ITEM", guid,
                                        ctx.actor, before, nullptr, ctx.now));
    return OkStatus();
  });
}

Status Plm::DeleteChange(const Ctx& ctx, const std::string& guid) {
  return store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(Json before, LoadChange(tx, ctx.workspace, guid));
    std::string status = before["lifecycleStatus"]["type"].get<std::string>();
    if (status != kOpenUnlocked && status != kCanceled && status != kRejected) {
      return Conflict("Only Open and Unlocked, Canceled or Rejected changes can be deleted.",
                      kErrChangeLocked);
    }
    ARENITE_RETURN_IF_ERROR(tx.Exec("DELETE FROM changes WHERE guid = ?", {guid}));
    ARENITE_RETURN_IF_ERROR(RecordEvent(tx, ctx.workspace, kChangeDeleted, "CHANGE", guid,
                                        ctx.actor, before, nullptr, ctx.now));
    return OkStatus();
  });
}

Result<Json> Plm::ChangeStatus(const Ctx& ctx, const Json& body) {
  ARENITE_RETURN_IF_ERROR(json::RejectUnknownFields(
      body, {"change", "status", "comment", "administrators", "implementationStatus"}));
  ARENITE_ASSIGN_OR_RETURN(auto guid, json::OptionalGuidRef(body, "change"));
  if (!guid) return BadRequest("The attribute \"change\" is required.", kErrMissingField);
  ARENITE_ASSIGN_OR_RETURN(auto requested, json::OptionalString(body, "status", 40));
  if (!requested) {
    return BadRequest(
        "The attribute \"status\" is required and the value must not be null in "
        "the payload.",
        kErrStatusRequired);
  }
  ARENITE_ASSIGN_OR_RETURN(auto comment, json::OptionalString(body, "comment", 4000));
  std::optional<std::string> implementation;
  if (auto it = body.find("implementationStatus"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return BadRequest("field 'implementationStatus' must be {\"value\"}");
    ARENITE_ASSIGN_OR_RETURN(implementation, json::OptionalString(*it, "value", 40));
    if (implementation && !ValidImplementationStatus(*implementation)) {
      return InvalidImplementationStatus();
    }
  }
  Json out;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(Json before, LoadChange(tx, ctx.workspace, *guid));
    std::string from = before["lifecycleStatus"]["type"].get<std::string>();
    std::string effectivity = before["effectivityType"].get<std::string>();
    ARENITE_ASSIGN_OR_RETURN(std::string to, NextChangeStatus(from, *requested, effectivity));
    std::optional<int64_t> planned = PlannedDate(before);
    // An approval on or after the planned date ends EFFECTIVE in this same request (below).
    bool ends_effective = to == kApproved && effectivity == "PERMANENT_ON_DATE" &&
                          PlannedDateReached(planned, ctx.now, /*scheduled=*/true);
    if (implementation && to != kCompleted && to != kEffective && to != kExpired &&
        !ends_effective) {
      return BadRequest(
          "Currently, implementationStatus can only be updated when transitioning into the "
          "following change lifecycle statuses: COMPLETED, EFFECTIVE, and EXPIRED.",
          kErrImplementationStatusMove);
    }
    if (from == kApproved && to == kEffective &&
        !PlannedDateReached(planned, ctx.now, /*scheduled=*/false)) {
      return Conflict("The change becomes effective on its effectivityPlannedDateTime " +
                          FormatDateTime(*planned) + ", not before.",
                      kErrIllegalTransition);
    }
    ARENITE_ASSIGN_OR_RETURN(Json after,
                             ApplyStatus(tx, ctx, *guid, before, from, to, implementation));
    // Approved on or after its planned date: effective at once, by the same move the
    // effectivity scheduler makes (and with its actor), in this same transaction.
    if (to == kApproved && effectivity == "PERMANENT_ON_DATE" &&
        PlannedDateReached(planned, ctx.now, /*scheduled=*/true)) {
      Ctx system{ctx.workspace, "", kSystemActor, ctx.now};
      ARENITE_ASSIGN_OR_RETURN(
          after, ApplyStatus(tx, system, *guid, after, kApproved, kEffective, std::nullopt));
      to = kEffective;
    }
    // A deviation approved on or after its expiration date expires at once, by the move the
    // scheduler would make a moment later.
    std::optional<int64_t> expiration = DateOf(before, "expirationDateTime");
    if (to == kEffective && from == kSubmitted && effectivity == "TEMPORARY" && expiration &&
        *expiration <= ctx.now) {
      Ctx system{ctx.workspace, "", kSystemActor, ctx.now};
      ARENITE_ASSIGN_OR_RETURN(
          after, ApplyStatus(tx, system, *guid, after, kEffective, kExpired, std::nullopt));
      to = kExpired;
    }
    out = {{"change", {{"guid", *guid}, {"number", after["number"]}}},
           {"status", to},
           {"comment", comment ? Json(*comment) : Json()}};
    if (implementation) out["implementationStatus"] = {{"value", *implementation}};
    return OkStatus();
  }));
  return out;
}

Result<std::vector<DueChange>> Plm::DueChanges(int64_t limit,
                                               const std::optional<DueChange>& after) {
  std::vector<DueChange> out;
  // Keyset paging on (date, guid): a page of changes that cannot be moved yet (in a retry's
  // back-off) never hides the ones due after them. A change is in one part at most: the two
  // parts ask for different statuses.
  int64_t after_at = after ? after->at : std::numeric_limits<int64_t>::min();
  std::string after_guid = after ? after->guid : "";
  int64_t now = clock_.Now();
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    return tx.Query(
        "SELECT workspace_guid, guid, due_at, expires FROM (SELECT workspace_guid, guid, "
        "effectivity_planned AS due_at, 0 AS expires FROM changes WHERE status = 'APPROVED' AND "
        "effectivity_planned <= ? AND effectivity_type = 'PERMANENT_ON_DATE' UNION ALL SELECT "
        "workspace_guid, guid, expiration AS due_at, 1 AS expires FROM changes WHERE status = "
        "'EFFECTIVE' AND expiration <= ? AND effectivity_type = 'TEMPORARY') due WHERE due_at > ? "
        "OR (due_at = ? AND guid > ?) ORDER BY due_at, guid LIMIT ?",
        {now, now, after_at, after_at, after_guid, limit}, [&](const store::Row& row) {
          out.push_back({row.String(0), row.String(1), row.Int(2), row.Int(3) != 0});
          return true;
        });
  }));
  return out;
}

Result<bool> Plm::MoveIfDue(const DueChange& due) {
  bool moved = false;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    moved = false;
    Ctx ctx{due.workspace, "", kSystemActor, clock_.Now()};
    auto before = LoadChange(tx, ctx.workspace, due.guid);
    if (!before.ok()) {
      if (before.error().status == 404) return OkStatus();  // deleted meanwhile
      return before.error();
    }
    // Read again inside the write, by the same test as DueChanges (on the stored columns, not
    // on the rendered answer): moved, re-dated or deleted since then is not due.
    ARENITE_ASSIGN_OR_RETURN(
        auto still_due,
        due.expires
            ? tx.QueryInt("SELECT COUNT(*) FROM changes WHERE guid = ? AND workspace_guid = ? AND "
                          "status = 'EFFECTIVE' AND effectivity_type = 'TEMPORARY' AND "
                          "expiration <= ?",
                          {due.guid, due.workspace, ctx.now})
            : tx.QueryInt("SELECT COUNT(*) FROM changes WHERE guid = ? AND workspace_guid = ? AND "
                          "status = 'APPROVED' AND effectivity_type = 'PERMANENT_ON_DATE' AND "
                          "effectivity_planned <= ?",
                          {due.guid, due.workspace, ctx.now}));
    if (still_due.value_or(0) == 0) return OkStatus();
    ARENITE_RETURN_IF_ERROR(ApplyStatus(tx, ctx, due.guid, *before,
                                        due.expires ? kEffective : kApproved,
                                        due.expires ? kExpired : kEffective, std::nullopt));
    moved = true;
    return OkStatus();
  }));
  return moved;
}

}  // namespace arenite::plm
