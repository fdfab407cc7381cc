#include <gtest/gtest.h>

#include "webhooks/dispatcher.h"

namespace arenite::webhooks {
namespace {

TEST(RetryDelay, FollowsTheScheduleWithinTenPercent) {
  const int64_t expected[] = {5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400};
  for (int failures = 1; failures <= 9; ++failures) {
    int64_t base = expected[failures - 1];
    EXPECT_EQ(RetryDelay(failures, 0.0, std::nullopt), base);
    EXPECT_LE(RetryDelay(failures, 1.0, std::nullopt), base + base / 10 + 1);
    EXPECT_GE(RetryDelay(failures, -1.0, std::nullopt), base - base / 10 - 1);
    EXPECT_GT(RetryDelay(failures, 1.0, std::nullopt), RetryDelay(failures, -1.0, std::nullopt));
  }
  EXPECT_EQ(kMaxAttempts, 10);
}

TEST(RetryDelay, ClampsOutOfRangeInput) {
  EXPECT_EQ(RetryDelay(0, 0.0, std::nullopt), 5);
  EXPECT_EQ(RetryDelay(50, 0.0, std::nullopt), 86400);
  EXPECT_EQ(RetryDelay(1, 7.0, std::nullopt), RetryDelay(1, 1.0, std::nullopt));
}

TEST(RetryDelay, HonoursRetryAfterUpToADay) {
  EXPECT_EQ(RetryDelay(1, 0.0, 120), 120);
  // A shorter Retry-After does not bring the schedule forward.
  EXPECT_EQ(RetryDelay(3, 0.0, 10), 1800);
  EXPECT_EQ(RetryDelay(1, 0.0, 10 * 86400), 86400);
}

}  // namespace
}  // namespace arenite::webhooks
