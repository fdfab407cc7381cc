#include "http/request.h"

#include "core/percent.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <strings.h>

namespace arenite::http {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

Result<std::vector<std::pair<std::string, std::string>>> ParsePairs(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!text.empty()) {
    size_t amp = text.find('&');
    std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto name = PercentDecode(pair.substr(0, eq), true);
    auto value = PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!name || !value) return BadRequest("malformed percent-encoding in the query or form");
    out.emplace_back(std::move(*name), std::move(*value));
    if (out.size() > 1000) return BadRequest("too many query or form parameters");
  }
  return out;
}

}  // namespace

std::optional<std::string_view> Headers::Get(std::string_view name) const {
  for (const auto& [n, v] : all_) {
    if (EqualsIgnoreCase(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

size_t Headers::Count(std::string_view name) const {
  size_t n = 0;
  for (const auto& [field, unused] : all_) n += EqualsIgnoreCase(field, name) ? 1 : 0;
  return n;
}

void Headers::Set(std::string name, std::string value) {
  for (auto& [n, v] : all_) {
    if (EqualsIgnoreCase(n, name)) {
      v = std::move(value);
      return;
    }
  }
  all_.emplace_back(std::move(name), std::move(value));
}

void Headers::Add(std::string name, std::string value) {
  all_.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string> Request::Query(std::string_view name) const {
  for (const auto& [n, v] : query) {
    if (n == name) return v;
  }
  return std::nullopt;
}

std::optional<std::string> Request::Cookie(std::string_view name) const {
  auto header = headers.Get("Cookie");
  if (!header) return std::nullopt;
  std::string_view rest = *header;
  while (!rest.empty()) {
    size_t semi = rest.find(';');
    std::string_view part = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    if (part.substr(0, eq) == name) return std::string(part.substr(eq + 1));
  }
  return std::nullopt;
}

const std::string& Request::Param(std::string_view name) const {
  static const std::string kEmpty;
  auto it = params.find(name);
  return it == params.end() ? kEmpty : it->second;
}

Status ParseTarget(std::string_view target, Request& request) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return BadRequest("the request target is not a valid URI path");
  request.target = std::string(target);
  request.path = std::string(parsed->encoded_path());
  request.query.clear();
  if (parsed->has_query()) {
    std::string_view q = parsed->encoded_query();
    ARENITE_ASSIGN_OR_RETURN(request.query, ParsePairs(q));
  }
  return OkStatus();
}

Result<std::vector<std::pair<std::string, std::string>>> ParseForm(std::string_view body) {
  return ParsePairs(body);
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Reply JsonReply(int status, const nlohmann::json& body) {
  Reply reply;
  reply.status = status;
  reply.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return reply;
}

Reply ErrorReply(const Error& error) {
  nlohmann::json body = {
      {"status", error.status},
      {"errors", nlohmann::json::array({{{"code", error.code}, {"message", error.message}}})}};
  return JsonReply(error.status, body);
}

Reply TextReply(int status, std::string content_type, std::string body) {
  Reply reply;
  reply.status = status;
  reply.content_type = std::move(content_type);
  reply.body = std::move(body);
  return reply;
}

}  // namespace arenite::http
