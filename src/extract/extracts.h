// DataExtract definitions and their runs (/v1/extracts). A run builds its package on a thread
// of its own, reading one consistent snapshot; its progress (rows written, and an estimate from
// the previous completed run) is kept in memory while it runs and its outcome in the store.
// Runs interrupted by a stop are marked Failed, and their partial files removed, at the next
// start. Thread-safe; the destructor cancels running builds and waits for them.
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

  Result<json::Json> StartRun(const std::string& workspace, const std::string& extract_guid);
  Result<json::Json> ListRuns(const std::string& workspace, const std::string& extract_guid,
                              const std::string& status, int64_t offset, int64_t limit);
  Result<json::Json> GetRun(const std::string& workspace, const std::string& extract_guid,
                            const std::string& run_guid);
  static constexpr size_t kMaxConcurrentRuns = 2;  // each holds one of the store's 8 readers

  // Cancels a run in process (it ends Aborted); 409 for a run that already ended.
  Status AbortRun(const std::string& workspace, const std::string& extract_guid,
                  const std::string& run_guid);
  // The package file of a completed run, with its download name.
  Result<std::pair<std::string, std::string>> FilePath(const std::string& workspace,
                                                       const std::string& extract_guid,
                                                       const std::string& run_guid,
                                                       const std::string& file_guid);

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
  std::mutex mu_;
  std::condition_variable idle_;
  std::map<std::string, std::shared_ptr<Active>> active_;  // by run guid; each has a thread
  bool stopping_ = false;
};

}  // namespace arenite::extract
