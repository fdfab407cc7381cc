// When the scheduled runs of a DataExtract definition fall: HOURLY, DAILY or WEEKLY, every
// `interval` of those, at a UTC time of day (and, for WEEKLY, on a day of the week). The run
// instants are anchor + k * period for every integer k, the anchor being the first such time at
// or after the moment the schedule was set. Pure functions over Unix seconds; thread-safe.
#pragma once

#include <cstdint>

#include "core/json.h"
#include "core/result.h"

namespace arenite::extract {

struct Schedule {
  enum class Frequency { kHourly, kDaily, kWeekly };
  Frequency frequency = Frequency::kDaily;
  int64_t interval = 1;  // hours, days or weeks between runs
  int hour = 0;          // UTC time of day
  int minute = 0;
  int day_of_week = 1;  // WEEKLY only: 0 Sunday ... 6 Saturday
  int64_t anchor = 0;   // one run instant, in Unix seconds

  int64_t PeriodSeconds() const;
};

// Reads {"frequency","interval","time":"HH:MM","dayOfWeek"} (dayOfWeek only, and required, for
// WEEKLY), anchoring it at the first matching instant at or after `now`. Bad input is a 400.
Result<Schedule> ParseSchedule(const json::Json& body, int64_t now);

// The stored and shown form, with "anchorDateTime"; FromStored reads it back.
json::Json ScheduleJson(const Schedule& schedule);
Result<Schedule> ScheduleFromStored(const json::Json& stored);

// The first run instant strictly after `t`.
int64_t NextRunAfter(const Schedule& schedule, int64_t t);

}  // namespace arenite::extract
