// The thread that starts scheduled extract runs when they fall due and removes the packages
// that the retention no longer keeps (at the first look, then whenever the Clock has moved a
// minute). It looks at the server's Clock every `tick` of real time, so a test clock moved
// forward is seen at the next look; a run that fell due while the server was down starts at the
// first look, once. Start and Stop are called from one thread; the
// destructor stops. The Extracts must outlive the Scheduler.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "extract/extracts.h"

namespace arenite::extract {

class Scheduler {
 public:
  Scheduler(Extracts& extracts, const Clock& clock,
            std::chrono::milliseconds tick = std::chrono::milliseconds(1000))
      : extracts_(extracts), clock_(clock), tick_(tick) {}
  ~Scheduler() { Stop(); }
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void Start();
  void Stop();

 private:
  void Loop();

  Extracts& extracts_;
  const Clock& clock_;
  const std::chrono::milliseconds tick_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace arenite::extract
