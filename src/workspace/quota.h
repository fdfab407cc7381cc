// The request quota: each workspace may make a limited number of API requests per 24 hours,
// counted in a fixed window that starts with its first request. Counters live in memory (per
// node, reset on restart); the limit comes from the workspace or the server's default.
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/clock.h"

namespace arenite::workspace {

class RequestQuota {
 public:
  // `limit_of` gives a workspace's own limit, if any; it is asked at most once a minute.
  using LimitFn = std::function<std::optional<int64_t>(const std::string& workspace_id)>;
  RequestQuota(const Clock& clock, int64_t default_limit, LimitFn limit_of)
      : clock_(clock), default_limit_(default_limit), limit_of_(std::move(limit_of)) {}

  struct Decision {
    bool allowed = true;
    int64_t limit = 0;
    int64_t remaining = 0;
    int64_t reset_at = 0;  // Unix seconds when the window ends
  };
  // Counts one request and says whether it is within the limit.
  Decision Take(const std::string& workspace_id);
  // The state without counting a request (for the login answer).
  Decision Peek(const std::string& workspace_id);
  int64_t LimitOf(const std::string& workspace_id);

  static constexpr int64_t kWindowSeconds = 24 * 60 * 60;

 private:
  struct Window {
    bool started = false;
    int64_t start = 0;
    int64_t used = 0;
    int64_t limit = 0;
    int64_t limit_checked_at = INT64_MIN / 2;
  };
  Decision Decide(const std::string& workspace_id, bool take);

  const Clock& clock_;
  const int64_t default_limit_;
  LimitFn limit_of_;
  std::mutex mu_;
  std::unordered_map<std::string, Window> windows_;
};

}  // namespace arenite::workspace
