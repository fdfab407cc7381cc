// Time for every component comes from a Clock, so tests can move it. Times are whole seconds
// or milliseconds since the Unix epoch, UTC; the API renders them as 2026-12-03T09:41:15Z.
// Clocks are safe to share between threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace arenite {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMillis() const = 0;
  int64_t Now() const { return NowMillis() / 1000; }
};

// The real time of the host.
class SystemClock : public Clock {
 public:
  int64_t NowMillis() const override;
};

// The host's time plus an offset that can be moved forward; used by `serve --unsafe-test-clock`
// and by unit tests (started at a fixed instant with SetMillis).
class AdjustableClock : public Clock {
 public:
  int64_t NowMillis() const override;
  void Advance(int64_t millis) { offset_ += millis; }
  // Pins the clock to a fixed instant that then moves only by Advance.
  void SetMillis(int64_t millis) {
    fixed_ = true;
    offset_ = millis;
  }

 private:
  std::atomic<int64_t> offset_{0};
  std::atomic<bool> fixed_{false};
};

// 2026-12-03T09:41:15Z for a time in Unix seconds.
std::string FormatDateTime(int64_t unix_seconds);
// Parses the form above (also with fractional seconds or an offset like +02:00); nullopt when
// the text is not a valid time.
std::optional<int64_t> ParseDateTime(std::string_view text);

}  // namespace arenite
