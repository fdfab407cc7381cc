// A fixed-window request counter per key (a client_id, an address), for the token endpoint.
// State is in memory, per node, and bounded: when too many keys are tracked the oldest windows
// are dropped. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.h"

namespace arenite::oauth {

class RateLimiter {
 public:
  RateLimiter(const Clock& clock, int64_t limit, int64_t window_seconds)
      : clock_(clock), limit_(limit), window_(window_seconds) {}

  // Counts one request; returns 0 when allowed, else the seconds until the window ends.
  int64_t Take(const std::string& key);

 private:
  struct Window {
    int64_t start = 0;
    int64_t used = 0;
  };
  const Clock& clock_;
  const int64_t limit_;
  const int64_t window_;
  std::mutex mu_;
  std::unordered_map<std::string, Window> windows_;
};

}  // namespace arenite::oauth
