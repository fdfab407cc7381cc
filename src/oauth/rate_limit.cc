#include "oauth/rate_limit.h"

#include <algorithm>

namespace arenite::oauth {

int64_t RateLimiter::Take(const std::string& key) {
  int64_t now = clock_.Now();
  std::lock_guard lock(mu_);
  if (windows_.size() > 100000) {
    std::erase_if(windows_, [&](const auto& kv) { return now - kv.second.start >= window_; });
    if (windows_.size() > 100000) windows_.clear();
  }
  Window& w = windows_[key];
  if (now - w.start >= window_) w = Window{now, 0};
  if (w.used >= limit_) return std::max<int64_t>(1, w.start + window_ - now);
  ++w.used;
  return 0;
}

}  // namespace arenite::oauth
