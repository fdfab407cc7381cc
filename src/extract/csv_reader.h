// Reads the CSV files of DataExtract packages back into rows, in either format (RFC4180 or
// DATAEXTRACT), exactly inverting CsvWriter. Used by the reference receiver. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "extract/csv.h"

namespace arenite::extract {

using CsvRow = std::vector<std::string>;

// Parses CRLF- (or LF-) terminated records; fails with 400 on malformed quoting or escapes.
Result<std::vector<CsvRow>> ParseCsv(std::string_view text, CsvFormat format);

}  // namespace arenite::extract
