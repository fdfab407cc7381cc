#include "api/util.h"

#include <strings.h>

#include <charconv>

#include "core/guid.h"

namespace arenite::api {
namespace {

bool ParseInt(const std::string& text, int64_t* out) {
  if (text.empty() || text.size() > 12) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

Result<Page> ParsePage(const http::Request& request) {
  Page page;
  auto bad = [] {
    return BadRequest("Limit must be 1-400, offset must equal or bigger than 0.",
                      kErrInvalidPagination);
  };
  if (auto offset = request.Query("offset")) {
    if (!ParseInt(*offset, &page.offset) || page.offset < 0) return bad();
  }
  if (auto limit = request.Query("limit")) {
    if (!ParseInt(*limit, &page.limit) || page.limit < 1 || page.limit > kMaxPageSize) {
      return bad();
    }
  }
  return page;
}

Result<json::Json> JsonBody(const http::Request& request) {
  auto type = request.Header("Content-Type");
  std::string_view media = type ? *type : std::string_view();
  media = media.substr(0, media.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  if (media.size() != 16 || strncasecmp(media.data(), "application/json", 16) != 0) {
    return MakeError(415, kErrUnsupportedMediaType,
                     "the request body must be JSON, sent with Content-Type: application/json");
  }
  return json::ParseObject(request.body);
}

Result<std::string> GuidParam(const http::Request& request, std::string_view name) {
  const std::string& value = request.Param(name);
  if (!IsGuid(value)) {
    return BadRequest("The guid \"" + value.substr(0, 40) + "\" is not valid.", kErrInvalidGuid);
  }
  return value;
}

http::Reply ListReply(json::Json results) {
  size_t count = results.size();
  return http::JsonReply(200, json::Json{{"count", count}, {"results", std::move(results)}});
}

}  // namespace arenite::api
