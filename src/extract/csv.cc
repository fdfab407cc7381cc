#include "extract/csv.h"

namespace arenite::extract {

std::string_view TruncateUtf8(std::string_view text, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    // Continuation bytes (10xxxxxx) belong to the character before them.
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (chars == max_chars) return text.substr(0, i);
    ++chars;
  }
  return text;
}

void CsvWriter::AppendField(std::string& out, std::string_view value, bool may_cut) {
  if (may_cut && options_.max_text_length > 0) {
    std::string_view cut = TruncateUtf8(value, options_.max_text_length);
    if (cut.size() != value.size()) ++truncated_;
    value = cut;
  }
  bool formula = options_.neutralize_formulas && !value.empty() &&
                 (value[0] == '=' || value[0] == '+' || value[0] == '-' || value[0] == '@' ||
                  value[0] == '\t' || value[0] == '\r');

  if (options_.format == CsvFormat::kDataExtract) {
    if (formula) out.push_back('\'');
    for (char c : value) {
      switch (c) {
        case ',':
          out += "\\,";
          break;
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\n':
          out += "\\n";
          break;
        default:
          out.push_back(c);
      }
    }
    return;
  }

  bool quote = formula || value.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) {
    out.append(value);
    return;
  }
  out.push_back('"');
  if (formula) out.push_back('\'');
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void CsvWriter::AppendRow(std::string& out, const std::vector<std::string_view>& fields,
                          size_t whole) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendField(out, fields[i], i >= whole);
  }
  out += "\r\n";
  ++rows_;
}

}  // namespace arenite::extract
