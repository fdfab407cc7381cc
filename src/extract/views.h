// The DataExtract views: each one's column headers (Arena's human-readable names, after
// "Trans Type") and how its rows are read from the workspace tables. Every view shows, for an
// item, the revision that GET /v1/items/{guid} shows: the effective one, or the working one
// while the item is unreleased. docs/DATAEXTRACT.md lists every view's columns in order.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "extract/label_table.h"
#include "extract/package.h"

namespace arenite::extract {

// The view names of INTERFACE.md, in package order.
const std::vector<std::string>& ViewNames();
bool IsView(std::string_view name);

// Memory for the item labels the views of a package share (below; 1,000,000 items take about
// 45 MiB). Items past it are read from the store row by row, so a smaller budget changes the
// speed, never the rows.
inline constexpr size_t kLookupBudgetBytes = size_t{64} << 20;

// What the views of ONE package share: the workspace's item labels (each item's number and the
// number of its shown revision), which Items_BOM and Changes_Items show for the items their
// rows name. A view reads its first labels from the store, one look-up each; once its look-ups
// reach an eighth of the workspace's items (checked at `first_check`, then at every doubling),
// it fills the table in one pass over the items, in the package's snapshot, and the views go on
// from it (a view that asks meanwhile waits). A pass reads items in storage order, several
// times faster than look-ups anywhere in the tables, so a large view pays for it and a small
// one never starts it. The pass stops at the budget, so it takes a few seconds at most and does
// not watch for cancellation. Thread-safe.
class ViewLookups {
 public:
  explicit ViewLookups(size_t budget_bytes = kLookupBudgetBytes, int64_t first_check = 1000);

  // The table if a view has filled it, else nullptr.
  const LabelTable* Filled();
  // After `lookups` look-ups by one view: the table, filled in `tx` now if worth it and not done
  // yet, or nullptr while look-ups stay cheaper.
  Result<const LabelTable*> FillIfWorth(store::Tx& tx, const std::string& workspace_id,
                                        int64_t lookups);
  int64_t first_check() const { return first_check_; }

 private:
  std::mutex mu_;
  size_t budget_;
  int64_t first_check_;
  std::optional<int64_t> items_in_workspace_;
  std::optional<LabelTable> items_;
  std::string workspace_;
};

// The source of one view for one workspace, for BuildPackage (FULL: every row is INSERT). The
// views of one package should share `lookups`; without it the view gets its own.
ViewSource FullView(const std::string& view, const std::string& workspace_id,
                    std::shared_ptr<ViewLookups> lookups = nullptr);

// How many rows a FULL package of the view would hold now; for progress estimates.
Result<int64_t> CountRows(store::Tx& tx, const std::string& view, const std::string& workspace_id);

// What a delta package compares against: each row's digest and key column (the second
// column, e.g. the item number) as the previous package of the extract left them, by guid.
struct RowState {
  std::string digest;
  std::string key;
};
using ViewState = std::unordered_map<std::string, RowState>;

// A FULL_DELTA view: rows absent from `previous` are INSERT, rows whose values changed are
// UPDATE, and rows of `previous` no longer present are DELETE with their guid and key column.
// Every current row's state is added to `next`, for the package after this one.
ViewSource DeltaView(const std::string& view, const std::string& workspace_id,
                     const ViewState* previous, ViewState* next,
                     std::shared_ptr<ViewLookups> lookups = nullptr);

}  // namespace arenite::extract
