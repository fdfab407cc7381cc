// The DataExtract views: each one's column headers (Arena's human-readable names, after
// "Trans Type") and how its rows are read from the workspace tables. Every view shows, for an
// item, the revision that GET /v1/items/{guid} shows: the effective one, or the working one
// while the item is unreleased. docs/DATAEXTRACT.md lists every view's columns in order.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "extract/package.h"

namespace arenite::extract {

// The view names of INTERFACE.md, in package order.
const std::vector<std::string>& ViewNames();
bool IsView(std::string_view name);

// The source of one view for one workspace, for BuildPackage (FULL: every row is INSERT).
ViewSource FullView(const std::string& view, const std::string& workspace_id);

}  // namespace arenite::extract
