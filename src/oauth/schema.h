// The OAuth component's tables (migrations 200-299): apps and their secrets, signing keys,
// authorization codes, refresh tokens, the access tokens issued, workspace OAuth settings and
// the audit log of settings changes.
#pragma once

#include <vector>

#include "store/store.h"

namespace arenite::oauth {

std::vector<store::Migration> Migrations();

}  // namespace arenite::oauth
