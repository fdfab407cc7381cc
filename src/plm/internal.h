// Helpers shared by the plm/*.cc files: row rendering, field patches, numbering and item
// loading. Internal to the plm component; stateless and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "plm/plm.h"
#include "store/store.h"

namespace arenite::plm::internal {

Error NotFoundGuid(const std::string& guid);

// A JSON value from a nullable column.
Json Str(const store::Row& row, int col);
Json Num(const store::Row& row, int col);  // integral doubles render as integers
Json Num(double v);
Json Time(const store::Row& row, int col);
// {guid, email, fullName} of a user, or null; the three columns start at `col`.
Json UserRef(const store::Row& row, int col);
// {guid, name, shortName, stage} of a lifecycle phase, or null; the four columns start at `col`.
Json PhaseRef(const store::Row& row, int col);

// A PUT field: absent leaves `target` alone and returns false; a value sets it; null clears it
// when `setnull` (Arena's ?setnull=true) and is ignored otherwise.
Result<bool> PatchString(const Json& body, std::string_view key, size_t max_len, bool setnull,
                         std::optional<std::string>* target);
Result<bool> PatchNumber(const Json& body, std::string_view key, bool setnull,
                         std::optional<double>* target);
// A number that Arena also accepts as a quoted string ("5000").
Result<std::optional<double>> LooseNumber(const Json& body, std::string_view key);

// The next number of a number format, skipping numbers already taken by items or changes.
Result<std::string> NextNumber(store::Tx& tx, const std::string& ws, const std::string& format,
                               bool for_change);
// NextNumber of the default format of ITEM or CHANGE objects, read with it in one look-up.
Result<std::string> NextDefaultNumber(store::Tx& tx, const std::string& ws, std::string_view type,
                                      bool for_change);
// The next change number under `prefix` (Arena's numberSequencePrefix, "ECO-"): from the CHANGE
// number format with that prefix when there is one, else from a sequence of its own, of six
// digits.
Result<std::string> NextChangeNumberWithPrefix(store::Tx& tx, const std::string& ws,
                                               const std::string& prefix);

// SELECT ... FROM item_revisions r JOIN items i ... (ends with a space; add WHERE), and the
// renderer of its rows; `attributes` (may be null) receives the raw custom attribute values.
extern const char kItemSelect[];
Json ItemRow(const store::Row& row, Json* attributes);

// The item JSON of a revision; `guid` may be an item guid (its effective revision, else its
// working one) or a revision guid. 404 when neither.
Result<Json> LoadItem(store::Tx& tx, const std::string& ws, const std::string& guid);
// The item JSON of a given revision guid.
Result<Json> LoadRevision(store::Tx& tx, const std::string& ws, const std::string& rev);

struct ItemKeys {
  std::string item;
  std::string working_rev;
  std::optional<std::string> effective_rev;
  std::string shown_rev;  // the revision `guid` designates
};
// Resolves an item or revision guid.
Result<ItemKeys> ResolveItem(store::Tx& tx, const std::string& ws, const std::string& guid);

// {guid, number, name, revisionNumber, revisionStatus} of an item's effective revision (or the
// working one while unreleased).
Result<Json> ItemRef(store::Tx& tx, const std::string& item_guid);

// Typed custom attribute values: `input` is Arena's [{guid, value}], merged into `values`
// ({defGuid: value}); `Render` gives Arena's additionalAttributes array.
Status MergeAttributes(store::Tx& tx, const std::string& ws, std::string_view object_type,
                       const Json& input, Json* values);
Result<Json> RenderAttributes(store::Tx& tx, const std::string& ws, const Json& values);
// The field type of the workspace's attribute `guid` of `object_type`, or "" when it has none.
Result<std::string> AttributeType(store::Tx& tx, const std::string& ws,
                                  std::string_view object_type, const std::string& guid);
// The number that is the whole of `text` (finite, as strtod reads it), or nullopt.
std::optional<double> NumberFromText(const std::string& text);
// The one row of `select` + "WHERE guid = ? AND workspace_guid = ?" as `render` makes it, or
// 404 for a guid the workspace does not have.
template <typename Render>
Result<Json> GetOne(store::Store& store, const char* select, const std::string& ws,
                    const std::string& guid, Render render) {
  Json out;
  ARENITE_RETURN_IF_ERROR(store.Read([&](store::Tx& tx) {
    return tx.Query(std::string(select) + "WHERE guid = ? AND workspace_guid = ?", {guid, ws},
                    [&](const store::Row& row) {
                      out = render(row);
                      return false;
                    });
  }));
  if (out.is_null()) return NotFoundGuid(guid);
  return out;
}
// Adds to `rendered` (RenderAttributes' array) the workspace's attributes of `object_type` that
// it lacks, with a null value, keeping the order by name.
Status AddEmptyAttributes(store::Tx& tx, const std::string& ws, std::string_view object_type,
                          Json* rendered);
// The {defGuid: value} object behind a rendered additionalAttributes array.
Json AttributeValues(const Json& rendered);
// Merges the body's additionalAttributes, when it has them, into `values`.
Status ReadAttributes(store::Tx& tx, const std::string& ws, std::string_view object_type,
                      const Json& body, Json* values);
// The attributes_json column's value for `values`: NULL when there are none.
store::Value AttributesColumn(const Json& values);
// Appends " AND ..." to `sql` for each search by additional attribute, on the attributes_json
// column `column`. Text takes Arena's `*`; FIXED_DROP_DOWN values separated by `;` are
// alternatives; a DATE matches a day (2019-04-01) or an instant; NUMBER and BOOLEAN compare
// values. A guid that names no attribute of `object_type` is not searchable (3019).
Status AppendAttributeFilters(store::Tx& tx, const std::string& ws, std::string_view object_type,
                              std::string_view column,
                              const std::vector<std::pair<std::string, std::string>>& filters,
                              std::string* sql, store::Params* params);
// Appends " AND column = ?" or " AND column LIKE ?" for an Arena text search value.
void AppendTextFilter(const std::optional<std::string>& value, std::string_view column,
                      std::string* sql, store::Params* params);
// Appends `condition` (" AND column >= ?") to `sql`, with the value, when there is one.
template <typename T>
void AppendCondition(const std::optional<T>& value, std::string_view condition, std::string* sql,
                     store::Params* params) {
  if (!value) return;
  *sql += condition;
  params->push_back(*value);
}

// 409 (3066) when the item's working revision is in a change that is locked, submitted or
// approved: such a change is about to release exactly what it holds.
Status CheckUnlocked(store::Tx& tx, const ItemKeys& keys);

// Touches the item's lastModifiedDateTime.
Status TouchItem(store::Tx& tx, const std::string& item, int64_t now);

// Arena's `criteria` of the item list, as " AND (...)" over the item `i` and its shown revision
// `r`, reading the types of the workspace `ws`'s additional item attributes that it names; 400
// for criteria it cannot read, 3019 for an attribute it cannot search.
Status AppendItemCriteria(store::Tx& tx, const std::string& ws, const Json& criteria,
                          std::string* sql, store::Params* params);

// Sets Arena's modifiedBom, modifiedSourcing, modifiedSpecs and modifiedFiles of `item` (an
// item's answer, its "guid" the item's): what its working revision changed against its
// effective one.
Status AddModifiedFlags(store::Tx& tx, Json* item);

// Gives the workspace its change categories, unless it has some.
Status SeedChangeCategories(store::Tx& tx, const std::string& ws, int64_t now);

}  // namespace arenite::plm::internal
