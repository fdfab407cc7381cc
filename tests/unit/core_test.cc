#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <set>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/guid.h"
#include "core/json.h"
#include "core/log.h"

namespace arenite {
namespace {

TEST(Guid, HasTwentyCharactersOfDigitsAndCapitals) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string g = NewGuid();
    ASSERT_TRUE(IsGuid(g)) << g;
    seen.insert(g);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(Guid, OrderedOnesSortByTheMillisecondTheyWereMadeIn) {
  auto base36 = [](const std::string& g) {
    uint64_t v = 0;
    for (char c : g.substr(0, 9))
      v = v * 36 + static_cast<uint64_t>(c <= '9' ? c - '0' : c - 'A' + 10);
    return v;
  };
  auto now_ms = [] {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  };
  std::set<std::string> seen;
  std::string previous;
  std::set<std::string> tails;
  for (int i = 0; i < 2000; ++i) {
    uint64_t before = now_ms();
    std::string g = NewOrderedGuid();
    uint64_t after = now_ms();
    ASSERT_TRUE(IsGuid(g)) << g;
    EXPECT_GE(base36(g), before) << g;
    EXPECT_LE(base36(g), after) << g;
    // Later milliseconds sort later (within one, the random part decides).
    if (!previous.empty() && base36(g) > base36(previous)) EXPECT_GT(g, previous);
    previous = g;
    seen.insert(g);
    tails.insert(g.substr(9));
  }
  EXPECT_EQ(seen.size(), 2000u);
  EXPECT_EQ(tails.size(), 2000u);  // the random part differs even within a millisecond
}

TEST(Guid, RejectsWrongLengthAndLowercase) {
  EXPECT_FALSE(IsGuid("ABC"));
  EXPECT_FALSE(IsGuid("abcdefghijklmnopqrst"));
  EXPECT_FALSE(IsGuid("ABCDEFGHIJKLMNOPQRS/"));
  EXPECT_TRUE(IsGuid("ABCDEFGHIJKLMNOPQRS0"));
}

TEST(Crypto, Sha256MatchesKnownVector) {
  EXPECT_EQ(crypto::Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Crypto, HmacSha256MatchesRfc4231Case2) {
  EXPECT_EQ(crypto::HexEncode(crypto::HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Crypto, Base64RoundTripsEveryLength) {
  std::string data;
  for (int n = 0; n < 40; ++n) {
    auto decoded = crypto::Base64Decode(crypto::Base64Encode(data));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, data);
    auto url = crypto::Base64UrlDecode(crypto::Base64UrlEncode(data));
    ASSERT_TRUE(url.has_value());
    EXPECT_EQ(*url, data);
    data.push_back(static_cast<char>(n * 37 + 200));
  }
  EXPECT_FALSE(crypto::Base64Decode("abc").has_value());
  EXPECT_FALSE(crypto::Base64UrlDecode("a+b/").has_value());
}

TEST(Crypto, Base64UrlEncodingIsRfc4648SectionFiveWithoutPadding) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"}};
  for (const auto& [data, encoded] : vectors) EXPECT_EQ(crypto::Base64UrlEncode(data), encoded);
  // Every byte value in every position: the standard encoding with '-', '_' and no padding.
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  for (size_t shift = 0; shift < 3; ++shift) {
    std::string data = all.substr(shift);
    std::string expected = crypto::Base64Encode(data);
    while (!expected.empty() && expected.back() == '=') expected.pop_back();
    for (char& c : expected) c = c == '+' ? '-' : c == '/' ? '_' : c;
    EXPECT_EQ(crypto::Base64UrlEncode(data), expected) << shift;
  }
}

TEST(Crypto, RandomTokenCarries256Bits) {
  std::string token = crypto::RandomToken();
  EXPECT_EQ(token.size(), 43u);
  EXPECT_EQ(crypto::Base64UrlDecode(token)->size(), 32u);
  EXPECT_NE(token, crypto::RandomToken());
}

TEST(Crypto, ConstantTimeEqualsComparesContentAndLength) {
  EXPECT_TRUE(crypto::ConstantTimeEquals("secret", "secret"));
  EXPECT_FALSE(crypto::ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(crypto::ConstantTimeEquals("secret", "secret2"));
}

TEST(DateTime, FormatsAndParsesUtc) {
  EXPECT_EQ(FormatDateTime(1796290875), "2026-12-03T09:41:15Z");
  // The same as gmtime_r across leap days, centuries and before 1970.
  auto by_gmtime = [](int64_t t) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char text[48];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(text);
  };
  for (int64_t t : {int64_t{0}, int64_t{-1}, int64_t{-86400}, int64_t{951782400},
                    int64_t{951868799}, int64_t{4107542399}, int64_t{-2208988800},
                    int64_t{253402300799}, int64_t{253402300800}, int64_t{-62167219201}}) {
    EXPECT_EQ(FormatDateTime(t), by_gmtime(t)) << t;
  }
  for (int64_t t = -400LL * 86400 * 366; t < 400LL * 86400 * 366; t += 86400 * 17 + 3607) {
    ASSERT_EQ(FormatDateTime(t), by_gmtime(t)) << t;
  }
  EXPECT_EQ(ParseDateTime("2026-12-03T09:41:15Z"), 1796290875);
  EXPECT_EQ(ParseDateTime("2026-12-03T10:41:15+01:00"), 1796290875);
  EXPECT_EQ(ParseDateTime("2026-12-03T09:41:15.250Z"), 1796290875);
  EXPECT_FALSE(ParseDateTime("2026-02-30T00:00:00Z").has_value());
  EXPECT_FALSE(ParseDateTime("2026-12-03 09:41:15").has_value());
  EXPECT_FALSE(ParseDateTime("").has_value());
}

TEST(AdjustableClock, MovesOnlyWhenAdvanced) {
  AdjustableClock clock;
  clock.SetMillis(1000000);
  EXPECT_EQ(clock.NowMillis(), 1000000);
  clock.Advance(5000);
  EXPECT_EQ(clock.Now(), 1005);
}

TEST(Json, RefusesDeepNestingAndNonObjects) {
  std::string deep(40, '[');
  deep += std::string(40, ']');
  EXPECT_FALSE(json::Parse(deep).ok());
  EXPECT_EQ(json::Parse(deep).error().status, 400);
  EXPECT_FALSE(json::ParseObject("[1,2]").ok());
  EXPECT_FALSE(json::ParseObject("{\"a\":").ok());
  EXPECT_FALSE(json::ParseObject("").ok());
  EXPECT_FALSE(json::ParseObject("{\"a\":\"\xff\"}").ok());
  EXPECT_TRUE(json::ParseObject("{\"a\":\"[[[[\"}").ok());
}

TEST(Json, FieldReadersNameTheFieldOnWrongTypes) {
  auto obj = json::ParseObject(R"({"name":3,"count":"x","ok":true,"ref":{"guid":"bad"}})").value();
  auto name = json::RequiredString(obj, "name");
  ASSERT_FALSE(name.ok());
  EXPECT_NE(name.error().message.find("name"), std::string::npos);
  EXPECT_FALSE(json::OptionalInt(obj, "count", 0, 10).ok());
  EXPECT_TRUE(json::OptionalBool(obj, "ok").value().value());
  EXPECT_EQ(json::OptionalGuidRef(obj, "ref").error().code, kErrInvalidGuid);
  EXPECT_FALSE(json::RequiredString(obj, "missing").ok());
  EXPECT_EQ(json::RequiredString(obj, "missing").error().code, kErrMissingField);
  EXPECT_FALSE(json::RejectUnknownFields(obj, {"name", "count"}).ok());
}

TEST(LogBudget, WritesItsLinesPerWindowAndReportsWhatItHeldBack) {
  using namespace std::chrono_literals;
  log::Budget budget(3, 10s);
  auto t0 = log::Budget::Clock::time_point() + 1h;
  uint64_t held = 99;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(budget.TakeAt(t0 + std::chrono::seconds(i), &held)) << i;
    EXPECT_EQ(held, 0u);
  }
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(budget.TakeAt(t0 + 5s, &held)) << i;
  // A new window: the next line written says how many were not.
  ASSERT_TRUE(budget.TakeAt(t0 + 10s, &held));
  EXPECT_EQ(held, 5u);
  ASSERT_TRUE(budget.TakeAt(t0 + 11s, &held));
  EXPECT_EQ(held, 0u);
  // A clock that goes back starts a window rather than holding lines back for good.
  ASSERT_TRUE(budget.TakeAt(t0, &held));
}

}  // namespace
}  // namespace arenite
