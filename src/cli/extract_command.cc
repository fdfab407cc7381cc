// `arenite extract run`: a FULL DataExtract package of a workspace's views, built on the host
// straight from the data dir (the server may be running), with a progress bar on a terminal and
// plain progress lines otherwise.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "core/clock.h"
#include "core/guid.h"
#include "extract/package.h"
#include "extract/views.h"
#include "workspace/users.h"

namespace arenite::cli {
namespace {

std::atomic<bool> interrupted{false};

void OnInterrupt(int) { interrupted = true; }

struct ExtractRunOptions {
  std::string data_dir, workspace, out, format = "RFC4180";
  std::vector<std::string> views;
  size_t max_text_length = 0;
  bool neutralize_formulas = false;
  bool map_database = false;
  std::string progress = "auto";
};

std::string Grouped(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// Draws progress on stderr: a bar redrawn in place on a terminal, else a line a second.
class Progress {
 public:
  Progress(bool bar, int64_t estimate) : bar_(bar), estimate_(estimate) {}
  void Update(int64_t rows, bool final = false) {
    auto now = std::chrono::steady_clock::now();
    auto since = now - last_;
    if (!final && since < (bar_ ? std::chrono::milliseconds(100) : std::chrono::seconds(1))) {
      return;
    }
    last_ = now;
    double seconds = std::chrono::duration<double>(now - start_).count();
    double fraction = estimate_ > 0 ? std::min(1.0, static_cast<double>(rows) / estimate_) : 1.0;
    if (final) fraction = 1.0;
    char line[160];
    if (bar_) {
      constexpr int kWidth = 30;
      int filled = static_cast<int>(fraction * kWidth);
      std::string bar(static_cast<size_t>(filled), '#');
      bar.append(static_cast<size_t>(kWidth - filled), '-');
      std::snprintf(line, sizeof line, "\r[%s] %3d%%  %s / %s rows  %.1f s", bar.c_str(),
                    static_cast<int>(fraction * 100), Grouped(rows).c_str(),
                    Grouped(estimate_).c_str(), seconds);
      std::cerr << line << (final ? "\n" : "") << std::flush;
    } else {
      std::snprintf(line, sizeof line, "extract: %lld of %lld rows (%d%%), %.1f s",
                    static_cast<long long>(rows), static_cast<long long>(estimate_),
                    static_cast<int>(fraction * 100), seconds);
      std::cerr << line << "\n";
    }
  }

 private:
  const bool bar_;
  const int64_t estimate_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;
};

int RunExtract(ExtractRunOptions o) {
  auto fail = [](const std::string& message, int code) {
    std::cerr << "arenite extract run: " << message << "\n";
    return code;
  };

  // Validate the command line before touching the data dir.
  if (!IsGuid(o.workspace)) return fail("--workspace must be a workspace guid", 2);
  if (o.views.size() == 1 && o.views[0] == "all") o.views = extract::ViewNames();
  if (o.views.empty()) return fail("--views needs at least one view", 2);
  for (size_t i = 0; i < o.views.size(); ++i) {
    if (!extract::IsView(o.views[i])) {
      return fail(
          "\"" + o.views[i] +
              "\" is not a view; views are all, or some of Items_Summary, "
              "Items_BOM, Items_Sourcing, Changes_Summary, Changes_Items, Suppliers_Summary "
              "and Supplier_Items_Summary",
          2);
    }
    for (size_t j = 0; j < i; ++j) {
      if (o.views[j] == o.views[i]) return fail("a view is listed twice: " + o.views[i], 2);
    }
  }
  extract::PackageOptions options;
  if (o.format == "DATAEXTRACT") {
    options.csv.format = extract::CsvFormat::kDataExtract;
  } else if (o.format != "RFC4180") {
    return fail("--format must be RFC4180 or DATAEXTRACT", 2);
  }
  if (o.progress != "auto" && o.progress != "bar" && o.progress != "lines" &&
      o.progress != "none") {
    return fail("--progress must be auto, bar, lines or none", 2);
  }
  options.csv.max_text_length = o.max_text_length;
  options.csv.neutralize_formulas = o.neutralize_formulas;
  namespace fs = std::filesystem;
  fs::path out = fs::absolute(o.out);
  std::error_code ec;
  if (out.filename().empty() || fs::is_directory(out, ec)) {
    return fail("--out must name a file, e.g. extract.zip", 2);
  }
  if (!fs::is_directory(out.parent_path(), ec)) {
    return fail("the directory of --out does not exist: " + out.parent_path().string(), 1);
  }

  // A reader per core (up to four) reads views at once in one snapshot. They share a page-cache
  // budget of 128 MiB (64 MiB each on two cores), which keeps the views' joins from re-reading
  // pages and bounds the process's memory whatever the workspace's size and however many cores
  // there are. More does not pay: 96 MiB each on two cores ran a 1,000,000-item package in
  // the same time (48.3 s against 48.5 s).
  unsigned cores = std::thread::hardware_concurrency();
  options.read_threads = std::clamp<size_t>(cores == 0 ? 1 : cores, 1, 4);
  // --map-database maps the file (the OS's page cache then serves the joins' look-ups without a
  // copy each); resident memory then counts the pages mapped. SQLite caps the map (2 GiB in
  // Debian's build); asking for more is harmless.
  constexpr int64_t kMapUpTo = int64_t{1} << 40;
  constexpr int64_t kCacheBudgetKib = 128 * 1024;
  auto store =
      OpenDataDir(o.data_dir, false,
                  {.readers = static_cast<int>(options.read_threads),
                   .reader_cache_kib = kCacheBudgetKib / static_cast<int64_t>(options.read_threads),
                   .reader_mmap_bytes = o.map_database ? kMapUpTo : 0});
  if (!store.ok()) return fail(store.error().message, 1);
  SystemClock clock;
  workspace::Users users(**store, clock);
  if (!users.GetWorkspace(o.workspace).ok()) {
    return fail("no workspace " + o.workspace + " in " + o.data_dir, 1);
  }

  // The estimate for the progress display: the views' row counts now.
  bool bar = o.progress == "bar" || (o.progress == "auto" && ::isatty(STDERR_FILENO));
  int64_t estimate = 0;
  if (o.progress != "none") {
    Status counted = (*store)->Read([&](store::Tx& tx) -> Status {
      for (const auto& v : o.views) {
        ARENITE_ASSIGN_OR_RETURN(int64_t n, extract::CountRows(tx, v, o.workspace));
        estimate += n;
      }
      return OkStatus();
    });
    if (!counted.ok()) return fail(counted.error().message, 1);
  }
  Progress progress(bar, estimate);

  std::vector<extract::ViewSource> views;
  auto lookups = std::make_shared<extract::ViewLookups>();
  for (const auto& v : o.views) views.push_back(extract::FullView(v, o.workspace, lookups));
  std::string run_guid = NewGuid();
  options.directory = out.parent_path().string();
  options.cancel = &interrupted;
  if (o.progress != "none") options.on_progress = [&](int64_t rows) { progress.Update(rows); };
  options.on_snapshot = [&](store::Tx& tx, nlohmann::json& manifest) -> Status {
    ARENITE_ASSIGN_OR_RETURN(
        auto max,
        tx.QueryInt("SELECT MAX(sequence) FROM events WHERE workspace_guid = ?", {o.workspace}));
    manifest["sequenceFrom"] = 0;
    manifest["sequenceTo"] = max.value_or(0);
    return OkStatus();
  };
  nlohmann::json manifest = {{"workspaceId", o.workspace},
                             {"run", {{"guid", run_guid}}},
                             {"type", "FULL"},
                             {"source", "arenite extract run"}};

  // Ctrl-C cancels the build, which then removes its partial files.
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  auto start = std::chrono::steady_clock::now();
  auto package = extract::BuildPackage(**store, views, run_guid, clock.Now(), manifest, options);
  if (!package.ok()) {
    if (bar) std::cerr << "\n";
    if (interrupted) return fail("interrupted; no package written", 1);
    return fail(package.error().message, 1);
  }
  fs::rename(package->path, out, ec);
  if (ec) {
    fs::remove(package->path, ec);
    return fail("cannot write " + out.string(), 1);
  }
  int64_t rows = 0;
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : package->files) {
    rows += f.rows;
    files.push_back({{"view", f.view}, {"rows", f.rows}, {"bytes", f.bytes}});
  }
  if (o.progress != "none") progress.Update(rows, true);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  std::cout << nlohmann::json{{"file", out.string()}, {"name", package->file_name},
                              {"rows", rows},         {"size", package->size},
                              {"files", files},       {"elapsedMs", ms}}
                   .dump()
            << std::endl;
  return 0;
}

}  // namespace

void AddExtractCommand(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("extract", "DataExtract packages built on the host");
  cmd->require_subcommand(1);
  auto o = std::make_shared<ExtractRunOptions>();
  CLI::App* run = cmd->add_subcommand(
      "run", "Write a FULL package (a ZIP of one CSV per view and manifest.json) to a file");
  run->add_option("--data-dir", o->data_dir, "The data directory")->required();
  run->add_option("--workspace", o->workspace, "The workspace's guid")->required();
  run->add_option("--views", o->views, "Views, comma-separated, or all")
      ->required()
      ->delimiter(',');
  run->add_option("--out", o->out, "The ZIP file to write (replaced if it exists)")->required();
  run->add_option("--format", o->format, "RFC4180 or DATAEXTRACT")->capture_default_str();
  run->add_option("--max-text-length", o->max_text_length,
                  "Cut longer values to this many characters (0: no limit)")
      ->capture_default_str();
  run->add_flag("--neutralize-formulas", o->neutralize_formulas,
                "Prefix values starting with = + - @ TAB or CR with an apostrophe");
  run->add_flag("--map-database", o->map_database,
                "Read the database through a memory map: faster on a large workspace, but "
                "resident memory grows with the pages read (up to 2 GiB per reader)");
  run->add_option("--progress", o->progress,
                  "auto (a bar on a terminal, else lines), bar, lines or none")
      ->capture_default_str();
  run->callback([o, &exit_code] { exit_code = RunExtract(*o); });
}

}  // namespace arenite::cli
