#include "webhooks/token_check.h"

#include <curl/curl.h>
#include <strings.h>

#include "core/json.h"
#include "oauth/jose.h"

namespace arenite::webhooks {
namespace {

constexpr int64_t kRefetchSeconds = 10;
constexpr int64_t kLeewaySeconds = 30;

bool AudienceMatches(const json::Json& aud, const std::string& want) {
  if (aud.is_string()) return aud.get<std::string>() == want;
  if (aud.is_array()) {
    for (const auto& a : aud) {
      if (a.is_string() && a.get<std::string>() == want) return true;
    }
  }
  return false;
}

}  // namespace

namespace {

struct Collected {
  std::string body;
  size_t max = 0;
  bool too_large = false;
};

size_t CollectCapped(char* data, size_t size, size_t n, void* user) {
  auto* c = static_cast<Collected*>(user);
  if (c->body.size() + size * n > c->max) {
    c->too_large = true;
    return 0;  // aborts the transfer
  }
  c->body.append(data, size * n);
  return size * n;
}

}  // namespace

Result<std::string> Call(const HttpCall& call) {
  CURL* curl = curl_easy_init();
  if (!curl) return Internal("libcurl failed to start");
  Collected collected{.max = call.max_bytes};
  curl_slist* headers = nullptr;
  for (const auto& h : call.headers) headers = curl_slist_append(headers, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 60000L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CollectCapped);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &collected);
  if (headers) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (call.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, call.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
  }
  if (!call.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, call.ca_file.c_str());
  CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (collected.too_large) {
    return MakeError(503, kErrUnavailable, "the answer from " + call.url + " is too large");
  }
  if (code != CURLE_OK) {
    return MakeError(503, kErrUnavailable,
                     "cannot fetch " + call.url + ": " + curl_easy_strerror(code));
  }
  if (status != 200) {
    return MakeError(503, kErrUnavailable,
                     "fetching " + call.url + " answered HTTP " + std::to_string(status));
  }
  return std::move(collected.body);
}

Result<std::string> FetchDocument(const std::string& url, const std::string& ca_file) {
  return Call({.url = url, .ca_file = ca_file, .max_bytes = 1024 * 1024});
}

Status JwksTokenCheck::Refresh() {
  std::string metadata_url = issuer_ + "/.well-known/oauth-authorization-server";
  ARENITE_ASSIGN_OR_RETURN(std::string metadata_text, FetchDocument(metadata_url, ca_file_));
  ARENITE_ASSIGN_OR_RETURN(json::Json metadata, json::ParseObject(metadata_text));
  if (json::StringOr(metadata, "issuer") != issuer_ ||
      json::StringOr(metadata, "jwks_uri").empty()) {
    return MakeError(503, kErrUnavailable, "the issuer's metadata does not name it or its JWKS");
  }
  ARENITE_ASSIGN_OR_RETURN(std::string jwks_text,
                           FetchDocument(json::StringOr(metadata, "jwks_uri"), ca_file_));
  ARENITE_ASSIGN_OR_RETURN(json::Json jwks, json::ParseObject(jwks_text));
  if (!jwks.contains("keys") || !jwks["keys"].is_array()) {
    return MakeError(503, kErrUnavailable, "the JWKS has no keys");
  }
  std::map<std::string, std::shared_ptr<const oauth::EcKey>> keys;
  for (const auto& jwk : jwks["keys"]) {
    std::string kid = json::StringOr(jwk, "kid");
    if (kid.empty()) continue;
    auto key = oauth::EcKey::FromPublicJwk(jwk);
    if (key.ok()) keys[kid] = *key;
  }
  keys_ = std::move(keys);
  return OkStatus();
}

Status JwksTokenCheck::Check(std::optional<std::string_view> authorization) {
  if (!authorization || authorization->size() < 8 ||
      strncasecmp(authorization->data(), "Bearer ", 7) != 0) {
    return Unauthorized("no Bearer token");
  }
  std::string_view token = authorization->substr(7);
  ARENITE_ASSIGN_OR_RETURN(oauth::ParsedJws jws, oauth::ParseJws(token));
  std::string typ = json::StringOr(jws.header, "typ");
  if (json::StringOr(jws.header, "alg") != "ES256" ||
      (strcasecmp(typ.c_str(), "at+jwt") != 0 &&
       strcasecmp(typ.c_str(), "application/at+jwt") != 0)) {
    return Unauthorized("the token is not an ES256 at+jwt access token");
  }
  std::string kid = json::StringOr(jws.header, "kid");
  std::shared_ptr<const oauth::EcKey> key;
  {
    std::lock_guard lock(mu_);
    int64_t now = clock_.Now();
    if (!keys_.count(kid) && now - last_fetch_ >= kRefetchSeconds) {
      last_fetch_ = now;
      ARENITE_RETURN_IF_ERROR(Refresh());
    }
    auto it = keys_.find(kid);
    if (it == keys_.end()) return Unauthorized("the token's key is not in the issuer's JWKS");
    key = it->second;
  }
  if (!key->Verify(jws.signing_input, jws.signature)) {
    return Unauthorized("the token's signature does not verify");
  }
  const json::Json& c = jws.claims;
  if (json::StringOr(c, "iss") != issuer_) {
    return Unauthorized("the token's issuer is not the expected one");
  }
  if (!c.contains("aud") || !AudienceMatches(c["aud"], audience_)) {
    return Unauthorized("the token's audience is not this receiver");
  }
  auto exp = c.find("exp");
  if (exp == c.end() || !exp->is_number_integer() ||
      exp->get<int64_t>() + kLeewaySeconds <= clock_.Now()) {
    return Unauthorized("the token has expired");
  }
  return OkStatus();
}

}  // namespace arenite::webhooks
