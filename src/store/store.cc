#include "store/store.h"

namespace arenite::store {

Result<std::optional<int64_t>> Tx::QueryInt(std::string_view sql, const Params& params) {
  std::optional<int64_t> out;
  ARENITE_RETURN_IF_ERROR(Query(sql, params, [&](const Row& row) {
    out = row.OptInt(0);
    return false;
  }));
  return out;
}

Result<std::optional<std::string>> Tx::QueryString(std::string_view sql, const Params& params) {
  std::optional<std::string> out;
  ARENITE_RETURN_IF_ERROR(Query(sql, params, [&](const Row& row) {
    out = row.OptString(0);
    return false;
  }));
  return out;
}

Result<bool> Tx::Exists(std::string_view sql, const Params& params) {
  bool found = false;
  ARENITE_RETURN_IF_ERROR(Query(sql, params, [&](const Row&) {
    found = true;
    return false;
  }));
  return found;
}

Status Store::ReadTogether(const std::vector<TxFn>& fns) {
  return Read([&](Tx& tx) -> Status {
    for (const auto& fn : fns) ARENITE_RETURN_IF_ERROR(fn(tx));
    return OkStatus();
  });
}

std::vector<Migration>& AllMigrations() {
  static auto* all = new std::vector<Migration>();
  return *all;
}

void AddMigrations(const std::vector<Migration>& migrations) {
  auto& all = AllMigrations();
  for (const auto& m : migrations) {
    bool present = false;
    for (const auto& existing : all) present = present || existing.version == m.version;
    if (!present) all.push_back(m);
  }
}

}  // namespace arenite::store
