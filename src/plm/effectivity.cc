#include "plm/effectivity.h"

#include <algorithm>
#include <exception>
#include <optional>
#include <set>

#include "core/log.h"

namespace arenite::plm {

void EffectivityScheduler::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread(&EffectivityScheduler::Loop, this);
}

void EffectivityScheduler::Stop() {
  std::thread thread;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    thread.swap(thread_);
  }
  wake_.notify_all();
  if (thread.joinable()) thread.join();
}

void EffectivityScheduler::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  wake_.notify_all();
}

EffectivityScheduler::Pass EffectivityScheduler::RunOnce() {
  auto logger = log::Get("plm");
  Pass pass;
  std::lock_guard lock(retry_mu_);
  auto now = std::chrono::steady_clock::now();
  std::set<std::string, std::less<>> listed;
  std::optional<DueChange> after;
  bool complete = false;  // every due change was listed
  for (int page = 0; page < kPages; ++page) {
    auto due = plm_.DueChanges(kBatch, after);
    if (!due.ok()) {
      logger->warn("effectivity on date: cannot list the due changes: {}", due.error().message);
      return pass;
    }
    for (const auto& change : *due) {
      listed.insert(change.guid);
      auto it = retry_.find(change.guid);
      if (it != retry_.end() && now < it->second.at) continue;
      auto moved = plm_.MoveIfDue(change);
      if (!moved.ok()) {
        Retry& retry = retry_[change.guid];
        retry.delay = std::min<std::chrono::seconds>(
            std::chrono::hours(1),
            retry.delay.count() == 0 ? std::chrono::seconds(30) : retry.delay * 2);
        retry.at = now + retry.delay;
        logger->warn(
            "effectivity on date: change {} of workspace {} is due but did not become {} ({}); "
            "trying again in {} s",
            change.guid, change.workspace, change.expires ? "expired" : "effective",
            moved.error().message, retry.delay.count());
        continue;
      }
      retry_.erase(change.guid);
      if (*moved) {
        ++pass.moved;
        logger->info("effectivity on date: change {} of workspace {} became {}", change.guid,
                     change.workspace, change.expires ? "expired" : "effective");
      }
    }
    if (static_cast<int>(due->size()) < kBatch) {
      complete = true;
      break;
    }
    after = due->back();
  }
  // A change no longer due (moved by hand, canceled, re-dated) keeps no back-off.
  if (complete) {
    std::erase_if(retry_, [&](const auto& entry) { return !listed.count(entry.first); });
  }
  // Look again at once only while the moves make progress: the moved leave the list.
  pass.more = !complete && pass.moved > 0;
  return pass;
}

void EffectivityScheduler::Loop() {
  auto logger = log::Get("plm");
  std::unique_lock lock(mu_);
  while (!stop_) {
    woken_ = false;
    lock.unlock();
    Pass pass;
    try {
      pass = RunOnce();
    } catch (const std::exception& e) {
      // A broken row must not take the server down; the next look tries again.
      logger->error("effectivity on date: {}", e.what());
    } catch (...) {
      logger->error("effectivity on date: an unknown exception");
    }
    lock.lock();
    if (pass.more) continue;
    wake_.wait_for(lock, tick_, [&] { return stop_ || woken_; });
  }
}

}  // namespace arenite::plm
