#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "core/crypto.h"
#include "webhooks/secret_box.h"

namespace arenite::webhooks {
namespace {

namespace fs = std::filesystem;

class SecretBoxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("arenite-box-" + crypto::HexEncode(crypto::RandomBytes(6)));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string KeyPath() const { return (dir_ / "secrets.key").string(); }
  void WriteKeyFile(const std::string& bytes, mode_t mode) {
    std::ofstream(KeyPath(), std::ios::binary) << bytes;
    ::chmod(KeyPath().c_str(), mode);
  }

  fs::path dir_;
};

TEST_F(SecretBoxTest, CreatesAPrivateKeyOnceAndOpensWhatItSealedAfterReload) {
  auto first = SecretBox::Load(dir_.string());
  ASSERT_TRUE(first.ok()) << first.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(KeyPath().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  std::string sealed = first->Seal("client-secret-1");

  auto second = SecretBox::Load(dir_.string());
  ASSERT_TRUE(second.ok()) << second.error().message;
  auto opened = second->Unseal(sealed);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(*opened, "client-secret-1");
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(SecretBoxTest, SealedFormIsNonceThenCiphertextAndNeverThePlaintext) {
  SecretBox box = SecretBox::FromKey(std::string(32, 'k'));
  std::string a = box.Seal("hunter2-hunter2");
  std::string b = box.Seal("hunter2-hunter2");
  EXPECT_EQ(a.size(), SecretBox::kNonceBytes + 15 + SecretBox::kTagBytes);
  EXPECT_NE(a, b);  // a fresh nonce each time
  EXPECT_NE(a.substr(0, 24), b.substr(0, 24));
  EXPECT_EQ(a.find("hunter2"), std::string::npos);
  EXPECT_EQ(*box.Unseal(a), "hunter2-hunter2");
  EXPECT_EQ(*box.Unseal(box.Seal("")), "");
}

TEST_F(SecretBoxTest, TamperedCutForeignOrRebound) {
  SecretBox box = SecretBox::FromKey(std::string(32, 'k'));
  std::string sealed = box.Seal("s3cret", "webhook-A");
  ASSERT_TRUE(box.Unseal(sealed, "webhook-A").ok());
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string flipped = sealed;
    flipped[i] ^= 0x01;
    EXPECT_FALSE(box.Unseal(flipped, "webhook-A").ok()) << "byte " << i;
  }
  EXPECT_FALSE(box.Unseal(sealed.substr(0, sealed.size() - 1), "webhook-A").ok());
  EXPECT_FALSE(box.Unseal(sealed.substr(0, 10), "webhook-A").ok());
  EXPECT_FALSE(box.Unseal("", "webhook-A").ok());
  EXPECT_FALSE(box.Unseal(sealed, "webhook-B").ok());
  EXPECT_FALSE(box.Unseal(sealed).ok());
  auto other = SecretBox::FromKey(std::string(32, 'x'));
  auto refused = other.Unseal(sealed, "webhook-A");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message.find("s3cret"), std::string::npos);
}

TEST_F(SecretBoxTest, RefusesAKeyFileThatIsLooseWrongSizedOrNotAFile) {
  WriteKeyFile(std::string(32, 'a'), 0644);
  auto loose = SecretBox::Load(dir_.string());
  ASSERT_FALSE(loose.ok());
  EXPECT_NE(loose.error().message.find("chmod 600"), std::string::npos);
  WriteKeyFile(std::string(32, 'a'), 0640);
  EXPECT_FALSE(SecretBox::Load(dir_.string()).ok());

  WriteKeyFile(std::string(31, 'a'), 0600);
  EXPECT_FALSE(SecretBox::Load(dir_.string()).ok());
  WriteKeyFile(std::string(33, 'a'), 0600);
  EXPECT_FALSE(SecretBox::Load(dir_.string()).ok());
  WriteKeyFile("", 0600);
  EXPECT_FALSE(SecretBox::Load(dir_.string()).ok());
  // None of these was replaced by a new key.
  EXPECT_EQ(fs::file_size(KeyPath()), 0u);

  fs::remove(KeyPath());
  fs::create_directory(KeyPath());
  EXPECT_FALSE(SecretBox::Load(dir_.string()).ok());
  fs::remove(KeyPath());
  WriteKeyFile(std::string(32, 'a'), 0600);
  fs::rename(KeyPath(), dir_ / "real.key");
  fs::create_symlink(dir_ / "real.key", KeyPath());
  EXPECT_FALSE(SecretBox::Load(dir_.string()).ok());
}

TEST_F(SecretBoxTest, AnExistingKeyIsUsedAsIs) {
  WriteKeyFile(std::string(32, 'q'), 0600);
  auto loaded = SecretBox::Load(dir_.string());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(*SecretBox::FromKey(std::string(32, 'q')).Unseal(loaded->Seal("v")), "v");
}

TEST_F(SecretBoxTest, UnreadableDataDirIsAnError) {
  EXPECT_FALSE(SecretBox::Load((dir_ / "missing" / "deeper").string()).ok());
}

TEST_F(SecretBoxTest, ConcurrentFirstLoadsAgreeOnOneKey) {
  std::vector<std::string> sealed(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < sealed.size(); ++i) {
    threads.emplace_back([&, i] {
      auto box = SecretBox::Load(dir_.string());
      if (box.ok()) sealed[i] = box->Seal("same");
    });
  }
  for (auto& t : threads) t.join();
  auto box = SecretBox::Load(dir_.string());
  ASSERT_TRUE(box.ok());
  for (const auto& s : sealed) {
    ASSERT_FALSE(s.empty());
    EXPECT_EQ(*box->Unseal(s), "same");
  }
}

}  // namespace
}  // namespace arenite::webhooks
