// Checks the Bearer access tokens that arrive with webhook deliveries, as a receiver does: the
// JWT's ES256 signature against the issuer's JWKS (found through its RFC 8414 metadata, cached,
// and fetched again for an unknown kid at most every 10 seconds), `typ` at+jwt, `iss` equal to
// the issuer, `aud` holding the expected audience, and `exp` in the future. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace arenite::oauth {
class EcKey;
}

namespace arenite::webhooks {

class JwksTokenCheck {
 public:
  JwksTokenCheck(std::string issuer, std::string audience, std::string ca_file, const Clock& clock)
      : issuer_(std::move(issuer)),
        audience_(std::move(audience)),
        ca_file_(std::move(ca_file)),
        clock_(clock) {}

  // The Authorization header's token is valid, or the error says why not.
  Status Check(std::optional<std::string_view> authorization);

 private:
  Status Refresh();

  const std::string issuer_, audience_, ca_file_;
  const Clock& clock_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const oauth::EcKey>> keys_;
  int64_t last_fetch_ = 0;
};

// One HTTP(S) request of the receiver's own (to the issuer: never to a delivery's sender),
// trusting `ca_file` when given; the body of a 200 answer, at most `max_bytes` of it.
struct HttpCall {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  std::string ca_file;
  size_t max_bytes = 16 * 1024 * 1024;
};
Result<std::string> Call(const HttpCall& call);

// GETs a JSON document over HTTPS (or HTTP), trusting `ca_file` when given.
Result<std::string> FetchDocument(const std::string& url, const std::string& ca_file);

}  // namespace arenite::webhooks
