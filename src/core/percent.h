// Percent-decoding (RFC 3986 section 2.1), shared by the request target, path segments, forms
// and HTTP Basic credentials. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace arenite {

// 0-15 for a hex digit, -1 for anything else.
int HexDigitValue(char c);

// Decodes %XX escapes and, for application/x-www-form-urlencoded text, '+' as a space; nullopt
// when an escape is cut short or not hex.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

}  // namespace arenite
