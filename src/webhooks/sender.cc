#include "webhooks/sender.h"

#include <curl/curl.h>
#include <netdb.h>
#include <strings.h>
#include <sys/socket.h>

#include <boost/url/parse.hpp>

#include <charconv>
#include <chrono>
#include <ctime>

namespace arenite::webhooks {
namespace {

constexpr size_t kMaxReadBody = 64 * 1024;

struct CurlInit {
  CurlInit() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

struct Handle {
  CURL* curl = nullptr;
  Handle() {
    static CurlInit init;
    curl = curl_easy_init();
  }
  ~Handle() {
    if (curl) curl_easy_cleanup(curl);
  }
};

struct Capture {
  size_t keep = kMaxKeptBody;
  std::string body;
  size_t read = 0;
  std::vector<std::pair<std::string, std::string>> headers;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* c = static_cast<Capture*>(user);
  size_t bytes = size * n;
  if (c->body.size() < c->keep) {
    c->body.append(data, std::min(bytes, c->keep - c->body.size()));
  }
  c->read += bytes;
  // Past the read cap, stop: the status is known and the rest is not kept anyway.
  return c->read > std::max(kMaxReadBody, c->keep) ? 0 : bytes;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* c = static_cast<Capture*>(user);
  std::string_view line(data, size * n);
  if (line.substr(0, 5) == "HTTP/") c->headers.clear();  // a new response (e.g. after 100)
  size_t colon = line.find(':');
  if (colon != std::string_view::npos && c->headers.size() < 100) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.remove_suffix(1);
    c->headers.emplace_back(std::string(line.substr(0, colon)), std::string(value.substr(0, 1024)));
  }
  return size * n;
}

// Resolves the host and checks every address; returns the first, or an error.
Result<std::string> ResolveChecked(const AddressPolicy& policy, const std::string& host,
                                   ErrorClass* error_class) {
  std::string bare = host;
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') {
    bare = bare.substr(1, bare.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  int rc = getaddrinfo(bare.c_str(), nullptr, &hints, &result);
  if (rc != 0 || !result) {
    *error_class = ErrorClass::kDns;
    return BadRequest(std::string("cannot resolve the target host: ") + gai_strerror(rc));
  }
  std::string first;
  Status verdict = OkStatus();
  for (addrinfo* a = result; a; a = a->ai_next) {
    char text[NI_MAXHOST];
    if (getnameinfo(a->ai_addr, a->ai_addrlen, text, sizeof text, nullptr, 0, NI_NUMERICHOST) !=
        0) {
      continue;
    }
    // Every address must pass: a name that also resolves to a private address is refused.
    Status s = policy.CheckAddress(text);
    if (!s.ok()) verdict = s;
    if (first.empty()) first = text;
  }
  freeaddrinfo(result);
  if (!verdict.ok() || first.empty()) {
    *error_class = ErrorClass::kPolicy;
    if (verdict.ok()) return BadRequest("the target host has no usable address");
    return std::move(verdict).error();
  }
  return first;
}

ErrorClass Classify(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
      return ErrorClass::kDns;
    case CURLE_OPERATION_TIMEDOUT:
      return ErrorClass::kTimeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return ErrorClass::kTls;
    default:
      return ErrorClass::kConnect;
  }
}

}  // namespace

const char* ErrorClassName(ErrorClass c) {
  switch (c) {
    case ErrorClass::kNone:
      return "";
    case ErrorClass::kPolicy:
      return "policy";
    case ErrorClass::kDns:
      return "dns";
    case ErrorClass::kConnect:
      return "connect";
    case ErrorClass::kTls:
      return "tls";
    case ErrorClass::kTimeout:
      return "timeout";
    case ErrorClass::kHttpStatus:
      return "http_status";
    case ErrorClass::kAuthRejected:
      return "auth_rejected";
  }
  return "";
}

std::optional<int64_t> ParseRetryAfter(std::string_view value, int64_t now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  int64_t seconds = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && ptr == value.data() + value.size()) {
    if (seconds < 0) return std::nullopt;
    return std::min<int64_t>(seconds, 7 * 86400);
  }
  std::tm tm{};
  std::string text(value);
  if (strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) == nullptr) return std::nullopt;
  int64_t when = static_cast<int64_t>(timegm(&tm));
  return std::clamp<int64_t>(when - now, 0, 7 * 86400);
}

