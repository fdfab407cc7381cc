// Unit tests of the pure rules of the workspace data: the change lifecycle table, number
// formats, revision sequences and Arena's `*` search patterns.
#include <gtest/gtest.h>

#include "plm/logic.h"

namespace arenite::plm {
namespace {

std::string Next(std::string_view from, std::string_view to,
                 std::string_view effectivity = "PERMANENT_ON_APPROVAL") {
  auto r = NextChangeStatus(from, to, effectivity);
  if (!r.ok()) return "error " + std::to_string(r.error().status);
  return r.value();
}

TEST(ChangeLifecycle, NormalPathOfAPermanentChange) {
  EXPECT_EQ(Next(kOpenUnlocked, kOpenLocked), kOpenLocked);
  EXPECT_EQ(Next(kOpenLocked, kOpenUnlocked), kOpenUnlocked);
  EXPECT_EQ(Next(kOpenUnlocked, "SUBMITTED"), kSubmitted);
  EXPECT_EQ(Next(kOpenUnlocked, kSubmitted), kSubmitted);
  EXPECT_EQ(Next(kSubmitted, kApproved), kEffective);  // permanent on approval
  EXPECT_EQ(Next(kEffective, kCompleted), kCompleted);
  EXPECT_EQ(Next(kCompleted, kEffective), kEffective);
}

TEST(ChangeLifecycle, OnDateStaysApprovedUntilMadeEffective) {
  EXPECT_EQ(Next(kSubmitted, kApproved, "PERMANENT_ON_DATE"), kApproved);
  EXPECT_EQ(Next(kApproved, kEffective, "PERMANENT_ON_DATE"), kEffective);
  EXPECT_EQ(Next(kApproved, kEffective, "PERMANENT_ON_APPROVAL"), "error 409");
}

TEST(ChangeLifecycle, APlannedDateIsReachedAtItsInstant) {
  EXPECT_FALSE(PlannedDateReached(1000, 999, true));
  EXPECT_TRUE(PlannedDateReached(1000, 1000, true));
  EXPECT_TRUE(PlannedDateReached(1000, 5000, false));
  EXPECT_FALSE(PlannedDateReached(1000, 999, false));
  // Without a date: never for the scheduler, always for a client's own move.
  EXPECT_FALSE(PlannedDateReached(std::nullopt, 5000, true));
  EXPECT_TRUE(PlannedDateReached(std::nullopt, 5000, false));
}

TEST(ChangeLifecycle, RejectReopenCancelWithdraw) {
  EXPECT_EQ(Next(kSubmitted, kRejected), kRejected);
  EXPECT_EQ(Next(kRejected, kOpenUnlocked), kOpenUnlocked);
  EXPECT_EQ(Next(kRejected, kCanceled), kCanceled);
  EXPECT_EQ(Next(kSubmitted, kOpenUnlocked), kOpenUnlocked);
  EXPECT_EQ(Next(kOpenUnlocked, kCanceled), kCanceled);
  EXPECT_EQ(Next(kOpenLocked, kCanceled), "error 409");
}

TEST(ChangeLifecycle, IllegalMovesAre409) {
  EXPECT_EQ(Next(kOpenUnlocked, kApproved), "error 409");
  EXPECT_EQ(Next(kOpenUnlocked, kEffective), "error 409");
  EXPECT_EQ(Next(kOpenUnlocked, kOpenUnlocked), "error 409");
  EXPECT_EQ(Next(kCanceled, kOpenUnlocked), "error 409");
  EXPECT_EQ(Next(kEffective, kCanceled), "error 409");
  EXPECT_EQ(Next(kCompleted, kEffective, "TEMPORARY"), "error 409");
  EXPECT_EQ(Next(kSubmitted, kCompleted), "error 409");
}

TEST(ChangeLifecycle, DeviationsExpireAndOnlyThenComplete) {
  EXPECT_EQ(Next(kEffective, kExpired, "TEMPORARY"), kExpired);
  EXPECT_EQ(Next(kExpired, kCompleted, "TEMPORARY"), kCompleted);
  EXPECT_EQ(Next(kEffective, kCompleted, "TEMPORARY"), "error 409");
  EXPECT_EQ(Next(kExpired, kEffective, "TEMPORARY"), "error 409");
  EXPECT_EQ(Next(kCompleted, kExpired, "TEMPORARY"), "error 409");
  EXPECT_EQ(Next(kApproved, kExpired, "TEMPORARY"), "error 409");
  // A permanent change never expires.
  EXPECT_EQ(Next(kEffective, kExpired), "error 409");
  EXPECT_EQ(Next(kEffective, kExpired, "PERMANENT_ON_DATE"), "error 409");
  EXPECT_EQ(Next(kEffective, kCompleted), kCompleted);
}

TEST(ChangeLifecycle, UnknownStatusIs400) {
  EXPECT_EQ(Next(kOpenUnlocked, "FROZEN"), "error 400");
  EXPECT_EQ(Next(kOpenUnlocked, ""), "error 400");
}

TEST(NumberFormat, PadsAndDoesNotTruncate) {
  EXPECT_EQ(FormatNumber("ECO-", 6, 26), "ECO-000026");
  EXPECT_EQ(FormatNumber("210-", 5, 1), "210-00001");
  EXPECT_EQ(FormatNumber("", 3, 12345), "12345");
  EXPECT_EQ(FormatNumber("P", 0, 7), "P7");
}

TEST(Revisions, Sequence) {
  EXPECT_EQ(NextRevision(std::nullopt), "A");
  EXPECT_EQ(NextRevision(std::string("")), "A");
  EXPECT_EQ(NextRevision(std::string("A")), "B");
  EXPECT_EQ(NextRevision(std::string("Z")), "AA");
  EXPECT_EQ(NextRevision(std::string("AZ")), "BA");
  EXPECT_EQ(NextRevision(std::string("9")), "10");
  EXPECT_EQ(NextRevision(std::string("B.1")), std::nullopt);
}

TEST(TextMatch, WildcardsAndEscapes) {
  auto exact = ParseTextMatch("R-100");
  EXPECT_FALSE(exact.like);
  EXPECT_EQ(exact.pattern, "R-100");
  auto prefix = ParseTextMatch("RES*");
  EXPECT_TRUE(prefix.like);
  EXPECT_EQ(prefix.pattern, "RES%");
  auto contains = ParseTextMatch("*board");
  EXPECT_EQ(contains.pattern, "%board%");
  auto escaped = ParseTextMatch("50%_off\\*");
  EXPECT_EQ(escaped.pattern, "50\\%\\_off\\\\%");
  auto star = ParseTextMatch("*");
  EXPECT_TRUE(star.like);
  EXPECT_EQ(star.pattern, "%");
}

TEST(RevisionStatus, Names) {
  EXPECT_EQ(RevisionStatusName(0), "WORKING");
  EXPECT_EQ(RevisionStatusName(1), "EFFECTIVE");
  EXPECT_EQ(RevisionStatusName(2), "SUPERSEDED");
}

TEST(RefDes, RangesAscendWithinOnePrefix) {
  for (const char* ok : {"", "R3", "R3-R5", "R3,R5", "R1, R2, R5-R7", "c1-C4", "R5-R5", "TP-1",
                         "U1A", "J1 J2", "  ", "R3,,R4"}) {
    EXPECT_TRUE(CheckRefDes(ok).ok()) << ok;
  }
  for (const char* bad :
       {"c", "R1, C", "c3-c1", "R3-C5", "R10-R9", "R3-", "R1-R2-R3", "R99999999999-R1"}) {
    auto status = CheckRefDes(bad);
    ASSERT_FALSE(status.ok()) << bad;
    EXPECT_EQ(status.error().status, 400);
    EXPECT_EQ(status.error().code, kErrInvalidBomLine);
  }
  EXPECT_EQ(CheckRefDes("R1,c3-c1").error().message,
            "Invalid BOM Line: Invalid reference designator range: c3-c1.");
  EXPECT_EQ(CheckRefDes("c").error().message, "Invalid BOM Line: Invalid reference descriptor: c.");
}

}  // namespace
}  // namespace arenite::plm
