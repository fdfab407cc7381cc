// Arena's `criteria` search parameter of the item list: the criteria of Arena's item exports, a
// JSON array of groups joined by "AND" or "OR", each group an array of conditions
// {"attribute", "value", "operator"} joined the same way, compiled into a SQL condition over the
// item (`i`) and its shown revision (`r`) with every value bound as a parameter. An attribute is
// one of Arena's fields below or the guid of one of the workspace's additional item attributes.
#include <algorithm>
#include <array>
#include <map>

#include "core/clock.h"
#include "core/guid.h"
#include "plm/internal.h"
#include "plm/logic.h"

namespace arenite::plm::internal {
namespace {

enum class Kind { kText, kGuid, kTime };

struct Field {
  std::string_view name;
  std::string_view column;
  Kind kind;
};

constexpr std::array<Field, 14> kFields = {{
    {"number", "i.number", Kind::kText},
    {"name", "r.name", Kind::kText},
    {"description", "r.description", Kind::kText},
    {"revisionNumber", "r.revision_number", Kind::kText},
    {"owner.fullName", "r.owner_name", Kind::kText},
    {"creator.fullName", "(SELECT u.full_name FROM users u WHERE u.guid = i.creator_guid)",
     Kind::kText},
    {"creator.email", "(SELECT u.email FROM users u WHERE u.guid = i.creator_guid)", Kind::kText},
    {"guid", "i.guid", Kind::kGuid},
    {"category.guid", "r.category_guid", Kind::kGuid},
    {"lifecyclePhase.guid", "r.phase_guid", Kind::kGuid},
    {"creator.guid", "i.creator_guid", Kind::kGuid},
    {"creationDateTime", "i.created_at", Kind::kTime},
    {"lastModifiedDateTime", "i.updated_at", Kind::kTime},
    {"effectiveDateTime", "r.effective_at", Kind::kTime},
}};

// Bounds on what one request may ask, so that a criteria string cannot make a query of any size.
constexpr int kMaxDepth = 3;
constexpr size_t kMaxConditions = 50;
constexpr size_t kMaxValues = 100;

Error Invalid(const std::string& why) {
  return BadRequest("The criteria parameter is not valid: " + why, kErrInvalidValue);
}

std::string LikeEscaped(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// a < b for two values of the same type (integers, reals or text); false for any other pair.
bool Less(const store::Value& a, const store::Value& b) {
  if (a.index() != b.index()) return false;
  if (auto* x = std::get_if<int64_t>(&a)) return *x < std::get<int64_t>(b);
  if (auto* x = std::get_if<double>(&a)) return *x < std::get<double>(b);
  if (auto* x = std::get_if<std::string>(&a)) return *x < std::get<std::string>(b);
  return false;
}

class Compiler {
 public:
  Compiler(store::Tx& tx, const std::string& ws, std::string* sql, store::Params* params)
      : tx_(tx), ws_(ws), sql_(*sql), params_(*params) {}

  // An array of operands (groups or conditions) with "AND" / "OR" between them; two operands
  // side by side are joined by AND.
  Status List(const Json& list, int depth) {
    if (!list.is_array() || list.empty()) return Invalid("a group must be a non-empty array");
    if (depth > kMaxDepth) return Invalid("groups nest at most 3 deep");
    sql_ += "(";
    bool want_operand = true;
    for (const auto& entry : list) {
      if (entry.is_string()) {
        std::string connector = entry.get<std::string>();
        std::transform(connector.begin(), connector.end(), connector.begin(),
                       [](unsigned char c) { return static_cast<char>(toupper(c)); });
        if (connector != "AND" && connector != "OR") {
          return Invalid("entries are joined by \"AND\" or \"OR\", not \"" +
                         entry.get<std::string>().substr(0, 20) + "\"");
        }
        if (want_operand) return Invalid("\"" + connector + "\" must stand between two entries");
        sql_ += " " + connector + " ";
        want_operand = true;
        continue;
      }
      if (!want_operand) sql_ += " AND ";
      if (entry.is_array()) {
        ARENITE_RETURN_IF_ERROR(List(entry, depth + 1));
      } else if (entry.is_object()) {
        ARENITE_RETURN_IF_ERROR(Condition(entry));
      } else {
        return Invalid("an entry must be a group, a condition, \"AND\" or \"OR\"");
      }
      want_operand = false;
    }
    if (want_operand) return Invalid("a group cannot end with \"AND\" or \"OR\"");
    sql_ += ")";
    return OkStatus();
  }

 private:
  Status Condition(const Json& c) {
    if (++conditions_ > kMaxConditions) return Invalid("at most 50 conditions");
    auto attribute = c.find("attribute");
    auto op_it = c.find("operator");
    if (attribute == c.end() || !attribute->is_string() || op_it == c.end() ||
        !op_it->is_string()) {
      return Invalid("a condition needs \"attribute\" and \"operator\" strings");
    }
    for (const auto& [key, unused] : c.items()) {
      if (key != "attribute" && key != "operator" && key != "value") {
        return Invalid("a condition has only \"attribute\", \"value\" and \"operator\"");
      }
    }
    const std::string& name = attribute->get_ref<const std::string&>();
    auto field = std::find_if(kFields.begin(), kFields.end(),
                              [&](const Field& f) { return f.name == name; });
    std::string additional_type;
    if (field == kFields.end()) {
      ARENITE_ASSIGN_OR_RETURN(additional_type, AdditionalType(name));
      if (additional_type.empty()) {
        return BadRequest("The attribute \"" + name.substr(0, 60) + "\" is not searchable.",
                          kErrNotSearchable);
      }
    }
    const std::string& op = op_it->get_ref<const std::string&>();
    std::vector<std::string> values;
    if (auto v = c.find("value"); v != c.end()) {
      if (v->is_string()) {
        values.push_back(v->get<std::string>());
      } else if (v->is_array() && v->size() <= kMaxValues) {
        for (const auto& one : *v) {
          if (!one.is_string()) return Invalid("values are strings");
          values.push_back(one.get<std::string>());
        }
      } else if (!v->is_null()) {
        return Invalid("a value is a string or an array of at most 100 strings");
      }
    }
    if (!additional_type.empty()) return Additional(name, additional_type, op, values);
    std::string column(field->column);
    if (op == "IS_EMPTY" || op == "IS_NOT_EMPTY") {
      bool empty = op == "IS_EMPTY";
      sql_ += field->kind == Kind::kText
                  ? (empty ? "(" + column + " IS NULL OR " + column + " = '')"
                           : "(" + column + " IS NOT NULL AND " + column + " != '')")
                  : column + (empty ? " IS NULL" : " IS NOT NULL");
      return OkStatus();
    }
    if (values.empty()) return Invalid("the operator " + op.substr(0, 30) + " needs a value");
    switch (field->kind) {
      case Kind::kText:
        return Text(column, op, values);
      case Kind::kGuid:
        for (const auto& v : values) {
          if (!IsGuid(v)) {
            return BadRequest("The guid \"" + v.substr(0, 40) + "\" is not valid.",
                              kErrInvalidGuid);
          }
        }
        return Equality(column, op, values, name);
      case Kind::kTime:
        return Time(column, op, values, name);
    }
    return OkStatus();
  }

  Status Text(const std::string& column, const std::string& op,
              const std::vector<std::string>& values) {
    auto like = [&](const std::string& pattern, bool negated) {
      sql_ += negated ? "(" + column + " IS NULL OR " + column + " NOT LIKE ? ESCAPE '\\')"
                      : column + " LIKE ? ESCAPE '\\'";
      params_.push_back(pattern);
      return OkStatus();
    };
    if (op == "CONTAINS" || op == "DOES_NOT_CONTAIN") {
      if (values.size() != 1) return Invalid(op + " takes one value");
      return like("%" + LikeEscaped(values[0]) + "%", op == "DOES_NOT_CONTAIN");
    }
    if (op == "STARTS_WITH") {
      if (values.size() != 1) return Invalid(op + " takes one value");
      return like(LikeEscaped(values[0]) + "%", false);
    }
    if (op == "ENDS_WITH") {
      if (values.size() != 1) return Invalid(op + " takes one value");
      return like("%" + LikeEscaped(values[0]), false);
    }
    return Equality(column, op, values, "text");
  }

  Status Equality(const std::string& column, const std::string& op,
                  const std::vector<std::string>& values, const std::string& name) {
    return Equality(column, op, store::Params(values.begin(), values.end()), name);
  }

  Status Equality(const std::string& column, const std::string& op, const store::Params& values,
                  const std::string& name) {
    bool in = op == "IS_IN" || op == "IS_NOT_IN";
    bool negated = op == "IS_NOT_EQUAL_TO" || op == "IS_NOT_IN";
    if (!in && op != "IS_EQUAL_TO" && op != "IS_NOT_EQUAL_TO") {
      return Invalid("the operator " + op.substr(0, 30) + " does not apply to " + name);
    }
    if (!in && values.size() != 1) return Invalid(op + " takes one value");
    std::string marks;
    for (const auto& v : values) {
      marks += marks.empty() ? "?" : ", ?";
      params_.push_back(v);
    }
    sql_ += negated ? "(" + column + " IS NULL OR " + column + " NOT IN (" + marks + "))"
                    : column + " IN (" + marks + ")";
    return OkStatus();
  }

  Status Time(const std::string& column, const std::string& op,
              const std::vector<std::string>& values, const std::string& name) {
    // Filled in place: GCC 12 warns, wrongly, of an uninitialized string when a variant holding
    // a number is pushed.
    store::Params times(values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      auto t = ParseDateTime(values[i]);
      if (!t) {
        return Invalid("\"" + values[i].substr(0, 40) +
                       "\" is not a date-time like 2026-12-03T09:41:15Z");
      }
      times[i] = *t;
    }
    return Ordered(column, op, std::move(times), "IS_BEFORE", "IS_AFTER", name);
  }

  // The comparisons of an ordered column with values already checked and of one type (all
  // integers, all reals or all text of one form): = and != (NULL counts as different), the
  // operators named `less` and `greater`, and IS_BETWEEN, whose two bounds may come in any order.
  Status Ordered(const std::string& column, const std::string& op, store::Params values,
                 std::string_view less, std::string_view greater, const std::string& name) {
    if (op != "IS_BETWEEN" && op != "IS_NOT_EQUAL_TO" && op != "IS_EQUAL_TO" && op != less &&
        op != greater) {
      return Invalid("the operator " + op.substr(0, 30) + " does not apply to " + name);
    }
    size_t wanted = op == "IS_BETWEEN" ? 2 : 1;
    if (values.size() != wanted) {
      return Invalid(op + " takes " + std::to_string(wanted) +
                     (wanted == 1 ? " value" : " values"));
    }
    if (op == "IS_BETWEEN") {
      if (Less(values[1], values[0])) std::swap(values[0], values[1]);
      sql_ += column + " BETWEEN ? AND ?";
      params_.push_back(std::move(values[0]));
      params_.push_back(std::move(values[1]));
      return OkStatus();
    }
    if (op == "IS_NOT_EQUAL_TO") {
      sql_ += "(" + column + " IS NULL OR " + column + " != ?)";
      params_.push_back(std::move(values[0]));
      return OkStatus();
    }
    sql_ += column + (op == "IS_EQUAL_TO" ? " = ?" : op == less ? " < ?" : " > ?");
    params_.push_back(std::move(values[0]));
    return OkStatus();
  }

  // The field type of the workspace's additional item attribute `guid`, or "" when there is
  // none (or `guid` is not a guid at all).
  Result<std::string> AdditionalType(const std::string& guid) {
    if (!IsGuid(guid)) return std::string();
    if (auto known = additional_types_.find(guid); known != additional_types_.end()) {
      return known->second;
    }
    ARENITE_ASSIGN_OR_RETURN(std::string type, AttributeType(tx_, ws_, "ITEM", guid));
    additional_types_[guid] = type;
    return type;
  }

  // A condition on an additional attribute's value in the revision's attributes, by its type:
  // text and drop-downs as text; numbers with IS_LESS_THAN, IS_GREATER_THAN and IS_IN; booleans
  // "true" or "false"; dates by the day ("2019-04-01") or by the instant, as the attribute's
  // own search parameter takes them.
  Status Additional(const std::string& guid, const std::string& type, const std::string& op,
                    const std::vector<std::string>& values) {
    // The guid is 20 letters and digits (IsGuid), so the JSON path needs no quoting.
    std::string column = "json_extract(r.attributes_json, '$." + guid + "')";
    bool text =
        type == "SINGLE_LINE_TEXT" || type == "MULTI_LINE_TEXT" || type == "FIXED_DROP_DOWN";
    if (op == "IS_EMPTY" || op == "IS_NOT_EMPTY") {
      bool empty = op == "IS_EMPTY";
      sql_ += text ? (empty ? "(" + column + " IS NULL OR " + column + " = '')"
                            : "(" + column + " IS NOT NULL AND " + column + " != '')")
                   : column + (empty ? " IS NULL" : " IS NOT NULL");
      return OkStatus();
    }
    if (values.empty()) return Invalid("the operator " + op.substr(0, 30) + " needs a value");
    std::string name = "the attribute " + guid;
    auto invalid = [&](const std::string& value, std::string_view want) {
      return Invalid("\"" + value.substr(0, 40) + "\" is not " + std::string(want) + " for " +
                     name);
    };
    if (text) return Text(column, op, values);
    store::Params typed(values.size());  // filled in place, as in Time
    if (type == "NUMBER") {
      for (size_t i = 0; i < values.size(); ++i) {
        auto number = NumberFromText(values[i]);
        if (!number) return invalid(values[i], "a number");
        typed[i] = *number;
      }
      if (op == "IS_IN" || op == "IS_NOT_IN") return Equality(column, op, typed, name);
      return Ordered(column, op, std::move(typed), "IS_LESS_THAN", "IS_GREATER_THAN", name);
    }
    if (type == "BOOLEAN") {
      for (size_t i = 0; i < values.size(); ++i) {
        const std::string& v = values[i];
        if (v != "true" && v != "false") return invalid(v, "true or false");
        typed[i] = int64_t{v == "true" ? 1 : 0};
      }
      return Equality(column, op, typed, name);
    }
    if (type == "DATE") {
      // All days, compared with the day of the stored instant, or all instants.
      bool days = values[0].size() == 10;
      for (size_t i = 0; i < values.size(); ++i) {
        const std::string& v = values[i];
        if ((v.size() == 10) != days) return invalid(v, "of the same form as the first value");
        auto at = ParseDateTime(days ? v + "T00:00:00Z" : v);
        if (!at) return invalid(v, "a day like 2019-04-01 or a date-time");
        typed[i] = days ? v : FormatDateTime(*at);
      }
      if (days) column = "substr(" + column + ", 1, 10)";
      return Ordered(column, op, std::move(typed), "IS_BEFORE", "IS_AFTER", name);
    }
    return BadRequest("The attribute \"" + guid + "\" is not searchable.", kErrNotSearchable);
  }

  store::Tx& tx_;
  const std::string& ws_;
  std::string& sql_;
  store::Params& params_;
  size_t conditions_ = 0;
  std::map<std::string, std::string> additional_types_;  // guid -> field type, "" for none
};

}  // namespace

Status AppendItemCriteria(store::Tx& tx, const std::string& ws, const Json& criteria,
                          std::string* sql, store::Params* params) {
  std::string condition;
  store::Params values;
  Compiler compiler(tx, ws, &condition, &values);
  ARENITE_RETURN_IF_ERROR(compiler.List(criteria, 1));
  *sql += " AND " + condition;
  for (auto& v : values) params->push_back(std::move(v));
  return OkStatus();
}

}  // namespace arenite::plm::internal
