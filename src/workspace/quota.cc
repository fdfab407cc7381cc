#include "workspace/quota.h"

namespace arenite::workspace {

RequestQuota::Decision RequestQuota::Take(const std::string& workspace_id) {
  return Decide(workspace_id, true);
}

RequestQuota::Decision RequestQuota::Peek(const std::string& workspace_id) {
  return Decide(workspace_id, false);
}

int64_t RequestQuota::LimitOf(const std::string& workspace_id) {
  return Decide(workspace_id, false).limit;
}

RequestQuota::Decision RequestQuota::Decide(const std::string& workspace_id, bool take) {
  int64_t now = clock_.Now();
  bool refresh;
  {
    std::lock_guard lock(mu_);
    Window& w = windows_[workspace_id];
    refresh = now - w.limit_checked_at >= 60;
  }
  // Asked outside the lock: it may read the store.
  std::optional<int64_t> own;
  if (refresh && limit_of_) own = limit_of_(workspace_id);

  std::lock_guard lock(mu_);
  Window& w = windows_[workspace_id];
  if (refresh) {
    w.limit = own.value_or(default_limit_);
    w.limit_checked_at = now;
  }
  if (!w.started || now - w.start >= kWindowSeconds) {
    w.started = true;
    w.start = now;
    w.used = 0;
  }
  Decision d;
  d.limit = w.limit;
  d.reset_at = w.start + kWindowSeconds;
  if (take) {
    d.allowed = w.used < w.limit;
    if (d.allowed) ++w.used;
  }
  d.remaining = std::max<int64_t>(0, w.limit - w.used);
  return d;
}

}  // namespace arenite::workspace
