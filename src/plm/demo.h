// Realistic, deterministic demo data for a workspace: a category tree's parts with part numbers
// in the usual styles, multi-level assemblies sharing sub-assemblies, suppliers with supplier
// items and an approved manufacturer list, and changes in every lifecycle status. Written in
// large transactions for speed; the rows are the workspace's initial state, so no events are
// recorded for them. Safe to call from any thread that is not inside a Store callback.
#pragma once

#include <cstdint>
#include <string>

#include "core/json.h"
#include "core/result.h"
#include "store/store.h"

namespace arenite::plm {

struct DemoOptions {
  std::string workspace;
  std::string creator;  // user guid recorded as creator
  int64_t items = 2000;
  uint64_t seed = 1;
  int64_t now = 0;  // Unix seconds; creation times spread over the two years before
};

// Adds the data; answers counts {items, bomLines, suppliers, supplierItems, sourcing, changes}.
Result<json::Json> GenerateDemoData(store::Store& store, const DemoOptions& options);

}  // namespace arenite::plm
