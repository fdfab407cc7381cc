// The read cache of single-object answers: served only at the generation it was filled at,
// bounded in bytes with the least recently used entries leaving first, and never letting a read
// of an older generation replace a newer answer.
#include <gtest/gtest.h>

#include <string>

#include "api/read_cache.h"

namespace arenite::api {
namespace {

TEST(ReadCacheTest, AnAnswerIsServedOnlyAtTheGenerationItWasReadAt) {
  ReadCache cache(1 << 20);
  EXPECT_FALSE(cache.Find("ws /v1/items/A", 1));
  cache.Put("ws /v1/items/A", 1, "{\"a\":1}");
  auto hit = cache.Find("ws /v1/items/A", 1);
  ASSERT_TRUE(hit);
  EXPECT_EQ(*hit, "{\"a\":1}");
  EXPECT_FALSE(cache.Find("other /v1/items/A", 1));  // the key carries the workspace
  EXPECT_FALSE(cache.Find("ws /v1/items/A", 2));     // something committed since
  EXPECT_EQ(cache.bytes(), 0u);                      // and the stale entry is gone
  EXPECT_FALSE(cache.Find("ws /v1/items/A", 1));
}

TEST(ReadCacheTest, AnOlderReadNeverReplacesANewerAnswer) {
  ReadCache cache(1 << 20);
  cache.Put("k", 5, "new");
  cache.Put("k", 4, "old");  // a read that began before the latest commit finished last
  ASSERT_TRUE(cache.Find("k", 5));
  EXPECT_EQ(*cache.Find("k", 5), "new");
  cache.Put("k", 6, "newer");
  EXPECT_EQ(*cache.Find("k", 6), "newer");
}

TEST(ReadCacheTest, MemoryStaysWithinTheBoundAndTheLeastRecentlyUsedLeaveFirst) {
  const size_t bound = 64 * 1024;
  ReadCache cache(bound);
  const std::string body(1000, 'x');
  cache.Put("keep", 1, body);
  for (int i = 0; i < 1000; ++i) {
    cache.Put("key" + std::to_string(i), 1, body);
    ASSERT_TRUE(cache.Find("keep", 1)) << "the entry in use was evicted at " << i;
    ASSERT_LE(cache.bytes(), bound);
  }
  EXPECT_FALSE(cache.Find("key0", 1));  // long unused
  EXPECT_TRUE(cache.Find("key999", 1));
  EXPECT_GT(cache.bytes(), bound / 2);  // it does keep a useful amount
}

TEST(ReadCacheTest, AnswersLargerThanAShardAndADisabledCacheKeepNothing) {
  ReadCache small(8 * 1024);
  small.Put("big", 1, std::string(4096, 'x'));
  EXPECT_FALSE(small.Find("big", 1));
  ReadCache off(0);
  EXPECT_FALSE(off.enabled());
  off.Put("k", 1, "v");
  EXPECT_FALSE(off.Find("k", 1));
  EXPECT_EQ(off.bytes(), 0u);
}

}  // namespace
}  // namespace arenite::api
