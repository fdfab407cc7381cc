#include <gtest/gtest.h>

#include "core/clock.h"
#include "workspace/throttle.h"

namespace arenite::workspace {
namespace {

constexpr int64_t kStart = 1796290875000;  // 2026-12-03T09:41:15Z

class ThrottleTest : public ::testing::Test {
 protected:
  ThrottleTest() { clock_.SetMillis(kStart); }
  void Fail(const std::string& account, const std::string& address, int times = 1) {
    for (int i = 0; i < times; ++i) throttle_.RecordFailure(account, address);
  }

  AdjustableClock clock_;
  LoginThrottle throttle_{clock_};
};

TEST_F(ThrottleTest, AllowsTheFirstFailuresWithoutWaiting) {
  Fail("a@x.test", "10.0.0.1", LoginThrottle::kAccountSlowAfter - 1);
  EXPECT_EQ(throttle_.RetryAfter("a@x.test", "10.0.0.1"), 0);
}

TEST_F(ThrottleTest, SlowsAnAccountDownWithGrowingWaits) {
  Fail("a@x.test", "10.0.0.1", LoginThrottle::kAccountSlowAfter);
  EXPECT_EQ(throttle_.RetryAfter("a@x.test", "10.0.0.1"), 1);
  // The wait applies to the account from any address.
  EXPECT_EQ(throttle_.RetryAfter("a@x.test", "10.0.0.2"), 1);
  Fail("a@x.test", "10.0.0.1");
  EXPECT_EQ(throttle_.RetryAfter("a@x.test", "10.0.0.1"), 2);
  Fail("a@x.test", "10.0.0.1");
  EXPECT_EQ(throttle_.RetryAfter("a@x.test", "10.0.0.1"), 4);
  clock_.Advance(3000);
  EXPECT_EQ(throttle_.RetryAfter("a@x.test", "10.0.0.1"), 1);
  clock_.Advance(1000);
  EXPECT_EQ(throttle_.RetryAfter("a@x.test", "10.0.0.1"), 0);
  // Other accounts are not affected.
  EXPECT_EQ(throttle_.RetryAfter("b@x.test", "10.0.0.1"), 0);
}

TEST_F(ThrottleTest, LocksAnAccountForTheWholeWindow) {
  Fail("a@x.test", "10.0.0.1", LoginThrottle::kAccountLockAfter);
  EXPECT_EQ(throttle_.RetryAfter("a@x.test", "10.0.0.9"), LoginThrottle::kWindowSeconds);
  clock_.Advance((LoginThrottle::kWindowSeconds - 10) * 1000);
  EXPECT_EQ(throttle_.RetryAfter("a@x.test", "10.0.0.9"), 10);
  clock_.Advance(10 * 1000);
  EXPECT_EQ(throttle_.RetryAfter("a@x.test", "10.0.0.9"), 0);
}

TEST_F(ThrottleTest, FailuresOlderThanTheWindowAreForgotten) {
  Fail("a@x.test", "10.0.0.1", LoginThrottle::kAccountSlowAfter - 1);
  clock_.Advance(LoginThrottle::kWindowSeconds * 1000);
  // The count started over: one more failure is the first of a new window.
  Fail("a@x.test", "10.0.0.1");
  EXPECT_EQ(throttle_.RetryAfter("a@x.test", "10.0.0.1"), 0);
  Fail("a@x.test", "10.0.0.1", LoginThrottle::kAccountSlowAfter - 2);
  EXPECT_EQ(throttle_.RetryAfter("a@x.test", "10.0.0.1"), 0);
  Fail("a@x.test", "10.0.0.1");
  EXPECT_EQ(throttle_.RetryAfter("a@x.test", "10.0.0.1"), 1);
}

TEST_F(ThrottleTest, SuccessResetsTheAccountButNotTheAddress) {
  Fail("a@x.test", "10.0.0.1", LoginThrottle::kAccountLockAfter - 1);
  EXPECT_GT(throttle_.RetryAfter("a@x.test", "10.0.0.1"), 0);
  throttle_.RecordSuccess("a@x.test");
  EXPECT_EQ(throttle_.RetryAfter("a@x.test", "10.0.0.2"), 0);
  Fail("a@x.test", "10.0.0.2", LoginThrottle::kAccountSlowAfter - 1);
  EXPECT_EQ(throttle_.RetryAfter("a@x.test", "10.0.0.2"), 0);
}

TEST_F(ThrottleTest, SlowsThenLocksAnAddressAcrossManyAccounts) {
  for (int i = 0; i < LoginThrottle::kAddressSlowAfter; ++i) {
    Fail("user" + std::to_string(i) + "@x.test", "192.0.2.7");
  }
  // A fresh account from that address waits; from another address it does not.
  EXPECT_EQ(throttle_.RetryAfter("fresh@x.test", "192.0.2.7"), 1);
  EXPECT_EQ(throttle_.RetryAfter("fresh@x.test", "192.0.2.8"), 0);
  for (int i = LoginThrottle::kAddressSlowAfter; i < LoginThrottle::kAddressLockAfter; ++i) {
    Fail("user" + std::to_string(i) + "@x.test", "192.0.2.7");
  }
  EXPECT_EQ(throttle_.RetryAfter("fresh@x.test", "192.0.2.7"), LoginThrottle::kWindowSeconds);
  // A success for one account does not lift the address lock.
  throttle_.RecordSuccess("user1@x.test");
  EXPECT_EQ(throttle_.RetryAfter("user1@x.test", "192.0.2.7"), LoginThrottle::kWindowSeconds);
  clock_.Advance(LoginThrottle::kWindowSeconds * 1000);
  EXPECT_EQ(throttle_.RetryAfter("fresh@x.test", "192.0.2.7"), 0);
}

TEST_F(ThrottleTest, TheSlowDownWaitIsCapped) {
  Fail("a@x.test", "10.0.0.1", LoginThrottle::kAccountLockAfter - 1);
  EXPECT_LE(throttle_.RetryAfter("a@x.test", "10.0.0.1"), 64);
  EXPECT_GT(throttle_.RetryAfter("a@x.test", "10.0.0.1"), 0);
}

TEST_F(ThrottleTest, AnAccountUnknownToTheThrottleIsTreatedLikeAKnownOne) {
  // The throttle sees only names, so a non-existing account is slowed exactly the same way.
  Fail("nobody@x.test", "10.0.0.1", LoginThrottle::kAccountSlowAfter);
  Fail("admin@x.test", "10.0.0.2", LoginThrottle::kAccountSlowAfter);
  EXPECT_EQ(throttle_.RetryAfter("nobody@x.test", "10.0.0.3"),
            throttle_.RetryAfter("admin@x.test", "10.0.0.3"));
}

}  // namespace
}  // namespace arenite::workspace
