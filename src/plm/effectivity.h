// Effectivity on date: the thread that makes each APPROVED PERMANENT_ON_DATE change EFFECTIVE
// once its planned date has come, and each EFFECTIVE TEMPORARY change (a deviation) EXPIRED once
// its expiration date has. It looks at the server's Clock at start and then every `tick`
// of real time (or at once when woken), so a change that fell due while the server was down
// becomes effective at the first look and a test clock moved forward is seen at the next one.
// Each promotion is one conditional Write (Plm::PromoteIfDue), so several nodes, or a client's
// own move, never promote a change twice. A failed promotion is logged and tried again later,
// after a delay that doubles up to an hour. Start, Stop and Wake may be called from any thread;
// the destructor stops. The Plm must outlive the scheduler.
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
  // (up to kPages pages); returns how many it promoted and whether more are due while this look
  // made progress (then the caller looks again at once). Used by the thread; public so that
  // tests can take one look without it.
  struct Pass {
    int promoted = 0;
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
