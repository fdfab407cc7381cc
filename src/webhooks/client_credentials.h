// OAUTH2_CLIENT_CREDENTIALS for webhook receivers that have an authorization server of their
// own: TokenSource gets an access token from the receiver's token endpoint (RFC 6749 section
// 4.4, client authentication with HTTP Basic as section 2.3.1 says), through the webhook Sender
// so that the AddressPolicy governs tokenUrl as it does targetUrl, and caches it per key until
// shortly before it expires. Thread-safe: one fetch at a time per key, and callers that waited
// on a fetch share its outcome.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/clock.h"
#include "webhooks/sender.h"

namespace arenite::webhooks {

struct ClientCredentials {
  std::string token_url, client_id, client_secret, scope, audience;  // last two optional ("")
};

// Why no token could be had. `error` is safe to show and to log: it never holds the client
// secret nor a token.
struct TokenFailure {
  ErrorClass error_class;
  std::string error;
};

inline constexpr size_t kMaxTokenAnswer = 64 * 1024;
inline constexpr int64_t kDefaultTokenLifetimeSeconds = 300;
inline constexpr int64_t kMaxTokenLifetimeSeconds = 86400;

class TokenSource {
 public:
  TokenSource(const Sender& sender, const Clock& clock) : sender_(sender), clock_(clock) {}

  // A cached token for `key` (the webhook guid and a version of its configuration) while it
  // has more than 30 s, or 10% of its lifetime if that is less, left; else a new one from the
  // token endpoint, cached for its expires_in (300 s when absent, at most 24 h). On failure:
  // kAuthRejected for a 400/401/403 OAuth error answer ("token endpoint: invalid_client") and
  // for any 401/403, kHttpStatus for other statuses and unusable answers, or the transport's
  // class (policy, dns, connect, tls, timeout).
  std::variant<std::string, TokenFailure> Get(const std::string& key,
                                              const ClientCredentials& creds);
  // Forgets the token of `key`, after the receiver answered 401 to it.
  void Drop(const std::string& key);
  // Forgets the token of `key` only while it is still `token`: of several deliveries refused
  // with the same token, only the first makes a new one be fetched.
  void Drop(const std::string& key, std::string_view token);

 private:
  struct Entry {
    std::mutex mu;  // held during a fetch
    std::string token;
    int64_t obtained_ms = 0, expires_ms = 0;
    std::atomic<uint64_t> fetches{0};  // completed fetches, to share an outcome with waiters
    std::optional<TokenFailure> last_failure;
  };
  bool Fresh(const Entry& e, int64_t now_ms) const;
  std::variant<std::string, TokenFailure> Fetch(Entry& e, const ClientCredentials& creds);

  const Sender& sender_;
  const Clock& clock_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>, std::less<>> entries_;
};

// A token endpoint's answer (RFC 6749 sections 5.1 and 5.2) read: the access token and its
// lifetime in seconds, or why there is none. Pure; the parsing is fuzzed.
struct IssuedToken {
  std::string access_token;
  int64_t lifetime_seconds = kDefaultTokenLifetimeSeconds;
};
std::variant<IssuedToken, TokenFailure> ReadTokenAnswer(const AttemptResult& answer,
                                                        const ClientCredentials& creds);

// The token request of RFC 6749 section 4.4.2 for `creds`: a form POST with HTTP Basic client
// authentication (id and secret form-urlencoded before base64, section 2.3.1).
OutboundRequest TokenRequest(const ClientCredentials& creds);

}  // namespace arenite::webhooks
