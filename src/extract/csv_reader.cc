#include "extract/csv_reader.h"

namespace arenite::extract {
namespace {

Result<std::vector<CsvRow>> ParseRfc4180(std::string_view text) {
  std::vector<CsvRow> rows;
  CsvRow row;
  std::string field;
  size_t i = 0;
  bool field_started = false;
  while (i < text.size()) {
    char c = text[i];
    if (c == '"' && !field_started) {
      // A quoted field runs to the next lone quote.
      ++i;
      for (;;) {
        if (i >= text.size()) return BadRequest("a quoted CSV field is not closed");
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field.push_back(text[i++]);
      }
      field_started = true;
      if (i < text.size() && text[i] != ',' && text[i] != '\r' && text[i] != '\n') {
        return BadRequest("text after a quoted CSV field");
      }
      continue;
    }
    if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      field_started = false;
      ++i;
    } else if (c == '\r' || c == '\n') {
      row.push_back(std::move(field));
      field.clear();
      field_started = false;
      rows.push_back(std::move(row));
      row.clear();
      i += (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ? 2 : 1;
    } else {
      field.push_back(c);
      field_started = true;
      ++i;
    }
  }
  if (field_started || !row.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<std::vector<CsvRow>> ParseDataExtract(std::string_view text) {
  std::vector<CsvRow> rows;
  CsvRow row;
  std::string field;
  bool any = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\') {
      if (i + 1 >= text.size()) return BadRequest("a CSV escape is cut off");
      char e = text[++i];
      switch (e) {
        case ',':
        case '"':
        case '\\':
          field.push_back(e);
          break;
        case 'r':
          field.push_back('\r');
          break;
        case 'n':
          field.push_back('\n');
          break;
        default:
          return BadRequest("an unknown CSV escape");
      }
      any = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\r' || c == '\n') {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
      any = false;
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      field.push_back(c);
      any = true;
    }
  }
  if (any) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

Result<std::vector<CsvRow>> ParseCsv(std::string_view text, CsvFormat format) {
  return format == CsvFormat::kRfc4180 ? ParseRfc4180(text) : ParseDataExtract(text);
}

}  // namespace arenite::extract
