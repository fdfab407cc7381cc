// Sends one delivery attempt: an HTTP POST to a webhook target over libcurl, to exactly the
// address that the AddressPolicy approved (the name is resolved here, each address checked, and
// curl pinned to the checked one, so DNS rebinding cannot redirect it). Redirects are not
// followed, the connect and whole-attempt times are bounded, and only the first 4 KiB of the
// answer are kept (more when a request asks). Every outcome is classified for the delivery log.
// Thread-safe: each thread reuses its own curl handle, which keeps connections to targets alive
// between attempts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "webhooks/address_policy.h"

namespace arenite::webhooks {

enum class ErrorClass {
  kNone,
  kPolicy,
  kDns,
  kConnect,
  kTls,
  kTimeout,
  kHttpStatus,
  kAuthRejected
};

// "dns", "connect", "tls", "timeout", "http_status", "auth_rejected", "policy", or "" for none.
const char* ErrorClassName(ErrorClass c);

inline constexpr size_t kMaxKeptBody = 4096;

struct OutboundRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // How much of the answer's body to keep: the delivery log keeps 4 KiB; a token request keeps
  // more, since the answer is the token. Reading stops past max(64 KiB, max_body).
  size_t max_body = kMaxKeptBody;
};

struct AttemptResult {
  ErrorClass error_class = ErrorClass::kNone;
  std::optional<int> status;  // the HTTP status, when an answer came
  std::string error;          // a short human description; never a secret
  std::vector<std::pair<std::string, std::string>> response_headers;
  std::string response_body;    // at most the request's max_body bytes
  bool body_truncated = false;  // the answer's body was longer than that
  int64_t duration_ms = 0;
  std::optional<int64_t> retry_after_seconds;  // from Retry-After, in seconds from now
  std::string address;                         // the IP that was connected to

  bool delivered() const { return error_class == ErrorClass::kNone; }
};

struct SenderOptions {
  int connect_timeout_ms = 5000;
  int total_timeout_ms = 15000;
  std::string ca_file;  // extra CAs that targets may chain to (--webhook-ca-file)
};

class Sender {
 public:
  Sender(AddressPolicy policy, SenderOptions options)
      : policy_(std::move(policy)), options_(std::move(options)) {}

  AttemptResult Post(const OutboundRequest& request) const;

  const AddressPolicy& policy() const { return policy_; }

 private:
  AddressPolicy policy_;
  SenderOptions options_;
};

// Checks a URL's form and every address its host resolves to against the policy, without
// connecting: webhook settings are checked so when they are saved (and again at each attempt).
Status CheckTarget(const AddressPolicy& policy, std::string_view url);

// Seconds in a Retry-After header (delta-seconds or an HTTP-date), relative to now.
std::optional<int64_t> ParseRetryAfter(std::string_view value, int64_t now);

}  // namespace arenite::webhooks
