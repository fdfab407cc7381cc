// A real SQLite store in a fresh directory under the system's temp dir, for the unit tests of
// the components above the store; the directory goes with the object.
#pragma once

#include <filesystem>
#include <memory>
#include <system_error>
#include <vector>

#include "core/guid.h"
#include "core/result.h"
#include "store/store.h"

namespace arenite::test {

class TempStore {
 public:
  TempStore() : dir_(std::filesystem::temp_directory_path() / ("arenite-unit-" + NewGuid())) {}
  ~TempStore() {
    Close();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  TempStore(const TempStore&) = delete;
  TempStore& operator=(const TempStore&) = delete;

  // Opens the store and applies each list of migrations, in order.
  Status Open(const std::vector<std::vector<store::Migration>>& migrations) {
    std::filesystem::create_directories(dir_);
    ARENITE_ASSIGN_OR_RETURN(store_, store::OpenSqlite({.path = (dir_ / "arenite.db").string()}));
    for (const auto& list : migrations) ARENITE_RETURN_IF_ERROR(store_->Migrate(list));
    return OkStatus();
  }
  // Closes the store before the components that used it are gone from the fixture.
  void Close() { store_.reset(); }

  store::Store& operator*() const { return *store_; }
  store::Store* operator->() const { return store_.get(); }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
};

}  // namespace arenite::test
