#include "core/percent.h"

namespace arenite {

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  // The runs between escapes are copied whole; most text has no escape at all. (A loop rather
  // than find_first_of, which calls memchr over the set for every character.)
  auto special = [plus_is_space](char c) { return c == '%' || (plus_is_space && c == '+'); };
  for (size_t i = 0; i < text.size();) {
    size_t next = i;
    while (next < text.size() && !special(text[next])) ++next;
    out.append(text.data() + i, next - i);
    if (next == text.size()) break;
    if (text[next] == '+') {
      out.push_back(' ');
      i = next + 1;
      continue;
    }
    if (next + 2 >= text.size()) return std::nullopt;
    int hi = HexDigitValue(text[next + 1]), lo = HexDigitValue(text[next + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i = next + 3;
  }
  return out;
}

}  // namespace arenite
