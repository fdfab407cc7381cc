#include "extract/label_table.h"

#include <algorithm>
#include <cstring>
#include <functional>

#include "core/guid.h"

namespace arenite::extract {
namespace {

constexpr size_t kMinSlots = 1024;
constexpr size_t kLengthBytes = 2;

size_t Hash(std::string_view guid) { return std::hash<std::string_view>{}(guid); }

}  // namespace

LabelTable::LabelTable(size_t values, size_t budget_bytes)
    // Positions are 32-bit, so the blocks stay under 4 GiB whatever the budget.
    : values_(values), budget_(std::min(budget_bytes, size_t{1} << 31)) {}

const char* LabelTable::At(uint32_t position) const {
  return blocks_[position / kBlockBytes].get() + position % kBlockBytes;
}

uint32_t LabelTable::Find(std::string_view guid, size_t* slot) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = Hash(guid) & mask;; i = (i + 1) & mask) {
    uint32_t s = slots_[i];
    if (s == 0 || std::memcmp(At(s - 1), guid.data(), kGuidLength) == 0) {
      *slot = i;
      return s;
    }
  }
}

void LabelTable::Grow() {
  std::vector<uint32_t> old = std::move(slots_);
  slots_.assign(std::max(kMinSlots, old.size() * 2), 0);
  const size_t mask = slots_.size() - 1;
  for (uint32_t s : old) {
    if (s == 0) continue;
    size_t i = Hash(std::string_view(At(s - 1), kGuidLength)) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

bool LabelTable::Add(std::string_view guid, std::span<const std::string_view> values) {
  if (full_) return false;
  if (guid.size() != kGuidLength || values.size() != values_) return true;
  size_t need = kGuidLength;
  for (std::string_view v : values) {
    if (v.size() > 0xFFFF) return true;
    need += kLengthBytes + v.size();
  }
  if (need > kBlockBytes) return true;
  size_t slot;
  if (!slots_.empty() && Find(guid, &slot) != 0) return true;  // the first values given stay

  // What holding one more entry costs: perhaps a new block, perhaps twice the slots (with the
  // old ones alive while they are rehashed). The slots stay at most half full.
  const bool new_block = used_ + need > kBlockBytes;
  const bool grow = (size_ + 1) * 2 > slots_.size();
  const size_t slots_after = grow ? std::max(kMinSlots, slots_.size() * 2) : slots_.size();
  const size_t peak = (blocks_.size() + (new_block ? 1 : 0)) * kBlockBytes +
                      (slots_after + (grow ? slots_.size() : 0)) * sizeof(uint32_t);
  if (peak > budget_) {
    full_ = true;
    return false;
  }
  if (grow) {
    Grow();
    Find(guid, &slot);
  }

  if (new_block) {
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(kBlockBytes));
    used_ = 0;
  }
  const auto position = static_cast<uint32_t>((blocks_.size() - 1) * kBlockBytes + used_);
  char* p = blocks_.back().get() + used_;
  std::memcpy(p, guid.data(), kGuidLength);
  p += kGuidLength;
  for (std::string_view v : values) {
    p[0] = static_cast<char>(v.size() & 0xFF);
    p[1] = static_cast<char>(v.size() >> 8);
    if (!v.empty()) std::memcpy(p + kLengthBytes, v.data(), v.size());
    p += kLengthBytes + v.size();
  }
  used_ += need;
  slots_[slot] = position + 1;
  ++size_;
  return true;
}

bool LabelTable::Find(std::string_view guid, std::span<std::string_view> values) const {
  if (slots_.empty() || guid.size() != kGuidLength) return false;
  size_t slot;
  uint32_t s = Find(guid, &slot);
  if (s == 0) return false;
  const char* p = At(s - 1) + kGuidLength;
  for (size_t k = 0; k < values_; ++k) {
    size_t n = static_cast<unsigned char>(p[0]) |
               (static_cast<size_t>(static_cast<unsigned char>(p[1])) << 8);
    if (k < values.size()) values[k] = std::string_view(p + kLengthBytes, n);
    p += kLengthBytes + n;
  }
  return true;
}

}  // namespace arenite::extract
