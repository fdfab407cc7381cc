// Effectivity on date: the thread that moves each change whose date has come (an APPROVED
// PERMANENT_ON_DATE change to EFFECTIVE, an EFFECTIVE TEMPORARY one to EXPIRED), at start and
// every `tick` of real time, each move one conditional Write (Plm::MoveIfDue) retried with a
// doubling back-off when it fails. Thread-safe; the Plm must outlive it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "plm/plm.h"

namespace arenite::plm {

class EffectivityScheduler {
 public:
  explicit EffectivityScheduler(Plm& plm,
                                std::chrono::milliseconds tick = std::chrono::milliseconds(2000))
      : plm_(plm), tick_(tick) {}
  ~EffectivityScheduler() { Stop(); }
  EffectivityScheduler(const EffectivityScheduler&) = delete;
  EffectivityScheduler& operator=(const EffectivityScheduler&) = delete;

  void Start();
  void Stop();
  // Looks for due changes now instead of at the next tick.
  void Wake();

  // One look: promotes the due changes not waiting for a retry, listing them a page at a time
  // (up to kPages pages); returns how many it moved and whether more are due while this look
  // made progress (then the caller looks again at once). Used by the thread; public so that
  // tests can take one look without it.
  struct Pass {
    int moved = 0;
    bool more = false;
  };
  Pass RunOnce();

 private:
  static constexpr int kBatch = 100;  // due changes listed per page
  static constexpr int kPages = 10;   // pages per look (the rest wait for the next look)
  struct Retry {
    std::chrono::steady_clock::time_point at;
    std::chrono::seconds delay{0};
  };

  void Loop();

  Plm& plm_;
  const std::chrono::milliseconds tick_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool woken_ = false;
  std::thread thread_;
  std::mutex retry_mu_;
  std::map<std::string, Retry, std::less<>> retry_;  // change guid -> when to try again
};

}  // namespace arenite::plm
