#include "extract/scheduler.h"

#include <cstdint>
#include <optional>

#include "core/log.h"

namespace arenite::extract {

void Scheduler::Start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread(&Scheduler::Loop, this);
}

void Scheduler::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Scheduler::Loop() {
  auto logger = log::Get("extract");
  std::optional<int64_t> retained_at;  // the Clock at the last retention pass
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    if (auto started = extracts_.RunDueSchedules(); !started.ok()) {
      logger->warn("extract schedules: {}", started.error().message);
    }
    int64_t now = clock_.Now();
    if (!retained_at || now - *retained_at >= 60 || now < *retained_at) {
      retained_at = now;
      if (auto removed = extracts_.ApplyRetention(); !removed.ok()) {
        logger->warn("package retention: {}", removed.error().message);
      }
    }
    lock.lock();
    wake_.wait_for(lock, tick_, [&] { return stop_; });
  }
}

}  // namespace arenite::extract
