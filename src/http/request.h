// The HTTP request and reply as handlers see them, independent of the server library, so
// that handlers, the router and the fuzz targets need no Beast headers. A Request belongs to
// one handler call on one thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace arenite::http {

// Header names compare case-insensitively; order is kept.
class Headers {
 public:
  std::optional<std::string_view> Get(std::string_view name) const;
  // How many fields of that name the message has.
  size_t Count(std::string_view name) const;
  void Set(std::string name, std::string value);
  void Add(std::string name, std::string value);
  const std::vector<std::pair<std::string, std::string>>& All() const { return all_; }

 private:
  std::vector<std::pair<std::string, std::string>> all_;
};

struct Request {
  std::string method;                                      // "GET", "POST", ...
  std::string target;                                      // as sent: path and query
  std::string path;                                        // the path part, still percent-encoded
  std::vector<std::pair<std::string, std::string>> query;  // decoded names and values
  Headers headers;
  std::string body;
  std::string remote_address;
  std::string request_id;
  bool secure = true;  // arrived over TLS

  // Filled by the router: the route's pattern (for logs and metrics) and its path parameters.
  std::string route;
  std::map<std::string, std::string, std::less<>> params;
  // Filled by authentication, for the request log line.
  std::string workspace_id;

  std::optional<std::string_view> Header(std::string_view name) const { return headers.Get(name); }
  // The first query parameter of that name.
  std::optional<std::string> Query(std::string_view name) const;
  std::optional<std::string> Cookie(std::string_view name) const;
  const std::string& Param(std::string_view name) const;
};

// Splits a request target (origin form) into path and decoded query. Fails with 400 for a
// target that is not a valid origin-form URI.
Status ParseTarget(std::string_view target, Request& request);

// Parses an application/x-www-form-urlencoded body.
Result<std::vector<std::pair<std::string, std::string>>> ParseForm(std::string_view body);
std::string UrlEncode(std::string_view text);

struct Reply {
  int status = 200;
  std::string content_type = "application/json";
  Headers headers;
  std::string body;
  // When set, the body is this file (or a part of it, for Range requests) instead of `body`.
  std::string file_path;
};

Reply JsonReply(int status, const nlohmann::json& body);
// The error body of docs/ERRORS.md: {"status":N,"errors":[{"code":C,"message":"..."}]}.
Reply ErrorReply(const Error& error);
Reply TextReply(int status, std::string content_type, std::string body);

}  // namespace arenite::http