Status CheckTarget(const AddressPolicy& policy, std::string_view url) {
  ARENITE_RETURN_IF_ERROR(policy.CheckUrl(url));
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return BadRequest("not an absolute URL");
  ErrorClass ignored = ErrorClass::kNone;
  ARENITE_RETURN_IF_ERROR(ResolveChecked(policy, std::string(parsed->encoded_host()), &ignored));
  return OkStatus();
}

AttemptResult Sender::Post(const OutboundRequest& request) const {
  AttemptResult result;
  auto start = std::chrono::steady_clock::now();
  auto finish = [&](AttemptResult& r) -> AttemptResult& {
    r.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    return r;
  };

  Status url_ok = policy_.CheckUrl(request.url);
  if (!url_ok.ok()) {
    result.error_class = ErrorClass::kPolicy;
    result.error = url_ok.error().message;
    return finish(result);
  }
  auto url = boost::urls::parse_absolute_uri(request.url);
  std::string host(url->encoded_host());
  std::string scheme(url->scheme());
  uint16_t port = url->has_port() ? url->port_number() : (scheme == "https" ? 443 : 80);
  auto address = ResolveChecked(policy_, host, &result.error_class);
  if (!address.ok()) {
    result.error = address.error().message;
    return finish(result);
  }
  result.address = *address;

  thread_local Handle handle;
  CURL* curl = handle.curl;
  if (!curl) {
    result.error_class = ErrorClass::kConnect;
    result.error = "libcurl failed to start";
    return finish(result);
  }
  curl_easy_reset(curl);
  std::string pinned_ip = address->find(':') != std::string::npos ? "[" + *address + "]" : *address;
  std::string bare_host =
      host.size() > 2 && host.front() == '[' ? host.substr(1, host.size() - 2) : host;
  std::string resolve_entry = bare_host + ":" + std::to_string(port) + ":" + pinned_ip;
  curl_slist* resolve = curl_slist_append(nullptr, resolve_entry.c_str());
  // And whatever libcurl makes of the URL's host and port, it connects to the address that
  // was checked, on the port that was checked ("::" matches any host and port).
  std::string connect_entry = "::" + pinned_ip + ":" + std::to_string(port);
  curl_slist* connect_to = curl_slist_append(nullptr, connect_entry.c_str());
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers = curl_slist_append(headers, (name + ": " + value).c_str());
  }
  headers = curl_slist_append(headers, "Expect:");
  Capture capture;
  capture.keep = request.max_body;
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_RESOLVE, resolve);
  curl_easy_setopt(curl, CURLOPT_CONNECT_TO, connect_to);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, policy_.allow_http() ? "http,https" : "https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout_ms));
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "arenite-webhooks/1");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &capture);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &capture);
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_slist_free_all(resolve);
  curl_slist_free_all(connect_to);

  result.body_truncated = capture.read > capture.body.size();
  result.response_body = std::move(capture.body);
  result.response_headers = std::move(capture.headers);
  // A write abort past the read cap still has a status: the answer is known.
  if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && status > 0)) {
    result.error_class = Classify(code);
    result.error = curl_easy_strerror(code);
    return finish(result);
  }
  result.status = static_cast<int>(status);
  for (const auto& [name, value] : result.response_headers) {
    if (strcasecmp(name.c_str(), "Retry-After") == 0) {
      result.retry_after_seconds = ParseRetryAfter(value, static_cast<int64_t>(std::time(nullptr)));
    }
  }
  if (status == 401 || status == 403) {
    result.error_class = ErrorClass::kAuthRejected;
    result.error =
        "the target refused the delivery's credentials (HTTP " + std::to_string(status) + ")";
  } else if (status < 200 || status > 299) {
    result.error_class = ErrorClass::kHttpStatus;
    result.error = "the target answered HTTP " + std::to_string(status);
  }
  return finish(result);
}

}  // namespace arenite::webhooks
