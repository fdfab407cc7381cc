#include "extract/schedule.h"

#include <array>
#include <cstdio>
#include <string_view>

#include "core/clock.h"

namespace arenite::extract {
namespace {

constexpr std::array<std::string_view, 7> kDays = {"SUNDAY",   "MONDAY", "TUESDAY", "WEDNESDAY",
                                                   "THURSDAY", "FRIDAY", "SATURDAY"};
constexpr int64_t kDay = 86400;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::string_view FrequencyName(Schedule::Frequency f) {
  switch (f) {
    case Schedule::Frequency::kHourly:
      return "HOURLY";
    case Schedule::Frequency::kDaily:
      return "DAILY";
    case Schedule::Frequency::kWeekly:
      return "WEEKLY";
  }
  return "DAILY";
}

// "HH:MM" with HH 00-23 and MM 00-59.
bool ParseTime(std::string_view text, int* hour, int* minute) {
  if (text.size() != 5 || text[2] != ':') return false;
  for (size_t i : {0u, 1u, 3u, 4u}) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  *hour = (text[0] - '0') * 10 + (text[1] - '0');
  *minute = (text[3] - '0') * 10 + (text[4] - '0');
  return *hour < 24 && *minute < 60;
}

// The first instant at or after `now` at the schedule's time of day (and weekday, when weekly).
int64_t Anchor(const Schedule& s, int64_t now) {
  int64_t midnight = FloorDiv(now, kDay) * kDay;
  int64_t candidate = midnight + s.hour * 3600 + s.minute * 60;
  if (candidate < now) candidate += kDay;
  if (s.frequency == Schedule::Frequency::kWeekly) {
    // 1970-01-01 was a Thursday (4).
    for (int i = 0; i < 7; ++i) {
      int64_t weekday = (FloorDiv(candidate, kDay) + 4) % 7;
      if (weekday == s.day_of_week) break;
      candidate += kDay;
    }
  }
  return candidate;
}

Error Invalid(const std::string& message) { return BadRequest(message, kErrInvalidValue); }

}  // namespace

int64_t Schedule::PeriodSeconds() const {
  int64_t unit = frequency == Frequency::kHourly  ? 3600
                 : frequency == Frequency::kDaily ? kDay
                                                  : 7 * kDay;
  return unit * interval;
}

Result<Schedule> ParseSchedule(const json::Json& body, int64_t now) {
  if (!body.is_object()) return Invalid("schedule must be an object or null");
  ARENITE_RETURN_IF_ERROR(json::RejectUnknownFields(
      body, {"frequency", "interval", "time", "dayOfWeek", "anchorDateTime", "nextRunDateTime"}));
  Schedule s;
  ARENITE_ASSIGN_OR_RETURN(std::string frequency, json::RequiredString(body, "frequency", 16));
  if (frequency == "HOURLY") {
    s.frequency = Schedule::Frequency::kHourly;
  } else if (frequency == "DAILY") {
    s.frequency = Schedule::Frequency::kDaily;
  } else if (frequency == "WEEKLY") {
    s.frequency = Schedule::Frequency::kWeekly;
  } else {
    return Invalid("schedule.frequency must be HOURLY, DAILY or WEEKLY");
  }
  ARENITE_ASSIGN_OR_RETURN(auto interval, json::OptionalInt(body, "interval", 1, 366));
  s.interval = interval.value_or(1);
  ARENITE_ASSIGN_OR_RETURN(auto time, json::OptionalString(body, "time", 16));
  if (time && !ParseTime(*time, &s.hour, &s.minute)) {
    return Invalid("schedule.time must be HH:MM in UTC, e.g. 02:30");
  }
  ARENITE_ASSIGN_OR_RETURN(auto day, json::OptionalString(body, "dayOfWeek", 16));
  if (s.frequency == Schedule::Frequency::kWeekly) {
    if (!day) return BadRequest("a WEEKLY schedule needs dayOfWeek", kErrMissingField);
    s.day_of_week = -1;
    for (size_t i = 0; i < kDays.size(); ++i) {
      if (*day == kDays[i]) s.day_of_week = static_cast<int>(i);
    }
    if (s.day_of_week < 0) return Invalid("schedule.dayOfWeek must be MONDAY ... SUNDAY");
  } else if (day) {
    return Invalid("schedule.dayOfWeek applies to WEEKLY schedules only");
  }
  s.anchor = Anchor(s, now);
  return s;
}

json::Json ScheduleJson(const Schedule& s) {
  char time[8];
  std::snprintf(time, sizeof time, "%02d:%02d", s.hour, s.minute);
  json::Json out = {{"frequency", FrequencyName(s.frequency)},
                    {"interval", s.interval},
                    {"time", time},
                    {"anchorDateTime", FormatDateTime(s.anchor)}};
  if (s.frequency == Schedule::Frequency::kWeekly) {
    out["dayOfWeek"] = kDays[static_cast<size_t>(s.day_of_week)];
  }
  return out;
}

Result<Schedule> ScheduleFromStored(const json::Json& stored) {
  ARENITE_ASSIGN_OR_RETURN(Schedule s, ParseSchedule(stored, 0));
  auto anchor = ParseDateTime(json::StringOr(stored, "anchorDateTime"));
  if (!anchor) return Internal("a stored schedule has no anchor");
  s.anchor = *anchor;
  return s;
}

int64_t NextRunAfter(const Schedule& s, int64_t t) {
  int64_t period = s.PeriodSeconds();
  return s.anchor + (FloorDiv(t - s.anchor, period) + 1) * period;
}

}  // namespace arenite::extract
