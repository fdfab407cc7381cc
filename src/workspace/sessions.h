// Sign-in sessions: 256-bit random tokens, kept only as SHA-256 digests, that expire 90 minutes
// after their last use. The same sessions serve the `arena_session_id` header and the browser
// cookie of the web pages and the OAuth sign-in. Validated sessions are cached in memory, and
// last-use times are written back at most once a minute, without waiting for the commit, so
// that validating a cached session never blocks: the API's short reads run it on the I/O
// threads. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"
#include "workspace/principal.h"
#include "workspace/throttle.h"
#include "workspace/users.h"

namespace arenite::workspace {

struct LoginRequest {
  std::string email;
  std::string password;
  std::optional<std::string> workspace_id;
  std::string remote_address;
};

struct LoginResult {
  std::string token;  // shown to the client once; never logged
  Workspace workspace;
  User user;
};

class Sessions {
 public:
  Sessions(store::Store& store, Users& users, const Clock& clock, LoginThrottle& throttle)
      : store_(store), users_(users), clock_(clock), throttle_(throttle) {}

  // Checks the password (Argon2id) and opens a session. Failures say nothing about which part
  // was wrong; repeated failures are throttled (429 with the wait in Error::message and
  // RetryAfterSeconds).
  Result<LoginResult> Login(const LoginRequest& request);
  Result<Principal> Validate(std::string_view token, AuthKind kind);
  Status Logout(std::string_view token);
  // Drops cached sessions of a user whose role, status or password changed.
  void ForgetUser(const std::string& user_id);
  // The CSRF token that a browser session must echo on state-changing requests.
  static std::string CsrfToken(std::string_view session_token);
  // The wait a throttled login was told, for the Retry-After header.
  int64_t RetryAfterSeconds(const std::string& email, const std::string& address);

  static constexpr int64_t kIdleSeconds = 90 * 60;
  static constexpr int64_t kTouchEverySeconds = 60;

 private:
  struct Cached {
    Principal principal;
    int64_t last_used = 0;
    int64_t last_written = 0;
  };

  store::Store& store_;
  Users& users_;
  const Clock& clock_;
  LoginThrottle& throttle_;
  std::mutex mu_;
  std::unordered_map<std::string, Cached> cache_;  // by token digest
  uint64_t generation_ = 0;                        // counts ForgetUser calls

  // Digests of sessions that a background write-back found gone from the store (ended by
  // another node); Validate drops them from the cache. Shared with the writes in flight, which
  // may finish after this object is gone.
  struct Ended {
    std::mutex mu;
    std::vector<std::string> digests;
  };
  std::shared_ptr<Ended> ended_ = std::make_shared<Ended>();
  void DropEnded();  // with mu_ held
  void TouchInBackground(const std::string& hash, int64_t now);
};

}  // namespace arenite::workspace
