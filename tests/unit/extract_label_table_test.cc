#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/guid.h"
#include "extract/label_table.h"

namespace arenite::extract {
namespace {

std::string GuidOf(size_t n) {
  std::string g = std::to_string(n);
  return std::string(kGuidLength - g.size(), 'G') + g;
}

TEST(LabelTable, FindsWhatWasAddedAndMissesTheRest) {
  LabelTable table(2, 64 << 20);
  for (size_t i = 0; i < 50000; ++i) {
    std::string number = "100-" + std::to_string(i);
    std::string rev = i % 3 == 0 ? "" : std::string(1, static_cast<char>('A' + i % 26));
    std::vector<std::string_view> values = {number, rev};
    ASSERT_TRUE(table.Add(GuidOf(i), values));
  }
  EXPECT_EQ(table.size(), 50000u);
  std::vector<std::string_view> found(2);
  for (size_t i = 0; i < 50000; i += 7) {
    ASSERT_TRUE(table.Find(GuidOf(i), found)) << i;
    EXPECT_EQ(found[0], "100-" + std::to_string(i));
    EXPECT_EQ(found[1], i % 3 == 0 ? "" : std::string(1, static_cast<char>('A' + i % 26)));
  }
  EXPECT_FALSE(table.Find(GuidOf(50000), found));
  EXPECT_FALSE(table.Find("short", found));
}

TEST(LabelTable, KeepsTheFirstValuesOfAGuid) {
  LabelTable table(1, 1 << 20);
  std::vector<std::string_view> first = {"first"}, second = {"second"};
  ASSERT_TRUE(table.Add(GuidOf(1), first));
  ASSERT_TRUE(table.Add(GuidOf(1), second));
  EXPECT_EQ(table.size(), 1u);
  std::vector<std::string_view> found(1);
  ASSERT_TRUE(table.Find(GuidOf(1), found));
  EXPECT_EQ(found[0], "first");
}

TEST(LabelTable, StopsAtItsBudgetAndKeepsWhatItHolds) {
  const size_t budget = 4 << 20;
  LabelTable table(1, budget);
  std::string value(100, 'v');
  std::vector<std::string_view> values = {value};
  size_t added = 0;
  while (table.Add(GuidOf(added), values)) ++added;
  EXPECT_GT(added, 10000u);  // 4 MiB hold tens of thousands of 122-byte entries
  EXPECT_LE(table.bytes(), budget);
  EXPECT_EQ(table.size(), added);
  EXPECT_FALSE(table.Add(GuidOf(added + 1), values)) << "stays full";
  std::vector<std::string_view> found(1);
  EXPECT_TRUE(table.Find(GuidOf(0), found));
  EXPECT_TRUE(table.Find(GuidOf(added - 1), found));
  EXPECT_EQ(found[0], value);
  EXPECT_FALSE(table.Find(GuidOf(added), found));
}

TEST(LabelTable, LeavesOutWhatItCannotHold) {
  LabelTable table(1, 1 << 20);
  std::string overlong(70000, 'x');
  std::vector<std::string_view> values = {overlong};
  EXPECT_TRUE(table.Add(GuidOf(1), values)) << "not full, only not added";
  std::vector<std::string_view> found(1);
  EXPECT_FALSE(table.Find(GuidOf(1), found));
  std::vector<std::string_view> ok = {"ok"};
  EXPECT_TRUE(table.Add("not-a-guid", ok));
  EXPECT_FALSE(table.Find("not-a-guid", found));
  EXPECT_EQ(table.size(), 0u);
}

}  // namespace
}  // namespace arenite::extract
