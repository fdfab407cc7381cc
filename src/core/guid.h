// Object identifiers: 20 characters of [0-9A-Z] drawn from the OS's random source, as Arena's
// guids look. About 103 bits of randomness, so guids can be made on any node without
// coordination.
#pragma once

#include <string>
#include <string_view>

namespace arenite {

inline constexpr size_t kGuidLength = 20;

std::string NewGuid();
bool IsGuid(std::string_view text);

}  // namespace arenite
