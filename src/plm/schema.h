// The schema of the workspace data (items, revisions, BOMs, sourcing, changes, suppliers,
// lookups) and of the event outbox; migrations 100-199. Pure data, thread-safe.
#pragma once

#include <vector>

#include "store/store.h"

namespace arenite::plm {

std::vector<store::Migration> Migrations();

}  // namespace arenite::plm
