// The tables of the workspace component: workspaces, users and sessions (versions 1-99).
#pragma once

#include <vector>

#include "store/store.h"

namespace arenite::workspace {

std::vector<store::Migration> Migrations();

}  // namespace arenite::workspace
