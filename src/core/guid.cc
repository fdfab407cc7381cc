#include "core/guid.h"

#include "core/crypto.h"

namespace arenite {

std::string NewGuid() {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string out(kGuidLength, '0');
  size_t filled = 0;
  while (filled < kGuidLength) {
    std::string bytes = crypto::RandomBytes(32);
    for (unsigned char b : bytes) {
      // Rejection sampling keeps every character equally likely: 252 = 7 * 36.
      if (b >= 252) continue;
      out[filled++] = kAlphabet[b % 36];
      if (filled == kGuidLength) break;
    }
  }
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
