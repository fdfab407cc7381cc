#include "webhooks/secret_box.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/crypto.h"

namespace arenite::webhooks {
namespace {

static_assert(SecretBox::kKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(SecretBox::kNonceBytes == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(SecretBox::kTagBytes == crypto_aead_xchacha20poly1305_ietf_ABYTES);

void EnsureSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) std::abort();  // nothing can be sealed without it
}

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// Reads the whole key file through an open descriptor, checking what it is first.
Result<std::string> ReadKey(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Internal(Errno("cannot read " + path));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Internal(Errno("cannot read " + path));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Internal(path + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return Internal(path + " must be readable by its owner only (chmod 600)");
  }
  std::string key(SecretBox::kKeyBytes + 1, '\0');
  size_t got = 0;
  while (got < key.size()) {
    ssize_t n = ::read(fd, key.data() + got, key.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      sodium_memzero(key.data(), key.size());
      return Internal(Errno("cannot read " + path));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (got != SecretBox::kKeyBytes) {
    sodium_memzero(key.data(), key.size());
    return Internal(path + " must hold exactly 32 bytes");
  }
  key.resize(got);
  return key;
}

// Writes a new key to a temporary file and links it into place, which fails when another
// process got there first; either way the key in place afterwards is the one to use.
Status CreateKey(const std::string& dir, const std::string& path) {
  std::string tmp = path + ".tmp." + crypto::HexEncode(crypto::RandomBytes(6));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Internal(Errno("cannot create " + tmp));
  std::string key(SecretBox::kKeyBytes, '\0');
  randombytes_buf(key.data(), key.size());
  bool ok = ::fchmod(fd, 0600) == 0 &&
            ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) &&
            ::fsync(fd) == 0;
  sodium_memzero(key.data(), key.size());
  ok = ::close(fd) == 0 && ok;
  if (!ok) {
    ::unlink(tmp.c_str());
    return Internal(Errno("cannot write " + tmp));
  }
  int linked = ::link(tmp.c_str(), path.c_str());
  int link_errno = errno;
  ::unlink(tmp.c_str());
  if (linked != 0 && link_errno != EEXIST) {
    errno = link_errno;
    return Internal(Errno("cannot create " + path));
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return OkStatus();
}

}  // namespace

Result<SecretBox> SecretBox::Load(const std::string& data_dir) {
  EnsureSodium();
  std::string path = data_dir + "/secrets.key";
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return Internal(Errno("cannot read " + path));
    ARENITE_RETURN_IF_ERROR(CreateKey(data_dir, path));
  }
  ARENITE_ASSIGN_OR_RETURN(std::string key, ReadKey(path));
  return SecretBox(std::move(key));
}

SecretBox SecretBox::FromKey(std::string key) {
  EnsureSodium();
  if (key.size() != kKeyBytes) std::abort();
  return SecretBox(std::move(key));
}

SecretBox::~SecretBox() {
  if (!key_.empty()) sodium_memzero(key_.data(), key_.size());
}

std::string SecretBox::Seal(std::string_view plaintext, std::string_view associated_data) const {
  std::string out(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, kNonceBytes);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + kNonceBytes, &written, Bytes(plaintext), plaintext.size(),
      associated_data.empty() ? nullptr : Bytes(associated_data), associated_data.size(), nullptr,
      nonce, Bytes(key_));
  out.resize(kNonceBytes + written);
  return out;
}

Result<std::string> SecretBox::Unseal(std::string_view sealed,
                                      std::string_view associated_data) const {
  if (sealed.size() < kNonceBytes + kTagBytes) return Internal("a sealed secret is cut short");
  std::string out(sealed.size() - kNonceBytes - kTagBytes, '\0');
  unsigned long long written = 0;
  int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
      reinterpret_cast<unsigned char*>(out.data()), &written, nullptr, Bytes(sealed) + kNonceBytes,
      sealed.size() - kNonceBytes, associated_data.empty() ? nullptr : Bytes(associated_data),
      associated_data.size(), Bytes(sealed), Bytes(key_));
  if (rc != 0) {
    return Internal("a sealed secret does not open under this data directory's secrets.key");
  }
  out.resize(written);
  return out;
}

}  // namespace arenite::webhooks
