// CSV rows for DataExtract packages, in the two formats of the DataExtract API: RFC4180 (quoted
// fields, doubled quotes) and DATAEXTRACT (no quoting; backslash escapes for the delimiter,
// quote, backslash and line breaks). UTF-8, CRLF line ends. Values longer than the extract's
// maximum length are cut at a character boundary and counted; values that a spreadsheet would
// run as a formula can be neutralised with a leading apostrophe. A CsvWriter is not
// thread-safe; use one per file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace arenite::extract {

enum class CsvFormat { kRfc4180, kDataExtract };

struct CsvOptions {
  CsvFormat format = CsvFormat::kRfc4180;
  size_t max_text_length = 0;  // in characters; 0 means no limit
  // Prefix values starting with = + - @ TAB or CR with an apostrophe, so that a spreadsheet
  // shows them instead of running them. Off by default: it changes the data.
  bool neutralize_formulas = false;
};

class CsvWriter {
 public:
  explicit CsvWriter(CsvOptions options) : options_(options) {}

  // Appends one record, CRLF-terminated, to `out`. The first `whole` fields are never cut to
  // the maximum length: a row's Trans Type and Guid say what it is, and a header names the
  // columns (AppendHeader).
  void AppendRow(std::string& out, const std::vector<std::string_view>& fields, size_t whole = 0);
  void AppendHeader(std::string& out, const std::vector<std::string_view>& names) {
    AppendRow(out, names, names.size());
  }

  int64_t rows() const { return rows_; }
  int64_t truncated_values() const { return truncated_; }

 private:
  void AppendField(std::string& out, std::string_view value, bool may_cut);

  CsvOptions options_;
  int64_t rows_ = 0;
  int64_t truncated_ = 0;
};

// The first `max_chars` UTF-8 characters of `text` (a cut never splits a character).
std::string_view TruncateUtf8(std::string_view text, size_t max_chars);

}  // namespace arenite::extract
