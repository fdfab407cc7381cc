#include "plm/logic.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <utility>

namespace arenite::plm {

bool IsChangeStatus(std::string_view s) {
  static constexpr std::array<std::string_view, 9> kAll = {kOpenUnlocked, kOpenLocked, kSubmitted,
                                                           kApproved,     kRejected,   kCanceled,
                                                           kEffective,    kCompleted,  kExpired};
  for (auto v : kAll) {
    if (v == s) return true;
  }
  return false;
}

bool IsEffectivityType(std::string_view t) {
  return t == "PERMANENT_ON_APPROVAL" || t == "PERMANENT_ON_DATE" || t == "TEMPORARY";
}

Result<std::string> NextChangeStatus(std::string_view from, std::string_view requested,
                                     std::string_view effectivity) {
  std::string_view to = requested == "SUBMITTED" ? std::string_view(kSubmitted) : requested;
  if (!IsChangeStatus(to)) {
    return BadRequest("The status \"" + std::string(requested.substr(0, 40)) +
                          "\" is not a change lifecycle status.",
                      kErrInvalidValue);
  }
  struct Move {
    std::string_view from, to;
  };
  // Arena's workflow: a change is canceled from OPEN_AND_UNLOCKED or REJECTED only (a locked
  // change is unlocked first).
  static constexpr std::array<Move, 15> kMoves = {{
      {kOpenUnlocked, kOpenLocked},
      {kOpenLocked, kOpenUnlocked},
      {kOpenUnlocked, kSubmitted},
      {kOpenLocked, kSubmitted},
      {kOpenUnlocked, kCanceled},
      {kSubmitted, kOpenUnlocked},  // withdraw
      {kSubmitted, kApproved},
      {kSubmitted, kRejected},
      {kRejected, kOpenUnlocked},  // reopen
      {kRejected, kCanceled},
      {kApproved, kEffective},  // a PERMANENT_ON_DATE change, once its date has come
      {kEffective, kCompleted},
      {kCompleted, kEffective},  // uncomplete
      {kEffective, kExpired},    // a deviation: at its expiration date, or forced earlier
      {kExpired, kCompleted},
  }};
  bool allowed = false;
  for (const auto& m : kMoves) allowed = allowed || (m.from == from && m.to == to);
  bool temporary = effectivity == "TEMPORARY";
  if (allowed && from == kApproved && effectivity != "PERMANENT_ON_DATE") allowed = false;
  // A deviation is completed once expired, never while in effect, and stays completed; a
  // permanent change never expires.
  if (allowed && from == kCompleted && temporary) allowed = false;
  if (allowed && from == kEffective && to == kCompleted && temporary) allowed = false;
  if (allowed && to == kExpired && !temporary) allowed = false;
  if (!allowed) {
    return Conflict(
        "A change in status " + std::string(from) + " cannot move to " + std::string(to) + ".",
        kErrIllegalTransition);
  }
  if (to == kApproved && effectivity != "PERMANENT_ON_DATE") return std::string(kEffective);
  return std::string(to);
}

bool PlannedDateReached(std::optional<int64_t> planned, int64_t now, bool scheduled) {
  if (!planned) return !scheduled;
  return *planned <= now;
}

std::string FormatNumber(std::string_view prefix, int digits, int64_t sequence) {
  std::string n = std::to_string(sequence);
  if (static_cast<int>(n.size()) < digits) n.insert(0, digits - n.size(), '0');
  return std::string(prefix) + n;
}

TextMatch ParseTextMatch(std::string_view value) {
  TextMatch m;
  bool lead = !value.empty() && value.front() == '*';
  if (lead) value.remove_prefix(1);
  bool trail = !value.empty() && value.back() == '*';
  if (trail) value.remove_suffix(1);
  if (!lead && !trail) {
    m.pattern = std::string(value);
    return m;
  }
  m.like = true;
  if (lead) m.pattern += '%';
  for (char c : value) {
    if (c == '%' || c == '_' || c == '\\') m.pattern += '\\';
    m.pattern += c;
  }
  if (m.pattern != "%") m.pattern += '%';
  return m;
}

std::optional<std::string> NextRevision(const std::optional<std::string>& current) {
  if (!current || current->empty()) return std::string("A");
  std::string r = *current;
  bool digits = r.find_first_not_of("0123456789") == std::string::npos;
  bool letters = r.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == std::string::npos;
  if (digits) {
    if (r.size() > 15) return std::nullopt;
    return std::to_string(std::stoll(r) + 1);
  }
  if (!letters) return std::nullopt;
  int i = static_cast<int>(r.size()) - 1;
  while (i >= 0 && r[i] == 'Z') r[i--] = 'A';
  if (i < 0) return "A" + r;
  ++r[i];
  return r;
}

std::string_view RevisionStatusName(int64_t status) {
  switch (status) {
    case 0:
      return "WORKING";
    case 1:
      return "EFFECTIVE";
    default:
      return "SUPERSEDED";
  }
}

namespace {

// "R12" as {"R", 12}; nullopt for anything else (letters, then at least one digit, and nothing
// after).
std::optional<std::pair<std::string_view, uint64_t>> Designator(std::string_view d) {
  size_t letters = 0;
  while (letters < d.size() && std::isalpha(static_cast<unsigned char>(d[letters]))) ++letters;
  if (letters == 0 || letters == d.size() || d.size() - letters > 18) return std::nullopt;
  uint64_t n = 0;
  for (size_t i = letters; i < d.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(d[i]))) return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(d[i] - '0');
  }
  return std::make_pair(d.substr(0, letters), n);
}

bool SamePrefix(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

Status CheckRefDes(std::string_view ref_des) {
  auto invalid = [](std::string_view what, std::string_view token) {
    return BadRequest("Invalid BOM Line: Invalid reference " + std::string(what) + ": " +
                          std::string(token.substr(0, 40)) + ".",
                      kErrInvalidBomLine);
  };
  size_t at = 0;
  while (at < ref_des.size()) {
    size_t end = ref_des.find_first_of(", \t", at);
    if (end == std::string_view::npos) end = ref_des.size();
    std::string_view token = ref_des.substr(at, end - at);
    at = end + 1;
    if (token.empty()) continue;
    if (size_t dash = token.find('-'); dash != std::string_view::npos) {
      auto first = Designator(token.substr(0, dash));
      auto last = Designator(token.substr(dash + 1));
      if (first && last) {
        if (!SamePrefix(first->first, last->first) || last->second < first->second) {
          return invalid("designator range", token);
        }
        continue;
      }
      // "R3-", "R1-R2-R3": a range begun and not ended.
      if (first) return invalid("designator range", token);
    }
    if (token.find_first_of("0123456789") == std::string_view::npos) {
      return invalid("descriptor", token);
    }
  }
  return OkStatus();
}

}  // namespace arenite::plm
