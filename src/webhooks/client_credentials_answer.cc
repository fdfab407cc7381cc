// The token request and the reading of its answer, kept apart from TokenSource (which sends
// through libcurl) so that the fuzz target can link the parsing alone.
#include <strings.h>

#include <algorithm>
#include <cmath>

#include "core/crypto.h"
#include "core/json.h"
#include "http/request.h"
#include "webhooks/client_credentials.h"

namespace arenite::webhooks {
namespace {

// RFC 6749 section 5.2: error and error_description are %x20-21 / %x23-5B / %x5D-7E. Anything
// else, or too long, is not shown.
std::string Printable(std::string_view text, size_t max_len) {
  text = text.substr(0, max_len);
  for (unsigned char c : text) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return "";
  }
  return std::string(text);
}

// A token goes into an Authorization header: visible ASCII only, so that a hostile endpoint
// cannot inject header lines.
bool UsableToken(std::string_view token) {
  if (token.empty() || token.size() > 16384) return false;
  return std::all_of(token.begin(), token.end(),
                     [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

std::string BasicCredential(const ClientCredentials& creds) {
  return crypto::Base64Encode(http::UrlEncode(creds.client_id) + ":" +
                              http::UrlEncode(creds.client_secret));
}

// Whether `message` repeats the client secret, or any 8 characters in a row of it, in any form
// it was sent in: an endpoint may echo what it got, whole or in part.
bool RevealsSecret(std::string_view message, const ClientCredentials& creds) {
  constexpr size_t kWindow = 8;
  if (creds.client_secret.empty()) return false;
  for (const std::string& form :
       {creds.client_secret, http::UrlEncode(creds.client_secret), BasicCredential(creds)}) {
    std::string_view f = form;
    if (f.size() <= kWindow) {
      if (message.find(f) != std::string_view::npos) return true;
      continue;
    }
    for (size_t i = 0; i + kWindow <= f.size(); ++i) {
      if (message.find(f.substr(i, kWindow)) != std::string_view::npos) return true;
    }
  }
  return false;
}

TokenFailure Failure(ErrorClass c, std::string message, const ClientCredentials& creds,
                     std::string fallback) {
  if (RevealsSecret(message, creds)) message = std::move(fallback);
  return {c, std::move(message)};
}

// expires_in in seconds: a number, or a numeric string as some servers send; absent or
// unreadable means the default.
int64_t LifetimeSeconds(const json::Json& answer) {
  auto it = answer.find("expires_in");
  if (it == answer.end()) return kDefaultTokenLifetimeSeconds;
  double seconds = -1;
  if (it->is_number()) {
    seconds = it->get<double>();
  } else if (it->is_string()) {
    const std::string& text = it->get_ref<const std::string&>();
    if (!text.empty() && text.size() < 12 &&
        text.find_first_not_of("0123456789") == std::string::npos) {
      seconds = static_cast<double>(std::stoll(text));
    } else {
      return kDefaultTokenLifetimeSeconds;
    }
  } else {
    return kDefaultTokenLifetimeSeconds;
  }
  if (!std::isfinite(seconds)) return kDefaultTokenLifetimeSeconds;
  return static_cast<int64_t>(std::clamp(seconds, 0.0, double(kMaxTokenLifetimeSeconds)));
}

}  // namespace

std::variant<IssuedToken, TokenFailure> ReadTokenAnswer(const AttemptResult& r,
                                                        const ClientCredentials& creds) {
  if (!r.status) {
    return Failure(r.error_class, "token endpoint: " + r.error, creds,
                   "token endpoint: the request failed");
  }
  int status = *r.status;
  std::string answered = "token endpoint answered HTTP " + std::to_string(status);
  auto parsed =
      r.body_truncated ? Result<json::Json>(BadRequest("too large")) : json::Parse(r.response_body);
  bool is_object = parsed.ok() && parsed->is_object();

  if (status < 200 || status > 299) {
    ErrorClass c =
        status == 401 || status == 403 ? ErrorClass::kAuthRejected : ErrorClass::kHttpStatus;
    if (is_object && (status == 400 || status == 401 || status == 403)) {
      // Judged whole, before any cut: a cut could leave part of the secret on show.
      std::string code = json::StringOr(*parsed, "error");
      std::string description = json::StringOr(*parsed, "error_description");
      if (RevealsSecret(code, creds)) code.clear();
      if (RevealsSecret(description, creds)) description.clear();
      code = Printable(code, 64);
      if (!code.empty()) {
        std::string message = "token endpoint: " + code;
        description = Printable(description, 200);
        if (!description.empty()) message += " (" + description + ")";
        return Failure(ErrorClass::kAuthRejected, std::move(message), creds, answered);
      }
    }
    return TokenFailure{c, answered};
  }

  if (r.body_truncated) {
    return TokenFailure{ErrorClass::kHttpStatus, "token endpoint: the answer is over 64 KiB"};
  }
  if (!is_object) {
    return TokenFailure{ErrorClass::kHttpStatus, "token endpoint: the answer is not a JSON object"};
  }
  std::string token = json::StringOr(*parsed, "access_token");
  if (!UsableToken(token)) {
    return TokenFailure{ErrorClass::kHttpStatus,
                        "token endpoint: the answer has no usable access_token"};
  }
  std::string type = json::StringOr(*parsed, "token_type");
  if (strcasecmp(type.c_str(), "Bearer") != 0) {
    std::string shown = RevealsSecret(type, creds) || type.find(token) != std::string::npos
                            ? ""
                            : Printable(type, 40);
    if (shown.empty()) shown = "missing or unreadable";
    return TokenFailure{ErrorClass::kHttpStatus,
                        "token endpoint: token_type is " + shown + ", not Bearer"};
  }
  return IssuedToken{std::move(token), LifetimeSeconds(*parsed)};
}

OutboundRequest TokenRequest(const ClientCredentials& creds) {
  OutboundRequest request;
  request.url = creds.token_url;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"Accept", "application/json"},
                     {"Authorization", "Basic " + BasicCredential(creds)}};
  request.body = "grant_type=client_credentials";
  if (!creds.scope.empty()) request.body += "&scope=" + http::UrlEncode(creds.scope);
  if (!creds.audience.empty()) request.body += "&audience=" + http::UrlEncode(creds.audience);
  request.max_body = kMaxTokenAnswer;
  return request;
}

}  // namespace arenite::webhooks
