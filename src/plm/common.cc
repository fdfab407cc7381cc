#include <cmath>
#include <cstdlib>
#include <set>

#include "core/clock.h"
#include "core/guid.h"
#include "plm/internal.h"
#include "plm/logic.h"

namespace arenite::plm::internal {

Error NotFoundGuid(const std::string& guid) {
  return MakeError(404, kErrNotFound,
                   "The requested object with guid \"" + guid + "\" is not found.");
}

Json Str(const store::Row& row, int col) {
  if (row.IsNull(col)) return nullptr;
  return row.String(col);
}

Json Num(double v) {
  if (std::floor(v) == v && std::fabs(v) < 9e15) return static_cast<int64_t>(v);
  return v;
}

Json Num(const store::Row& row, int col) {
  if (row.IsNull(col)) return nullptr;
  return Num(row.Real(col));
}

Json Time(const store::Row& row, int col) {
  if (row.IsNull(col)) return nullptr;
  return FormatDateTime(row.Int(col));
}

Json UserRef(const store::Row& row, int col) {
  if (row.IsNull(col)) return nullptr;
  return {{"guid", row.String(col)}, {"email", Str(row, col + 1)}, {"fullName", Str(row, col + 2)}};
}

Json PhaseRef(const store::Row& row, int col) {
  if (row.IsNull(col)) return nullptr;
  return {{"guid", row.String(col)},
          {"name", Str(row, col + 1)},
          {"shortName", Str(row, col + 2)},
          {"stage", Str(row, col + 3)}};
}

Result<bool> PatchString(const Json& body, std::string_view key, size_t max_len, bool setnull,
                         std::optional<std::string>* target) {
  auto it = body.find(key);
  if (it == body.end()) return false;
  if (it->is_null()) {
    if (!setnull) return false;
    target->reset();
    return true;
  }
  ARENITE_ASSIGN_OR_RETURN(auto v, json::OptionalString(body, key, max_len));
  *target = v;
  return true;
}

std::optional<double> NumberFromText(const std::string& text) {
  char* end = nullptr;
  double number = text.empty() ? 0 : std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(number)) return std::nullopt;
  return number;
}

Result<std::optional<double>> LooseNumber(const Json& body, std::string_view key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::optional<double>();
  if (it->is_number()) return std::optional<double>(it->get<double>());
  if (it->is_string()) {
    if (auto v = NumberFromText(it->get_ref<const std::string&>())) return v;
  }
  return BadRequest("field '" + std::string(key) + "' must be a number", kErrBadRequest);
}

Result<bool> PatchNumber(const Json& body, std::string_view key, bool setnull,
                         std::optional<double>* target) {
  auto it = body.find(key);
  if (it == body.end()) return false;
  if (it->is_null()) {
    if (!setnull) return false;
    target->reset();
    return true;
  }
  ARENITE_ASSIGN_OR_RETURN(*target, LooseNumber(body, key));
  return true;
}

namespace {

// The next free number of the format `format` (its prefix and digits already read).
Result<std::string> NextNumberOf(store::Tx& tx, const std::string& ws, const std::string& format,
                                 const std::string& prefix, int64_t digits, bool for_change) {
  for (int attempt = 0; attempt < 10000; ++attempt) {
    ARENITE_ASSIGN_OR_RETURN(
        auto seq, tx.QueryInt("INSERT INTO plm_counters (workspace_guid, name, next) VALUES "
                              "(?, ?, 2) ON CONFLICT (workspace_guid, name) DO UPDATE SET "
                              "next = plm_counters.next + 1 RETURNING next - 1",
                              {ws, "nf:" + format}));
    std::string number = FormatNumber(prefix, static_cast<int>(digits), seq.value_or(1));
    ARENITE_ASSIGN_OR_RETURN(
        bool taken,
        tx.Exists(for_change ? "SELECT 1 FROM changes WHERE workspace_guid = ? AND number = ?"
                             : "SELECT 1 FROM items WHERE workspace_guid = ? AND number = ?",
                  {ws, number}));
    if (!taken) return number;
  }
  return Conflict("The number format has no free number left.", kErrDuplicate);
}

}  // namespace

