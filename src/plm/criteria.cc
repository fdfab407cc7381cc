// Arena's `criteria` search parameter of the item list: the criteria of Arena's item exports, a
// JSON array of groups joined by "AND" or "OR", each group an array of conditions
// {"attribute", "value", "operator"} joined the same way, compiled into a SQL condition over the
// item (`i`) and its shown revision (`r`) with every value bound as a parameter.
#include <algorithm>
#include <array>

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

class Compiler {
 public:
  Compiler(std::string* sql, store::Params* params) : sql_(*sql), params_(*params) {}

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
    if (field == kFields.end()) {
      return BadRequest("The attribute \"" + name.substr(0, 60) + "\" is not searchable.",
                        kErrNotSearchable);
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
    std::vector<int64_t> times;
    for (const auto& v : values) {
      auto t = ParseDateTime(v);
      if (!t)
        return Invalid("\"" + v.substr(0, 40) + "\" is not a date-time like 2026-12-03T09:41:15Z");
      times.push_back(*t);
    }
    size_t wanted = op == "IS_BETWEEN" ? 2 : 1;
    if (times.size() != wanted) {
      return Invalid(op + " takes " + std::to_string(wanted) +
                     (wanted == 1 ? " value" : " values"));
    }
    if (op == "IS_BETWEEN") {
      sql_ += column + " BETWEEN ? AND ?";
      params_.push_back(std::min(times[0], times[1]));
      params_.push_back(std::max(times[0], times[1]));
      return OkStatus();
    }
    if (op == "IS_NOT_EQUAL_TO") {
      sql_ += "(" + column + " IS NULL OR " + column + " != ?)";
      params_.push_back(times[0]);
      return OkStatus();
    }
    const char* comparison = op == "IS_EQUAL_TO" ? " = ?"
                             : op == "IS_BEFORE" ? " < ?"
                             : op == "IS_AFTER"  ? " > ?"
                                                 : nullptr;
    if (!comparison) {
      return Invalid("the operator " + op.substr(0, 30) + " does not apply to " + name);
    }
    sql_ += column + comparison;
    params_.push_back(times[0]);
    return OkStatus();
  }

  std::string& sql_;
  store::Params& params_;
  size_t conditions_ = 0;
};

}  // namespace

Status AppendItemCriteria(const Json& criteria, std::string* sql, store::Params* params) {
  std::string condition;
  store::Params values;
  Compiler compiler(&condition, &values);
  ARENITE_RETURN_IF_ERROR(compiler.List(criteria, 1));
  *sql += " AND " + condition;
  for (auto& v : values) params->push_back(std::move(v));
  return OkStatus();
}

}  // namespace arenite::plm::internal
