#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/crypto.h"
#include "extract/zip_writer.h"

namespace arenite::extract {
namespace {

namespace fs = std::filesystem;

class ZipWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("arenite-zip-" + crypto::HexEncode(crypto::RandomBytes(6)));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Builds an archive with a streamed part and a small entry; returns its path.
  std::string Build(uint64_t threshold, const std::string& big) {
    std::string zip_path = (dir_ / "package.zip").string();
    auto part = DeflatePart::Create((dir_ / "part").string());
    EXPECT_TRUE(part.ok());
    for (size_t i = 0; i < big.size(); i += 1000) {
      EXPECT_TRUE((*part)->Write(std::string_view(big).substr(i, 1000)).ok());
    }
    EXPECT_TRUE((*part)->Finish().ok());
    auto zip = ZipWriter::Create(zip_path, threshold);
    EXPECT_TRUE(zip.ok());
    EXPECT_TRUE((*zip)->AddPart("Items_Summary.csv", **part, 1796290875).ok());
    EXPECT_TRUE((*zip)->AddBytes("manifest.json", "{\"files\":[]}", 1796290875).ok());
    EXPECT_TRUE((*zip)->Finish().ok());
    used_zip64_ = (*zip)->used_zip64();
    return zip_path;
  }

  // Python's zipfile, an independent reader, checks CRCs and prints each entry's size.
  std::string PythonListing(const std::string& zip_path) {
    std::string out = (dir_ / "listing.txt").string();
    std::string cmd =
        "python3 -c \"import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1])\n"
        "assert z.testzip() is None\nfor i in z.infolist(): "
        "print(i.filename, i.file_size, len(z.read(i.filename)))\" " +
        zip_path + " > " + out;
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    std::ifstream in(out);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  fs::path dir_;
  bool used_zip64_ = false;
};

std::string SampleCsv(size_t rows) {
  std::string csv = "Trans Type,Guid,Number\r\n";
  for (size_t i = 0; i < rows; ++i) {
    csv += "INSERT,G" + std::to_string(i) + ",PN-" + std::to_string(i * 7919 % 100000) + "\r\n";
  }
  return csv;
}

TEST_F(ZipWriterTest, ArchiveReadsBackWithPythonAndUnzip) {
  std::string csv = SampleCsv(20000);
  std::string zip = Build(ZipWriter::kZip64Threshold, csv);
  EXPECT_FALSE(used_zip64_);
  EXPECT_EQ(PythonListing(zip), "Items_Summary.csv " + std::to_string(csv.size()) + " " +
                                    std::to_string(csv.size()) + "\nmanifest.json 12 12\n");
  EXPECT_EQ(std::system(("unzip -tq " + zip + " > /dev/null").c_str()), 0);
}

// 0xFFFFFFFF in a 32-bit size or offset means "in the ZIP64 field" (APPNOTE 4.4.8): a value
// equal to the threshold already needs ZIP64.
TEST_F(ZipWriterTest, ASizeEqualToTheThresholdUsesZip64) {
  std::string csv = SampleCsv(3000);
  std::string zip = Build(csv.size(), csv);
  EXPECT_TRUE(used_zip64_);
  EXPECT_EQ(PythonListing(zip), "Items_Summary.csv " + std::to_string(csv.size()) + " " +
                                    std::to_string(csv.size()) + "\nmanifest.json 12 12\n");
  EXPECT_EQ(std::system(("unzip -tq " + zip + " > /dev/null").c_str()), 0);
}

TEST_F(ZipWriterTest, Zip64FieldsAppearPastTheThresholdAndStillRead) {
  std::string csv = SampleCsv(5000);
  std::string zip = Build(1000, csv);  // every size and offset past 1000 bytes uses ZIP64
  EXPECT_TRUE(used_zip64_);
  EXPECT_EQ(PythonListing(zip), "Items_Summary.csv " + std::to_string(csv.size()) + " " +
                                    std::to_string(csv.size()) + "\nmanifest.json 12 12\n");
  EXPECT_EQ(std::system(("unzip -tq " + zip + " > /dev/null").c_str()), 0);
}

TEST_F(ZipWriterTest, UnfinishedArchiveIsRemoved) {
  std::string zip_path = (dir_ / "partial.zip").string();
  {
    auto zip = ZipWriter::Create(zip_path);
    ASSERT_TRUE(zip.ok());
    ASSERT_TRUE((*zip)->AddBytes("a.csv", "x", 0).ok());
  }
  EXPECT_FALSE(fs::exists(zip_path));
}

// A package being built has no name in its directory (O_TMPFILE), so that a process killed
// meanwhile (SIGKILL of `arenite extract run`) leaves nothing; finished, it is exactly one file.
TEST_F(ZipWriterTest, NothingHasANameUntilTheArchiveIsFinished) {
  int probe = ::open(dir_.c_str(), O_TMPFILE | O_RDWR, 0600);
  if (probe < 0) GTEST_SKIP() << "this file system makes no unnamed files";
  ::close(probe);
  std::string zip_path = (dir_ / "package.zip").string();
  auto names = [&] {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename());
    return out;
  };
  auto part = DeflatePart::Create((dir_ / ".run.0.part").string());
  ASSERT_TRUE(part.ok());
  ASSERT_TRUE((*part)->Write(SampleCsv(5000)).ok());
  ASSERT_TRUE((*part)->Finish().ok());
  auto zip = ZipWriter::Create(zip_path);
  ASSERT_TRUE(zip.ok());
  ASSERT_TRUE((*zip)->AddPart("Items_Summary.csv", **part, 1796290875).ok());
  EXPECT_TRUE(names().empty()) << names().front();
  ASSERT_TRUE((*zip)->Finish().ok());
  EXPECT_EQ(names(), std::vector<std::string>{"package.zip"});
  EXPECT_NE(PythonListing(zip_path).find("Items_Summary.csv"), std::string::npos);
}

}  // namespace
}  // namespace arenite::extract