Result<std::string> NextNumber(store::Tx& tx, const std::string& ws, const std::string& format,
                               bool for_change) {
  std::string prefix;
  int64_t digits = 6;
  bool found = false;
  ARENITE_RETURN_IF_ERROR(
      tx.Query("SELECT prefix, digits FROM number_formats WHERE guid = ? AND workspace_guid = ?",
               {format, ws}, [&](const store::Row& row) {
                 prefix = row.String(0);
                 digits = row.Int(1);
                 found = true;
                 return false;
               }));
  if (!found)
    return BadRequest("The number format \"" + format + "\" is not valid.", kErrNumberFormat);
  return NextNumberOf(tx, ws, format, prefix, digits, for_change);
}

Result<std::string> NextDefaultNumber(store::Tx& tx, const std::string& ws, std::string_view type,
                                      bool for_change) {
  std::string format, prefix;
  int64_t digits = 6;
  bool found = false;
  ARENITE_RETURN_IF_ERROR(
      tx.Query("SELECT guid, prefix, digits FROM number_formats WHERE workspace_guid = ? AND "
               "object_type = ? AND is_default = 1",
               {ws, std::string(type)}, [&](const store::Row& row) {
                 format = row.String(0);
                 prefix = row.String(1);
                 digits = row.Int(2);
                 found = true;
                 return false;
               }));
  if (!found) return Internal("no default number format");
  return NextNumberOf(tx, ws, format, prefix, digits, for_change);
}

Result<std::string> NextChangeNumberWithPrefix(store::Tx& tx, const std::string& ws,
                                               const std::string& prefix) {
  std::string format = "prefix:" + prefix;
  int64_t digits = 6;
  ARENITE_RETURN_IF_ERROR(
      tx.Query("SELECT guid, digits FROM number_formats WHERE workspace_guid = ? AND "
               "object_type = 'CHANGE' AND prefix = ? ORDER BY is_default DESC",
               {ws, prefix}, [&](const store::Row& row) {
                 format = row.String(0);
                 digits = row.Int(1);
                 return false;
               }));
  return NextNumberOf(tx, ws, format, prefix, digits, true);
}

Status CheckUnlocked(store::Tx& tx, const ItemKeys& keys) {
  ARENITE_ASSIGN_OR_RETURN(
      bool locked,
      tx.Exists("SELECT 1 FROM change_items ci JOIN changes ch ON ch.guid = ci.change_guid "
                "WHERE ci.item_guid = ? AND ci.new_rev = ? AND ch.status IN "
                "('OPEN_AND_LOCKED', 'SUBMITTED_FOR_APPROVAL', 'APPROVED')",
                {keys.item, keys.working_rev}));
  if (locked) {
    return Conflict(
        "The working revision of the item is locked by inclusion in at least one "
        "change.",
        kErrLockedByChange);
  }
  return OkStatus();
}

Status TouchItem(store::Tx& tx, const std::string& item, int64_t now) {
  ARENITE_RETURN_IF_ERROR(tx.Exec("UPDATE items SET updated_at = ? WHERE guid = ?", {now, item}));
  return OkStatus();
}

namespace {

bool ValidAttributeValue(const std::string& type, const Json& options, const Json& v) {
  if (type == "SINGLE_LINE_TEXT" || type == "MULTI_LINE_TEXT") {
    return v.is_string() && v.get_ref<const std::string&>().size() <= 4000;
  }
  if (type == "NUMBER") return v.is_number();
  if (type == "BOOLEAN") return v.is_boolean();
  if (type == "DATE") return v.is_string() && ParseDateTime(v.get<std::string>()).has_value();
  if (type == "FIXED_DROP_DOWN") {
    if (!v.is_string() || !options.is_array()) return false;
    for (const auto& o : options) {
      if (o == v) return true;
    }
    return false;
  }
  return false;
}

}  // namespace

