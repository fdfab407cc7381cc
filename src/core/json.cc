#include "core/json.h"

#include <fmt/format.h>

#include "core/guid.h"

namespace arenite::json {
namespace {

// The nesting depth of the JSON text, counted outside strings, stopping early past `limit`.
int Depth(std::string_view text, int limit) {
  int depth = 0, max = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      max = std::max(max, ++depth);
      if (max > limit) return max;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return max;
}

Error FieldError(std::string_view key, std::string_view what, int code = kErrInvalidValue) {
  return BadRequest(fmt::format("field '{}' {}", key, what), code);
}

const Json* Field(const Json& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

}  // namespace

Result<Json> Parse(std::string_view body) {
  if (body.empty()) return BadRequest("the request body is empty; JSON expected", kErrInvalidJson);
  if (Depth(body, kMaxDepth) > kMaxDepth) {
    return BadRequest(fmt::format("JSON nested deeper than {} levels", kMaxDepth), kErrInvalidJson);
  }
  Json parsed = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded())
    return BadRequest("the request body is not valid JSON", kErrInvalidJson);
  return parsed;
}

Result<Json> ParseObject(std::string_view body) {
  ARENITE_ASSIGN_OR_RETURN(Json parsed, Parse(body));
  if (!parsed.is_object())
    return BadRequest("the request body must be a JSON object", kErrInvalidJson);
  return parsed;
}

Result<std::string> RequiredString(const Json& obj, std::string_view key, size_t max_len) {
  ARENITE_ASSIGN_OR_RETURN(auto value, OptionalString(obj, key, max_len));
  if (!value) return FieldError(key, "is required", kErrMissingField);
  return std::move(*value);
}

Result<std::optional<std::string>> OptionalString(const Json& obj, std::string_view key,
                                                  size_t max_len) {
  const Json* f = Field(obj, key);
  if (!f) return std::optional<std::string>();
  if (!f->is_string()) return FieldError(key, "must be a string");
  const auto& s = f->get_ref<const std::string&>();
  if (s.size() > max_len) return FieldError(key, fmt::format("is longer than {} bytes", max_len));
  return std::optional<std::string>(s);
}

Result<std::optional<int64_t>> OptionalInt(const Json& obj, std::string_view key, int64_t min,
                                           int64_t max) {
  const Json* f = Field(obj, key);
  if (!f) return std::optional<int64_t>();
  int64_t v;
  if (f->is_number_integer()) {
    if (f->is_number_unsigned() && f->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return FieldError(key, fmt::format("must be between {} and {}", min, max));
    }
    v = f->get<int64_t>();
  } else if (f->is_number_float() &&
             f->get<double>() == static_cast<double>(static_cast<int64_t>(f->get<double>()))) {
    v = static_cast<int64_t>(f->get<double>());
  } else {
    return FieldError(key, "must be an integer");
  }
  if (v < min || v > max)
    return FieldError(key, fmt::format("must be between {} and {}", min, max));
  return std::optional<int64_t>(v);
}

Result<std::optional<double>> OptionalNumber(const Json& obj, std::string_view key) {
  const Json* f = Field(obj, key);
  if (!f) return std::optional<double>();
  if (!f->is_number()) return FieldError(key, "must be a number");
  return std::optional<double>(f->get<double>());
}

Result<std::optional<bool>> OptionalBool(const Json& obj, std::string_view key) {
  const Json* f = Field(obj, key);
  if (!f) return std::optional<bool>();
  if (!f->is_boolean()) return FieldError(key, "must be true or false");
  return std::optional<bool>(f->get<bool>());
}

Result<std::optional<std::vector<std::string>>> OptionalStringArray(const Json& obj,
                                                                    std::string_view key,
                                                                    size_t max_items,
                                                                    size_t max_len) {
  const Json* f = Field(obj, key);
  if (!f) return std::optional<std::vector<std::string>>();
  if (!f->is_array()) return FieldError(key, "must be an array of strings");
  if (f->size() > max_items) {
    return FieldError(key, fmt::format("has more than {} entries", max_items));
  }
  std::vector<std::string> out;
  for (const Json& e : *f) {
    if (!e.is_string()) return FieldError(key, "must be an array of strings");
    if (e.get_ref<const std::string&>().size() > max_len) {
      return FieldError(key, fmt::format("has an entry longer than {} bytes", max_len));
    }
    out.push_back(e.get<std::string>());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<std::optional<std::string>> OptionalGuidRef(const Json& obj, std::string_view key) {
  const Json* f = Field(obj, key);
  if (!f) return std::optional<std::string>();
  const Json* guid = f;
  if (f->is_object()) {
    guid = Field(*f, "guid");
    if (!guid) return FieldError(key, "must hold a 'guid'", kErrMissingField);
  }
  if (!guid->is_string() || !IsGuid(guid->get_ref<const std::string&>())) {
    return FieldError(key, "must be {\"guid\":\"<20 characters of 0-9 and A-Z>\"}",
                      kErrInvalidGuid);
  }
  return std::optional<std::string>(guid->get<std::string>());
}

std::string StringOr(const Json& obj, std::string_view key, std::string_view fallback) {
  if (!obj.is_object()) return std::string(fallback);
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return std::string(fallback);
  return it->get<std::string>();
}

Status RejectUnknownFields(const Json& obj, const std::vector<std::string_view>& allowed) {
  for (const auto& [key, value] : obj.items()) {
    bool known = false;
    for (auto a : allowed) known = known || a == key;
    if (!known) {
      return BadRequest(
          fmt::format("unknown field '{}'", key.size() > 64 ? key.substr(0, 64) : key),
          kErrUnknownField);
    }
  }
  return OkStatus();
}

}  // namespace arenite::json
