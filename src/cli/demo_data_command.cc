// `arenite demo-data`: fills a workspace with realistic, deterministic PLM data (plm/demo.h).
#include <chrono>
#include <iostream>

#include "cli/commands.h"
#include "core/clock.h"
#include "core/guid.h"
#include "core/json.h"
#include "plm/demo.h"
#include "workspace/users.h"

namespace arenite::cli {

Result<json::Json> FillDemoWorkspace(store::Store& store, const std::string& workspace,
                                     int64_t items, uint64_t seed) {
  SystemClock clock;
  workspace::Users users(store, clock);
  ARENITE_RETURN_IF_ERROR(users.GetWorkspace(workspace));
  ARENITE_ASSIGN_OR_RETURN(auto list, users.List(workspace, 0, 400));
  std::string creator;
  for (const auto& u : list) {
    if (u.role == workspace::Role::kAdmin && u.kind == "PERSON") {
      creator = u.guid;
      break;
    }
  }
  if (creator.empty() && !list.empty()) creator = list.front().guid;
  plm::DemoOptions options{workspace, creator, items, seed, clock.Now()};
  return plm::GenerateDemoData(store, options);
}

void AddDemoDataCommand(CLI::App& app, int& exit_code) {
  struct Options {
    std::string data_dir, workspace;
    int64_t items = 2000;
    uint64_t seed = 1;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd =
      app.add_subcommand("demo-data", "Fill a workspace with realistic, deterministic PLM data");
  cmd->add_option("--data-dir", o->data_dir, "The data directory")->required();
  cmd->add_option("--workspace", o->workspace, "The workspace's guid")->required();
  cmd->add_option("--items", o->items, "How many items to create")
      ->check(CLI::Range(int64_t{1}, int64_t{10000000}))
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed; the same seed gives the same data")
      ->capture_default_str();
  cmd->callback([o, &exit_code] {
    if (!IsGuid(o->workspace)) {
      std::cerr << "arenite demo-data: --workspace must be a workspace guid\n";
      exit_code = 2;
      return;
    }
    auto store = OpenDataDir(o->data_dir, false);
    if (!store.ok()) {
      std::cerr << "arenite demo-data: " << store.error().message << "\n";
      exit_code = 1;
      return;
    }
    auto start = std::chrono::steady_clock::now();
    auto counts = FillDemoWorkspace(**store, o->workspace, o->items, o->seed);
    if (!counts.ok()) {
      std::cerr << "arenite demo-data: " << counts.error().message << "\n";
      exit_code = 1;
      return;
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
    json::Json out = *counts;
    out["elapsedMs"] = ms;
    std::cout << out.dump() << std::endl;
    exit_code = 0;
  });
}

}  // namespace arenite::cli
