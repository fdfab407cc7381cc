#include <gtest/gtest.h>

#include <atomic>

#include "core/clock.h"
#include "workspace/quota.h"

namespace arenite::workspace {
namespace {

constexpr int64_t kStart = 1796290875000;  // 2026-12-03T09:41:15Z

class QuotaTest : public ::testing::Test {
 protected:
  QuotaTest() { clock_.SetMillis(kStart); }
  AdjustableClock clock_;
};

TEST_F(QuotaTest, CountsDownToTheLimitThenRefuses) {
  RequestQuota quota(clock_, 3, nullptr);
  for (int64_t left : {2, 1, 0}) {
    auto d = quota.Take("WS");
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.remaining, left);
    EXPECT_EQ(d.limit, 3);
  }
  auto refused = quota.Take("WS");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_EQ(refused.reset_at, kStart / 1000 + RequestQuota::kWindowSeconds);
}

TEST_F(QuotaTest, TheWindowStartsAtTheFirstRequestAndResetsAfter24Hours) {
  RequestQuota quota(clock_, 2, nullptr);
  quota.Take("WS");
  clock_.Advance(3600 * 1000);
  auto second = quota.Take("WS");
  EXPECT_EQ(second.reset_at, kStart / 1000 + RequestQuota::kWindowSeconds);
  EXPECT_FALSE(quota.Take("WS").allowed);
  clock_.Advance((RequestQuota::kWindowSeconds - 3601) * 1000);
  EXPECT_FALSE(quota.Take("WS").allowed);
  clock_.Advance(1000);
  auto fresh = quota.Take("WS");
  EXPECT_TRUE(fresh.allowed);
  EXPECT_EQ(fresh.remaining, 1);
  EXPECT_EQ(fresh.reset_at, clock_.Now() + RequestQuota::kWindowSeconds);
}

TEST_F(QuotaTest, WorkspacesHaveSeparateCounters) {
  RequestQuota quota(clock_, 1, nullptr);
  EXPECT_TRUE(quota.Take("A").allowed);
  EXPECT_FALSE(quota.Take("A").allowed);
  EXPECT_TRUE(quota.Take("B").allowed);
}

TEST_F(QuotaTest, PeekDoesNotCount) {
  RequestQuota quota(clock_, 5, nullptr);
  quota.Take("WS");
  auto peek = quota.Peek("WS");
  EXPECT_EQ(peek.remaining, 4);
  EXPECT_EQ(quota.Peek("WS").remaining, 4);
  EXPECT_EQ(quota.LimitOf("WS"), 5);
  EXPECT_EQ(quota.Take("WS").remaining, 3);
}

TEST_F(QuotaTest, AWorkspaceLimitOverridesTheDefaultAndIsReadAtMostOnceAMinute) {
  std::atomic<int> asked{0};
  std::optional<int64_t> own = 2;
  RequestQuota quota(clock_, 100, [&](const std::string&) {
    ++asked;
    return own;
  });
  EXPECT_EQ(quota.Take("WS").limit, 2);
  EXPECT_EQ(quota.Take("WS").remaining, 0);
  EXPECT_FALSE(quota.Take("WS").allowed);
  EXPECT_EQ(asked.load(), 1);
  own = std::nullopt;  // the workspace's own limit is removed
  clock_.Advance(59 * 1000);
  EXPECT_FALSE(quota.Take("WS").allowed);
  clock_.Advance(1000);
  auto d = quota.Take("WS");
  EXPECT_EQ(asked.load(), 2);
  EXPECT_EQ(d.limit, 100);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 100 - 3);
}

TEST_F(QuotaTest, WorksWithAClockAtTheEpoch) {
  clock_.SetMillis(0);
  RequestQuota quota(clock_, 2, nullptr);
  EXPECT_EQ(quota.Take("WS").remaining, 1);
  EXPECT_EQ(quota.Take("WS").remaining, 0);
  EXPECT_FALSE(quota.Take("WS").allowed);
}

}  // namespace
}  // namespace arenite::workspace
