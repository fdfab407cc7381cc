// Pure rules of the workspace data, kept apart so they can be unit-tested: the change
// lifecycle table, number formats, and the search patterns of Arena's `*` wildcards. No state;
// every function is thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace arenite::plm {

// Change lifecycle statuses (Arena's lifecycleStatus.type).
inline constexpr char kOpenUnlocked[] = "OPEN_AND_UNLOCKED";
inline constexpr char kOpenLocked[] = "OPEN_AND_LOCKED";
inline constexpr char kSubmitted[] = "SUBMITTED_FOR_APPROVAL";
inline constexpr char kApproved[] = "APPROVED";
inline constexpr char kRejected[] = "REJECTED";
inline constexpr char kCanceled[] = "CANCELED";
inline constexpr char kEffective[] = "EFFECTIVE";
inline constexpr char kCompleted[] = "COMPLETED";
// A TEMPORARY change (a deviation) past its expirationDateTime, or expired early by hand.
inline constexpr char kExpired[] = "EXPIRED";

bool IsChangeStatus(std::string_view status);
bool IsEffectivityType(std::string_view type);

// The status a change in `from` reaches when `requested` is asked for ("SUBMITTED" is accepted
// for SUBMITTED_FOR_APPROVAL), given its effectivity type: APPROVED of a PERMANENT_ON_APPROVAL
// or TEMPORARY change is EFFECTIVE at once. 409 for a move the lifecycle does not allow.
Result<std::string> NextChangeStatus(std::string_view from, std::string_view requested,
                                     std::string_view effectivity_type);

// Whether a PERMANENT_ON_DATE change may become effective at `now`: its planned date has come.
// `scheduled` is for the background promotion, which needs a date; a client's own move to
// EFFECTIVE is also allowed for a change without one (written before the date was required),
// which would otherwise stay APPROVED forever.
bool PlannedDateReached(std::optional<int64_t> planned, int64_t now, bool scheduled);

// "ECO-" + sequence 26 with 6 digits: "ECO-000026". Wider numbers are not truncated.
std::string FormatNumber(std::string_view prefix, int digits, int64_t sequence);

// A search value in Arena's form: "abc" exact, "abc*" starts with, "*abc" / "*abc*" contains.
struct TextMatch {
  bool like = false;    // use LIKE ? ESCAPE '\'
  std::string pattern;  // the exact value, or the LIKE pattern with %, _ and \ escaped
};
TextMatch ParseTextMatch(std::string_view value);

// The revision after `current`: none → "A", "A" → "B", "Z" → "AA", "7" → "8"; other forms
// have no derivable successor: nullopt when no successor can be derived.
std::optional<std::string> NextRevision(const std::optional<std::string>& current);

// Item revision statuses: 0 working, 1 effective, 2 superseded.
std::string_view RevisionStatusName(int64_t status);

// Checks a BOM line's reference designators as Arena does (400, 3036): designators separated by
// commas or spaces, each with a number ("R3"), or a range of one prefix whose numbers ascend
// ("R3-R5"). A hyphen after a designator begins a range, which must end in one ("R3-" and
// "R1-R2-R3" are refused); a designator with another hyphen ("TP-1") is taken as it is.
Status CheckRefDes(std::string_view ref_des);

}  // namespace arenite::plm
