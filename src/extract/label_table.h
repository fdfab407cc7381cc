// LabelTable: guid -> a few short text values (an item's number and the number of its shown
// revision), held compactly in memory within a fixed budget. A view whose rows each name another
// object by guid (a BOM line its child item) fills one from a single pass over that object's
// table and looks the values up here, instead of descending SQLite's indexes at random for every
// row; once the budget is spent the table takes no more, and the view asks the store for what it
// lacks. Why not std::unordered_map: docs/ARCHITECTURE.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace arenite::extract {

class LabelTable {
 public:
  // Holds `values` values per guid, in at most `budget_bytes` of memory.
  LabelTable(size_t values, size_t budget_bytes);

  // Adds the values of `guid` (each at most 65,535 bytes; a guid that is not kGuidLength long,
  // or an overlong value, is not added, and lookups of it then miss). False once the budget is
  // spent: nothing more is added.
  bool Add(std::string_view guid, std::span<const std::string_view> values);

  // Fills `values` (as many as the table holds per guid) with views of guid's values, valid as
  // long as the table; false when the table does not hold guid.
  bool Find(std::string_view guid, std::span<std::string_view> values) const;

  size_t size() const { return size_; }
  // Memory held: the entries' blocks and the hash slots.
  size_t bytes() const { return blocks_.size() * kBlockBytes + slots_.size() * sizeof(uint32_t); }

 private:
  static constexpr size_t kBlockBytes = size_t{64} << 10;

  // An entry is the guid, then each value as a 2-byte length and its bytes, stored at a position
  // (block * kBlockBytes + offset) that never moves. A slot holds position + 1, or 0 when empty.
  const char* At(uint32_t position) const;
  uint32_t Find(std::string_view guid, size_t* slot) const;
  void Grow();

  size_t values_;
  size_t budget_;
  size_t size_ = 0;
  bool full_ = false;
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t used_ = kBlockBytes;  // bytes used of the last block
  std::vector<uint32_t> slots_;
};

}  // namespace arenite::extract
