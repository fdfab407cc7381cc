// Decoding of JSON request bodies: a parse that refuses hostile nesting and size, and typed
// field readers that turn a wrong type or a missing field into a 400 naming the field. Every
// function is pure and thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace arenite::json {

using Json = nlohmann::json;

inline constexpr int kMaxDepth = 32;

// Parses a request body that must be a JSON object. Empty bodies, invalid UTF-8, nesting deeper
// than kMaxDepth and non-object roots are 400 errors.
Result<Json> ParseObject(std::string_view body);
// Parses any JSON text with the same limits.
Result<Json> Parse(std::string_view body);

// Field readers. `obj` must be an object. A present field of the wrong type is an error; the
// Opt* readers give nullopt for an absent field or a JSON null.
Result<std::string> RequiredString(const Json& obj, std::string_view key, size_t max_len = 4096);
Result<std::optional<std::string>> OptionalString(const Json& obj, std::string_view key,
                                                  size_t max_len = 4096);
Result<std::optional<int64_t>> OptionalInt(const Json& obj, std::string_view key, int64_t min,
                                           int64_t max);
Result<std::optional<double>> OptionalNumber(const Json& obj, std::string_view key);
Result<std::optional<bool>> OptionalBool(const Json& obj, std::string_view key);
Result<std::optional<std::vector<std::string>>> OptionalStringArray(const Json& obj,
                                                                    std::string_view key,
                                                                    size_t max_items = 100,
                                                                    size_t max_len = 2048);
// A reference to another object, written {"guid":"..."} as Arena does; also accepts a bare guid
// string. Returns the guid, checked for form.
Result<std::optional<std::string>> OptionalGuidRef(const Json& obj, std::string_view key);

// The string at obj[key], or `fallback` when obj is not an object, lacks the key, or holds
// something else there. Never throws, unlike nlohmann's value() on a wrong type.
std::string StringOr(const Json& obj, std::string_view key, std::string_view fallback = "");

// Refuses a body holding a key outside `allowed`, so that typos are not silently ignored.
Status RejectUnknownFields(const Json& obj, const std::vector<std::string_view>& allowed);

}  // namespace arenite::json
