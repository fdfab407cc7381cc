// The DataExtract views: each one's column headers (Arena's human-readable names, after
// "Trans Type") and how its rows are read from the workspace tables. Every view shows, for an
// item, the revision that GET /v1/items/{guid} shows: the effective one, or the working one
// while the item is unreleased. docs/DATAEXTRACT.md lists every view's columns in order.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "extract/package.h"

namespace arenite::extract {

// The view names of INTERFACE.md, in package order.
const std::vector<std::string>& ViewNames();
bool IsView(std::string_view name);

// The source of one view for one workspace, for BuildPackage (FULL: every row is INSERT).
ViewSource FullView(const std::string& view, const std::string& workspace_id);

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
                     const ViewState* previous, ViewState* next);

}  // namespace arenite::extract