Status MergeAttributes(store::Tx& tx, const std::string& ws, std::string_view object_type,
                       const Json& input, Json* values) {
  if (!input.is_array() || input.size() > 200) {
    return BadRequest("field 'additionalAttributes' must be an array of {guid, value}");
  }
  if (!values->is_object()) *values = Json::object();
  for (const auto& entry : input) {
    if (!entry.is_object()) {
      return BadRequest("field 'additionalAttributes' must be an array of {guid, value}");
    }
    auto g = entry.find("guid");
    if (g == entry.end() || !g->is_string()) {
      return BadRequest("Additional attributes must specify a guid.", kErrAttributeNoGuid);
    }
    std::string guid = g->get<std::string>();
    if (!IsGuid(guid)) {
      return BadRequest(
          "The additional attribute guid \"" + guid.substr(0, 40) + "\" is not valid.",
          kErrAttributeGuid);
    }
    std::optional<std::string> type;
    Json options;
    ARENITE_RETURN_IF_ERROR(
        tx.Query("SELECT field_type, options_json FROM attribute_defs WHERE guid = ? AND "
                 "workspace_guid = ? AND object_type = ?",
                 {guid, ws, std::string(object_type)}, [&](const store::Row& row) {
                   type = row.String(0);
                   if (!row.IsNull(1)) options = Json::parse(row.Text(1), nullptr, false);
                   return false;
                 }));
    if (!type) {
      return BadRequest("The additional attribute \"" + guid + "\" is not recognized.",
                        kErrAttributeUnknown);
    }
    auto v = entry.find("value");
    if (v == entry.end() || v->is_null()) {
      values->erase(guid);
      continue;
    }
    if (!ValidAttributeValue(*type, options, *v)) {
      return BadRequest("The value for the additional attribute \"" + guid + "\" is not valid.",
                        kErrAttributeValue);
    }
    // Dates are kept in one form, UTC to the second, so that a search by day or instant
    // compares like with like.
    (*values)[guid] =
        *type == "DATE" ? Json(FormatDateTime(*ParseDateTime(v->get<std::string>()))) : *v;
  }
  return OkStatus();
}

Result<Json> RenderAttributes(store::Tx& tx, const std::string& ws, const Json& values) {
  Json out = Json::array();
  if (!values.is_object() || values.empty()) return out;
  // Only the definitions this object has values for, so that the work follows the object, not
  // the number of attributes the workspace defines.
  std::string sql =
      "SELECT guid, name, field_type FROM attribute_defs WHERE workspace_guid = ? AND guid IN (";
  store::Params params{ws};
  for (auto it = values.begin(); it != values.end(); ++it) {
    sql += params.size() == 1 ? "?" : ", ?";
    params.emplace_back(it.key());
  }
  sql += ") ORDER BY name";
  ARENITE_RETURN_IF_ERROR(tx.Query(sql, params, [&](const store::Row& row) {
    std::string guid = row.String(0);
    auto it = values.find(guid);
    if (it != values.end()) {
      out.push_back({{"guid", guid},
                     {"apiName", guid},
                     {"name", row.String(1)},
                     {"fieldType", row.String(2)},
                     {"value", *it}});
    }
    return true;
  }));
  return out;
}

Result<std::string> AttributeType(store::Tx& tx, const std::string& ws,
                                  std::string_view object_type, const std::string& guid) {
  std::string type;
  ARENITE_RETURN_IF_ERROR(
      tx.Query("SELECT field_type FROM attribute_defs WHERE guid = ? AND workspace_guid = ? AND "
               "object_type = ?",
               {guid, ws, std::string(object_type)}, [&](const store::Row& row) {
                 type = row.String(0);
                 return false;
               }));
  return type;
}

Status AddEmptyAttributes(store::Tx& tx, const std::string& ws, std::string_view object_type,
                          Json* rendered) {
  if (!rendered->is_array()) *rendered = Json::array();
  std::set<std::string> present;
  for (const auto& a : *rendered) present.insert(a["guid"].get<std::string>());
  Json out = Json::array();
  size_t next = 0;  // the next of `rendered`, already in name order
  ARENITE_RETURN_IF_ERROR(tx.Query(
      "SELECT guid, name, field_type FROM attribute_defs WHERE workspace_guid = ? AND "
      "object_type = ? ORDER BY name",
      {ws, std::string(object_type)}, [&](const store::Row& row) {
        std::string guid = row.String(0);
        if (present.count(guid)) return true;
        std::string name = row.String(1);
        while (next < rendered->size() && (*rendered)[next]["name"].get<std::string>() <= name) {
          out.push_back(std::move((*rendered)[next++]));
        }
        out.push_back({{"guid", guid},
                       {"apiName", guid},
                       {"name", std::move(name)},
                       {"fieldType", row.String(2)},
                       {"value", nullptr}});
        return true;
      }));
  while (next < rendered->size()) out.push_back(std::move((*rendered)[next++]));
  *rendered = std::move(out);
  return OkStatus();
}

