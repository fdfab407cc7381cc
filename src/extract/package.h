// Builds a DataExtract package: one CSV per view and a manifest.json, in a ZIP named
// Extract_YYYYMMDD_HHMMSSZ_<runGuid>.zip. Every view is read in ONE snapshot of the store, so
// the package is consistent however long it takes, by one or more reading threads (each on its
// own reader, all in that snapshot). Rows are formatted into 256 KiB chunks that a pool of
// threads (one per core) compresses in parallel, each chunk on its own, and a writing thread
// appends them in order. Reading and compressing overlap, and the chunks' memory stays flat (a
// bounded number in flight) whatever the workspace's size; the views' item labels
// (extract/views.h) add at most 64 MiB.
// BuildPackage is called from one thread; progress and cancellation may be observed and set
// from others. on_progress is called from the reading threads, one call at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "extract/csv.h"
#include "store/store.h"

namespace arenite::extract {

// Emits one row: its Trans Type and the values after it in header order, starting with the
// row's Guid. Returns false when the build is being cancelled: stop reading then.
using EmitRow =
    std::function<bool(std::string_view trans_type, const std::vector<std::string_view>& values)>;

struct ViewSource {
  std::string name;                  // "Items_Summary"; the file is <name>.csv
  std::vector<std::string> columns;  // after "Trans Type": "Guid", ...
  // Reads the view's rows inside the package's transaction and emits each one.
  std::function<Status(store::Tx& tx, const EmitRow& emit)> read;
};

struct PackageOptions {
  std::string directory;  // where the ZIP is written
  CsvOptions csv;
  int compression_level = 6;
  // Threads reading views at once, each on its own store reader but all in the same snapshot
  // (store::Store::ReadTogether); at most one per view.
  size_t read_threads = 1;
  uint64_t zip64_threshold = 0xFFFFFFFFull;
  std::atomic<bool>* cancel = nullptr;  // set to abort the build
  // Called now and then from the building thread with the rows written so far.
  std::function<void(int64_t rows)> on_progress;
  // Called first inside the package's snapshot, to add fields (such as the event sequence the
  // snapshot holds) to the manifest.
  std::function<Status(store::Tx& tx, nlohmann::json& manifest)> on_snapshot;
};

struct PackageFile {
  std::string view;
  std::string name;
  int64_t rows = 0;
  uint64_t bytes = 0;
  std::string sha256;  // hex, of the uncompressed CSV
  int64_t truncated_values = 0;
};

struct Package {
  std::string path;
  std::string file_name;
  uint64_t size = 0;
  std::vector<PackageFile> files;
  nlohmann::json manifest;
  bool zip64 = false;
};

// "Extract_20261203_094115Z_<runGuid>.zip"
std::string PackageName(int64_t unix_time, const std::string& run_guid);

// Builds the package. `manifest_base` holds the run's own fields (workspace, extract, run, type,
// sequence range, ...); the builder adds "creationDateTime" and "files".
Result<Package> BuildPackage(store::Store& store, const std::vector<ViewSource>& views,
                             const std::string& run_guid, int64_t now,
                             const nlohmann::json& manifest_base, const PackageOptions& options);

}  // namespace arenite::extract
