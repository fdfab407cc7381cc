// Feeds arbitrary bytes to the request path of the server: Beast's parser with arenite's
// limits, then target, query, cookie and form parsing and routing, as the server does them.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <cstdint>
#include <string_view>

#include "http/request.h"
#include "http/router.h"

namespace bhttp = boost::beast::http;
using arenite::http::Request;

static const arenite::http::Router& TheRouter() {
  static arenite::http::Router* router = [] {
    auto* r = new arenite::http::Router();
    auto ok = [](Request&) { return arenite::http::Reply{}; };
    r->Add("GET", "/v1/items/{guid}", ok);
    r->Add("POST", "/v1/changes/statuschanges", ok);
    r->Add("GET", "/v1/changes/{guid}/items", ok);
    return r;
  }();
  return *router;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(64 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_header_done()) return 0;

  auto& raw = parser.get();
  Request request;
  request.method = std::string(raw.method_string());
  for (const auto& field : raw) {
    request.headers.Add(std::string(field.name_string()), std::string(field.value()));
  }
  if (!arenite::http::ParseTarget(std::string_view(raw.target().data(), raw.target().size()),
                                  request)
           .ok()) {
    return 0;
  }
  (void)request.Cookie("arenite_session");
  (void)request.Query("limit");
  (void)arenite::http::ParseForm(raw.body());
  int status = 0;
  std::string allow;
  (void)TheRouter().Match(request, &status, &allow);
  return 0;
}
