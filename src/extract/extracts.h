// DataExtract definitions and their runs (/v1/extracts). A run builds its package on a thread
// of its own, reading one consistent snapshot; its progress (rows written, and an estimate from
// the previous completed run) is kept in memory while it runs and its outcome in the store.
// Runs interrupted by a stop are marked Failed, and their partial files removed, at the next
// start. Definitions may carry owners (users of the workspace) and a schedule (schedule.h),
// whose due runs RunDueSchedules starts; ApplyRetention removes the packages of old runs.
// Thread-safe; the destructor cancels running builds and waits for them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "core/result.h"
#include "store/store.h"

namespace arenite::extract {

std::vector<store::Migration> Migrations();

// How long packages are kept: the newest `keep_runs` completed runs of each extract, and none
// older than `keep_days`; 0 turns either limit off. The newest package of an extract is always
// kept. A run whose package was removed stays listed, with filesRemovedDateTime.
struct Retention {
  int64_t keep_runs = 10;
  int64_t keep_days = 30;
};

class Extracts {
 public:
  Extracts(store::Store& store, const Clock& clock, std::string packages_dir)
      : store_(store), clock_(clock), packages_dir_(std::move(packages_dir)) {}
  ~Extracts();

  // Marks runs left InProcess by a stop as Failed and removes their partial files.
  Status RecoverInterrupted();

  Result<json::Json> Create(const std::string& workspace, const std::string& actor,
                            const json::Json& body);
  Result<json::Json> List(const std::string& workspace, int64_t offset, int64_t limit);
  Result<json::Json> Get(const std::string& workspace, const std::string& guid);
  Result<json::Json> Update(const std::string& workspace, const std::string& guid,
                            const json::Json& body);
  Status Delete(const std::string& workspace, const std::string& guid);

  // `trigger` is shown on the run: MANUAL (the API) or SCHEDULE.
  Result<json::Json> StartRun(const std::string& workspace, const std::string& extract_guid,
                              const std::string& trigger = "MANUAL");
  Result<json::Json> ListRuns(const std::string& workspace, const std::string& extract_guid,
                              const std::string& status, int64_t offset, int64_t limit);
  Result<json::Json> GetRun(const std::string& workspace, const std::string& extract_guid,
                            const std::string& run_guid);
  // The newest Completed run of the extract; NotFound when it has none.
  Result<json::Json> LatestCompletedRun(const std::string& workspace,
                                        const std::string& extract_guid);
  static constexpr size_t kMaxConcurrentRuns = 2;  // each holds two of the store's 8 readers

  // Cancels a run in process (it ends Aborted); 409 for a run that already ended.
  Status AbortRun(const std::string& workspace, const std::string& extract_guid,
                  const std::string& run_guid);
  // The package file of a completed run, with its download name.
  Result<std::pair<std::string, std::string>> FilePath(const std::string& workspace,
                                                       const std::string& extract_guid,
                                                       const std::string& run_guid,
                                                       const std::string& file_guid);

  // Starts a run of every extract whose schedule fell due by now (once, however many instants
  // passed while the server was down) and moves each one's next run past now. An extract whose
  // run cannot start yet (one in process, or too many runs) stays due. Returns the runs started.
  Result<int> RunDueSchedules();

  // Blocks until no run started here is in process any more (each has recorded its end and
  // applied the retention).
  void WaitIdle();

  void SetRetention(Retention retention);
  // Removes the package files that the retention no longer keeps and marks their runs.
  // Returns how many packages were removed.
  Result<int> ApplyRetention();

 private:
  struct Active {
    std::atomic<bool> cancel{false};
    std::atomic<int64_t> rows{0};
  };
  void Execute(std::string workspace, std::string extract_guid, std::string run_guid,
               std::shared_ptr<Active> active);
  Result<json::Json> RunJson(const store::Row& row);

  store::Store& store_;
  const Clock& clock_;
  const std::string packages_dir_;
  std::atomic<int64_t> keep_runs_{Retention{}.keep_runs};
  std::atomic<int64_t> keep_days_{Retention{}.keep_days};
  std::mutex mu_;
  std::condition_variable idle_;
  std::map<std::string, std::shared_ptr<Active>> active_;  // by run guid; each has a thread
  bool stopping_ = false;
};

}  // namespace arenite::extract
