// An unordered_map keyed by std::string that is also looked up by std::string_view, without
// building a string for every look-up.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace arenite {

struct TextHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

template <typename Value>
using TextMap = std::unordered_map<std::string, Value, TextHash, std::equal_to<>>;

}  // namespace arenite
