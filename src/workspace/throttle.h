// Slows down, then locks, repeated failed sign-ins, per account and per client address, the
// same way whether or not the account exists. State is in memory (per node) and bounded.
// Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.h"

namespace arenite::workspace {

class LoginThrottle {
 public:
  explicit LoginThrottle(const Clock& clock) : clock_(clock) {}

  // Seconds before another attempt is allowed for this account and address; 0 when allowed.
  int64_t RetryAfter(const std::string& account, const std::string& address);
  void RecordFailure(const std::string& account, const std::string& address);
  void RecordSuccess(const std::string& account);

  // Failures within this window count; the lock lasts as long.
  static constexpr int64_t kWindowSeconds = 15 * 60;
  static constexpr int kAccountSlowAfter = 5, kAccountLockAfter = 10;
  static constexpr int kAddressSlowAfter = 20, kAddressLockAfter = 100;

 private:
  struct Entry {
    int failures = 0;
    int64_t last_failure = 0;
  };
  int64_t Wait(const Entry& e, int slow_after, int lock_after, int64_t now) const;
  void Prune(int64_t now);

  const Clock& clock_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> accounts_;
  std::unordered_map<std::string, Entry> addresses_;
};

}  // namespace arenite::workspace
