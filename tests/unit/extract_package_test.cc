#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/crypto.h"
#include "extract/package.h"

namespace arenite::extract {
namespace {

namespace fs = std::filesystem;

class PackageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("arenite-pkg-" + crypto::HexEncode(crypto::RandomBytes(6)));
    fs::create_directories(dir_);
    store_ = std::move(store::OpenSqlite({.path = (dir_ / "db").string()})).value();
    ASSERT_TRUE(store_
                    ->Write([](store::Tx& tx) -> Status {
                      ARENITE_RETURN_IF_ERROR(
                          tx.Exec("CREATE TABLE parts (guid TEXT PRIMARY KEY, name TEXT)"));
                      for (int i = 0; i < 3000; ++i) {
                        ARENITE_RETURN_IF_ERROR(tx.Exec("INSERT INTO parts VALUES (?, ?)",
                                                        {"G" + std::to_string(10000 + i),
                                                         "Part, \"" + std::to_string(i) + "\""}));
                      }
                      return OkStatus();
                    })
                    .ok());
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  ViewSource Parts(std::string name) {
    return {std::move(name), {"Guid", "Name"}, [](store::Tx& tx, const EmitRow& emit) {
              return tx.Query("SELECT guid, name FROM parts ORDER BY guid", {},
                              [&](const store::Row& row) {
                                return emit("INSERT", {row.Text(0), row.Text(1)});
                              });
            }};
  }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(PackageTest, PackageHoldsEachViewAndAManifestThatPythonVerifies) {
  PackageOptions options;
  options.directory = (dir_ / "out").string();
  auto package = BuildPackage(*store_, {Parts("Items_Summary"), Parts("Suppliers_Summary")},
                              "RUNGUID0000000000001", 1796290875, {{"type", "FULL"}}, options);
  ASSERT_TRUE(package.ok()) << package.error().message;
  EXPECT_EQ(package->file_name, "Extract_20261203_094115Z_RUNGUID0000000000001.zip");
  ASSERT_EQ(package->files.size(), 2u);
  EXPECT_EQ(package->files[0].rows, 3000);
  EXPECT_EQ(package->manifest["type"], "FULL");

  // Python reads the ZIP, parses each CSV with its csv module and checks the manifest's counts
  // and SHA-256 digests against the files themselves.
  std::string script =
      "import zipfile,csv,io,json,hashlib,sys\n"
      "z=zipfile.ZipFile(sys.argv[1])\n"
      "m=json.loads(z.read('manifest.json'))\n"
      "for f in m['files']:\n"
      "  data=z.read(f['name'])\n"
      "  assert hashlib.sha256(data).hexdigest()==f['sha256'], f\n"
      "  assert len(data)==f['bytes'], f\n"
      "  rows=list(csv.reader(io.StringIO(data.decode('utf-8'),newline='')))\n"
      "  assert rows[0]==['Trans Type','Guid','Name'], rows[0]\n"
      "  assert len(rows)-1==f['rows'], (len(rows), f)\n"
      "  assert rows[1]==['INSERT','G10000','Part, \"0\"'], rows[1]\n"
      "  assert data.endswith(b'\\r\\n')\n"
      "print('ok')\n";
  std::ofstream((dir_ / "check.py").string()) << script;
  std::string cmd = "python3 " + (dir_ / "check.py").string() + " " + package->path;
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(std::system(("unzip -tq " + package->path + " > /dev/null").c_str()), 0);
  // No temporary files are left behind.
  int entries = 0;
  for (const auto& e : fs::directory_iterator(options.directory)) entries += e.is_regular_file();
  EXPECT_EQ(entries, 1);
}

TEST_F(PackageTest, CancelledBuildLeavesNoFiles) {
  std::atomic<bool> cancel{true};
  PackageOptions options;
  options.directory = (dir_ / "out").string();
  options.cancel = &cancel;
  ViewSource big = {"Items_Summary", {"Guid", "Name"}, [](store::Tx& tx, const EmitRow& emit) {
                      std::string name(1000, 'n');
                      for (int i = 0; i < 10000; ++i) {
                        if (!emit("INSERT", {"G", name})) break;
                      }
                      return OkStatus();
                    }};
  auto package = BuildPackage(*store_, {big}, "RUNGUID0000000000002", 0, {}, options);
  ASSERT_FALSE(package.ok());
  EXPECT_TRUE(fs::is_empty(options.directory));
}

// Views of many chunks are compressed chunk by chunk on several threads; the pieces must join
// into one deflate stream per file that independent readers inflate to exactly the CSV written.
TEST_F(PackageTest, ViewsOfManyChunksCompressedInParallelReadBackExactly) {
  auto numbered = [](std::string name, int rows) -> ViewSource {
    return {std::move(name), {"Guid", "Text"}, [rows](store::Tx&, const EmitRow& emit) {
              for (int i = 0; i < rows; ++i) {
                std::string guid = "G" + std::to_string(1000000 + i);
                // Repetitive and varied text, so that chunks reach back into their dictionary.
                std::string text = "row " + std::to_string(i * 7919 % 100003) + ", \"quoted\"" +
                                   std::string(static_cast<size_t>(i % 50), 'x');
                if (!emit("INSERT", {guid, text})) break;
              }
              return OkStatus();
            }};
  };
  PackageOptions options;
  options.directory = (dir_ / "out").string();
  std::vector<int64_t> progress;
  options.on_progress = [&](int64_t rows) { progress.push_back(rows); };
  auto package = BuildPackage(*store_,
                              {numbered("Items_Summary", 120000), numbered("Items_BOM", 7),
                               numbered("Changes_Summary", 60000)},
                              "RUNGUID0000000000003", 1796290875, {}, options);
  ASSERT_TRUE(package.ok()) << package.error().message;
  EXPECT_GT(package->files[0].bytes, 10u * 256 * 1024);  // many chunks
  EXPECT_EQ(package->files[1].rows, 7);
  ASSERT_FALSE(progress.empty());
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));

  std::string script =
      "import zipfile,csv,io,json,hashlib,sys,zlib\n"
      "z=zipfile.ZipFile(sys.argv[1])\n"
      "assert z.testzip() is None\n"
      "m=json.loads(z.read('manifest.json'))\n"
      "for f in m['files']:\n"
      "  data=z.read(f['name'])\n"
      "  assert hashlib.sha256(data).hexdigest()==f['sha256'], f\n"
      "  rows=list(csv.reader(io.StringIO(data.decode('utf-8'),newline='')))\n"
      "  assert len(rows)-1==f['rows'], (len(rows), f)\n"
      "  for i,r in enumerate(rows[1:]):\n"
      "    t='row %d, \"quoted\"' % (i*7919%100003) + 'x'*(i%50)\n"
      "    assert r==['INSERT','G%d'%(1000000+i),t], (i,r)\n"
      "print('ok')\n";
  std::ofstream((dir_ / "check.py").string()) << script;
  std::string cmd = "python3 " + (dir_ / "check.py").string() + " " + package->path;
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(std::system(("unzip -tq " + package->path + " > /dev/null").c_str()), 0);
}

}  // namespace
}  // namespace arenite::extract
