#include "core/guid.h"

#include <chrono>
#include <cstdint>

#include "core/crypto.h"

namespace arenite {
namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr size_t kTimeDigits = 9;  // 36^9 ms is over 3,000 years

// Fills out[from, kGuidLength) with random characters.
void FillRandom(std::string& out, size_t from) {
  size_t filled = from;
  while (filled < kGuidLength) {
    std::string bytes = crypto::RandomBytes(32);
    for (unsigned char b : bytes) {
      // Rejection sampling keeps every character equally likely: 252 = 7 * 36.
      if (b >= 252) continue;
      out[filled++] = kAlphabet[b % 36];
      if (filled == kGuidLength) break;
    }
  }
}

}  // namespace

std::string NewGuid() {
  std::string out(kGuidLength, '0');
  FillRandom(out, 0);
  return out;
}

std::string NewOrderedGuid() {
  std::string out(kGuidLength, '0');
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  uint64_t t = ms > 0 ? static_cast<uint64_t>(ms) : 0;
  for (size_t i = kTimeDigits; i-- > 0;) {
    out[i] = kAlphabet[t % 36];
    t /= 36;
  }
  FillRandom(out, kTimeDigits);
  return out;
}

bool IsGuid(std::string_view text) {
  if (text.size() != kGuidLength) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))) return false;
  }
  return true;
}

}  // namespace arenite