Json AttributeValues(const Json& rendered) {
  Json values = Json::object();
  if (!rendered.is_array()) return values;
  for (const auto& a : rendered) values[a["guid"].get<std::string>()] = a["value"];
  return values;
}

Status ReadAttributes(store::Tx& tx, const std::string& ws, std::string_view object_type,
                      const Json& body, Json* values) {
  auto it = body.find("additionalAttributes");
  if (it == body.end() || it->is_null()) return OkStatus();
  return MergeAttributes(tx, ws, object_type, *it, values);
}

store::Value AttributesColumn(const Json& values) {
  if (!values.is_object() || values.empty()) return nullptr;
  return values.dump();
}

void AppendTextFilter(const std::optional<std::string>& value, std::string_view column,
                      std::string* sql, store::Params* params) {
  if (!value) return;
  TextMatch m = ParseTextMatch(*value);
  *sql += " AND ";
  *sql += column;
  *sql += m.like ? " LIKE ? ESCAPE '\\'" : " = ?";
  params->push_back(std::move(m.pattern));
}

Status AppendAttributeFilters(store::Tx& tx, const std::string& ws, std::string_view object_type,
                              std::string_view column,
                              const std::vector<std::pair<std::string, std::string>>& filters,
                              std::string* sql, store::Params* params) {
  for (const auto& [guid, value] : filters) {
    ARENITE_ASSIGN_OR_RETURN(auto type, AttributeType(tx, ws, object_type, guid));
    if (type.empty()) {
      return BadRequest("The attribute \"" + guid + "\" is not searchable.", kErrNotSearchable);
    }
    // The guid is 20 letters and digits (IsGuid), so the JSON path needs no quoting.
    std::string expr = "json_extract(" + std::string(column) + ", '$." + guid + "')";
    auto invalid = [&guid] {
      return BadRequest(
          "The search value for the additional attribute \"" + guid + "\" is not valid.",
          kErrInvalidValue);
    };
    if (type == "SINGLE_LINE_TEXT" || type == "MULTI_LINE_TEXT") {
      AppendTextFilter(value, expr, sql, params);
    } else if (type == "FIXED_DROP_DOWN") {
      *sql += " AND " + expr + " IN (";
      size_t start = 0;
      for (bool first = true;; first = false) {
        size_t end = value.find(';', start);
        *sql += first ? "?" : ", ?";
        params->push_back(value.substr(start, end == std::string::npos ? end : end - start));
        if (end == std::string::npos) break;
        start = end + 1;
      }
      *sql += ")";
    } else if (type == "NUMBER") {
      auto number = NumberFromText(value);
      if (!number) return invalid();
      *sql += " AND " + expr + " = ?";
      params->push_back(*number);
    } else if (type == "BOOLEAN") {
      if (value != "true" && value != "false") return invalid();
      *sql += " AND " + expr + " = ?";
      params->push_back(int64_t{value == "true" ? 1 : 0});
    } else if (type == "DATE") {
      if (value.size() == 10 && ParseDateTime(value + "T00:00:00Z")) {
        *sql += " AND substr(" + expr + ", 1, 10) = ?";
        params->push_back(value);
      } else if (auto at = ParseDateTime(value)) {
        *sql += " AND " + expr + " = ?";
        params->push_back(FormatDateTime(*at));
      } else {
        return invalid();
      }
    } else {
      return BadRequest("The attribute \"" + guid + "\" is not searchable.", kErrNotSearchable);
    }
  }
  return OkStatus();
}

}  // namespace arenite::plm::internal
