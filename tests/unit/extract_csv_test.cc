#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/crypto.h"
#include "extract/csv.h"

namespace arenite::extract {
namespace {

std::string Row(CsvOptions options, const std::vector<std::string_view>& fields) {
  CsvWriter writer(options);
  std::string out;
  writer.AppendRow(out, fields);
  return out;
}

TEST(CsvRfc4180, QuotesOnlyFieldsThatNeedIt) {
  EXPECT_EQ(Row({}, {"plain", "a,b", "say \"hi\"", "two\r\nlines", ""}),
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\r\nlines\",\r\n");
}

TEST(CsvDataExtract, EscapesWithBackslashesAndNeverQuotes) {
  CsvOptions o{CsvFormat::kDataExtract};
  EXPECT_EQ(Row(o, {"a,b", "q\"", "back\\slash", "l1\nl2\r", "tab\tstays"}),
            "a\\,b,q\\\",back\\\\slash,l1\\nl2\\r,tab\tstays\r\n");
}

TEST(Csv, NeutralisesFormulasOnlyWhenAsked) {
  EXPECT_EQ(Row({}, {"=SUM(A1)", "-3"}), "=SUM(A1),-3\r\n");
  CsvOptions o{CsvFormat::kRfc4180, 0, true};
  EXPECT_EQ(Row(o, {"=SUM(A1)", "+1", "@x", "plain"}), "\"'=SUM(A1)\",\"'+1\",\"'@x\",plain\r\n");
  CsvOptions d{CsvFormat::kDataExtract, 0, true};
  EXPECT_EQ(Row(d, {"=1"}), "'=1\r\n");
}

TEST(Csv, TruncatesAtCharacterBoundariesAndCounts) {
  CsvOptions o{CsvFormat::kRfc4180, 3, false};
  CsvWriter writer(o);
  std::string out;
  writer.AppendRow(out, {"\xC3\xA9t\xC3\xA9s", "ab"});  // "étés", "ab"
  EXPECT_EQ(out, "\xC3\xA9t\xC3\xA9,ab\r\n");
  EXPECT_EQ(writer.truncated_values(), 1);
  EXPECT_EQ(writer.rows(), 1);
  EXPECT_EQ(TruncateUtf8("\xE2\x82\xAC\xE2\x82\xAC", 1), "\xE2\x82\xAC");
  EXPECT_EQ(TruncateUtf8("abc", 0), "");
}

// The header and a row's first `whole` fields (Trans Type, Guid) keep their full length.
TEST(Csv, NeverCutsTheHeaderOrTheFieldsThatSayWhatARowIs) {
  CsvWriter writer(CsvOptions{CsvFormat::kRfc4180, 2, false});
  std::string out;
  writer.AppendHeader(out, {"Trans Type", "Guid", "Name"});
  writer.AppendRow(out, {"INSERT", "ABCDEFGHIJ0123456789", "Resistor"}, 2);
  EXPECT_EQ(out, "Trans Type,Guid,Name\r\nINSERT,ABCDEFGHIJ0123456789,Re\r\n");
  EXPECT_EQ(writer.truncated_values(), 1);
  EXPECT_EQ(writer.rows(), 2);
}

// Python's csv module, an independent reader, gives back exactly the values written.
TEST(CsvRfc4180, HostileValuesRoundTripThroughPythonCsv) {
  std::vector<std::string> values = {"quote \"inside\"",
                                     "comma, here",
                                     "cr\ronly",
                                     "lf\nonly",
                                     "crlf\r\nboth",
                                     "back\\slash",
                                     "\ttab",
                                     "=1+2",
                                     "multi-byte \xE2\x82\xAC \xF0\x9F\x94\xA9",
                                     "",
                                     std::string(70000, 'x')};
  std::vector<std::string_view> views(values.begin(), values.end());
  CsvWriter writer({});
  std::string csv;
  writer.AppendRow(csv, views);
  writer.AppendRow(csv, views);

  auto dir = std::filesystem::temp_directory_path() /
             ("arenite-csv-" + crypto::HexEncode(crypto::RandomBytes(6)));
  std::filesystem::create_directories(dir);
  std::ofstream((dir / "in.csv").string(), std::ios::binary) << csv;
  std::string cmd =
      "python3 -c \"import csv,json,sys\ncsv.field_size_limit(10**7)\n"
      "rows=list(csv.reader(open(sys.argv[1],newline='',encoding='utf-8')))\n"
      "json.dump(rows,open(sys.argv[2],'w'))\" " +
      (dir / "in.csv").string() + " " + (dir / "out.json").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream in((dir / "out.json").string());
  auto rows = nlohmann::json::parse(in);
  std::filesystem::remove_all(dir);
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), values.size());
    for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(row[i].get<std::string>(), values[i]);
  }
}

}  // namespace
}  // namespace arenite::extract

#include "extract/csv_reader.h"

namespace arenite::extract {
namespace {

TEST(CsvReader, InvertsTheWriterInBothFormats) {
  std::vector<std::string> values = {"a,b",          "q\"q", "back\\slash", "l1\r\nl2", "",
                                     "\xE2\x82\xAC", "x"};
  std::vector<std::string_view> views(values.begin(), values.end());
  for (CsvFormat format : {CsvFormat::kRfc4180, CsvFormat::kDataExtract}) {
    CsvWriter writer({format});
    std::string csv;
    writer.AppendRow(csv, {"Trans Type", "Guid"});
    writer.AppendRow(csv, views);
    auto rows = ParseCsv(csv, format);
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), 2u);
    EXPECT_EQ((*rows)[0], (CsvRow{"Trans Type", "Guid"}));
    EXPECT_EQ((*rows)[1], CsvRow(values.begin(), values.end()));
  }
  EXPECT_FALSE(ParseCsv("\"open", CsvFormat::kRfc4180).ok());
  EXPECT_FALSE(ParseCsv("\"a\"b,c\r\n", CsvFormat::kRfc4180).ok());
  EXPECT_FALSE(ParseCsv("a\\x\r\n", CsvFormat::kDataExtract).ok());
}

}  // namespace
}  // namespace arenite::extract
