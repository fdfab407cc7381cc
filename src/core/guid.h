// Object identifiers: 20 characters of [0-9A-Z] drawn from the OS's random source, as Arena's
// guids look. About 103 bits of randomness (57 for the time-ordered ones), so guids can be made
// on any node without coordination.
#pragma once

#include <string>
#include <string_view>

namespace arenite {

inline constexpr size_t kGuidLength = 20;

std::string NewGuid();

// A guid of the same form whose first 9 characters are the wall clock's milliseconds in base
// 36 (fixed width, so guids sort by the time they were made) and whose other 11 are random
// (about 57 bits). For the rows of tables that grow by many rows a second and are keyed by
// guid (events, webhook deliveries, revisions): their guid index then grows at its end, one
// page for many rows, where random guids dirtied a page of it for every row and made each
// commit write that many more pages. Not for identifiers that must be hard to guess.
std::string NewOrderedGuid();
bool IsGuid(std::string_view text);

}  // namespace arenite
