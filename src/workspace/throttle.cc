#include "workspace/throttle.h"

#include <algorithm>

namespace arenite::workspace {
namespace {

constexpr size_t kMaxEntries = 200000;

}  // namespace

int64_t LoginThrottle::Wait(const Entry& e, int slow_after, int lock_after, int64_t now) const {
  if (now - e.last_failure >= kWindowSeconds || e.failures < slow_after) return 0;
  int64_t until;
  if (e.failures >= lock_after) {
    until = e.last_failure + kWindowSeconds;
  } else {
    int shift = std::min(e.failures - slow_after, 6);
    until = e.last_failure + (int64_t{1} << shift);
  }
  return std::max<int64_t>(0, until - now);
}

int64_t LoginThrottle::RetryAfter(const std::string& account, const std::string& address) {
  std::lock_guard lock(mu_);
  int64_t now = clock_.Now();
  int64_t wait = 0;
  if (auto it = accounts_.find(account); it != accounts_.end()) {
    wait = std::max(wait, Wait(it->second, kAccountSlowAfter, kAccountLockAfter, now));
  }
  if (auto it = addresses_.find(address); it != addresses_.end()) {
    wait = std::max(wait, Wait(it->second, kAddressSlowAfter, kAddressLockAfter, now));
  }
  return wait;
}

void LoginThrottle::RecordFailure(const std::string& account, const std::string& address) {
  std::lock_guard lock(mu_);
  int64_t now = clock_.Now();
  if (accounts_.size() + addresses_.size() > kMaxEntries) Prune(now);
  for (Entry* e : {&accounts_[account], &addresses_[address]}) {
    if (now - e->last_failure >= kWindowSeconds) e->failures = 0;
    ++e->failures;
    e->last_failure = now;
  }
}

void LoginThrottle::RecordSuccess(const std::string& account) {
  std::lock_guard lock(mu_);
  accounts_.erase(account);
}

void LoginThrottle::Prune(int64_t now) {
  for (auto* map : {&accounts_, &addresses_}) {
    for (auto it = map->begin(); it != map->end();) {
      it = now - it->second.last_failure >= kWindowSeconds ? map->erase(it) : std::next(it);
    }
  }
  // Still full of fresh entries (an attack from many addresses): start over rather than grow.
  if (accounts_.size() + addresses_.size() > kMaxEntries) addresses_.clear();
}

}  // namespace arenite::workspace
