// Helpers shared by the /v1 handlers: request bodies, paging, guids in paths and the list
// envelope of the Arena API.
#pragma once

#include <cstdint>
#include <string>

#include "core/json.h"
#include "core/result.h"
#include "http/request.h"

namespace arenite::api {

struct Page {
  int64_t offset = 0;
  int64_t limit = 20;
};

inline constexpr int64_t kMaxPageSize = 400;

// ?offset= (>= 0, default 0) and ?limit= (1 to 400, default 20); anything else is 400/3041.
Result<Page> ParsePage(const http::Request& request);

// The body as a JSON object; requires Content-Type application/json (415 otherwise).
Result<json::Json> JsonBody(const http::Request& request);

// The path parameter `name`, which must be a guid (400/3011 otherwise).
Result<std::string> GuidParam(const http::Request& request, std::string_view name);

// {"count": N, "results": [...]}
http::Reply ListReply(json::Json results);

// Runs `fn` and renders its Result: the value as JSON with `status`, or the error body.
template <typename Fn>
http::Reply Respond(int status, Fn&& fn) {
  auto result = fn();
  if (!result.ok()) return http::ErrorReply(result.error());
  return http::JsonReply(status, result.value());
}

}  // namespace arenite::api
