// Logging: one spdlog logger per component ("http", "store", "oauth", ...), all writing to
// stderr in one format, text for people or JSON lines for machines. Loggers are thread-safe.
// Never pass a secret, token, code or password to a logger, at any level.
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace arenite::log {

enum class Format { kText, kJson };

// Sets the format and level for every logger, existing and future. Call once at start.
void Init(Format format, spdlog::level::level_enum level = spdlog::level::info);

// The logger of a component, created on first use.
std::shared_ptr<spdlog::logger> Get(const std::string& component);

// Escapes text for inclusion in a JSON string (the log line's own quotes not included).
std::string JsonEscape(std::string_view text);

// How many lines of one kind get written: at most `lines` in each `window`, the rest counted and
// reported by the next line written. For warnings that clients can cause as often as they like
// (failed client authentications from many addresses), which would otherwise flood the log;
// counters keep the full count. Thread-safe.
class Budget {
 public:
  using Clock = std::chrono::steady_clock;

  Budget(int lines, Clock::duration window) : lines_(lines), window_(window) {}

  // Whether to write a line now. When it is, `*held_back` is the number of lines of this kind
  // not written since the last one that was.
  bool Take(uint64_t* held_back) { return TakeAt(Clock::now(), held_back); }
  bool TakeAt(Clock::time_point now, uint64_t* held_back);

 private:
  const int lines_;
  const Clock::duration window_;
  std::mutex mu_;
  Clock::time_point window_start_{};
  int written_ = 0;
  uint64_t held_back_ = 0;
};

}  // namespace arenite::log
