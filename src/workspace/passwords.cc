#include "workspace/passwords.h"

#include <sodium.h>

#include <semaphore>

namespace arenite::workspace {
namespace {

std::counting_semaphore<4>& HashSlots() {
  static std::counting_semaphore<4> slots(4);
  return slots;
}

struct Slot {
  Slot() { HashSlots().acquire(); }
  ~Slot() { HashSlots().release(); }
};

bool Init() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

}  // namespace

Status CheckPasswordPolicy(std::string_view password) {
  if (password.size() < 8) return BadRequest("the password must be at least 8 characters long",
                                             kErrInvalidValue);
  if (password.size() > 1024) return BadRequest("the password is longer than 1024 bytes",
                                                kErrInvalidValue);
  return OkStatus();
}

Result<std::string> HashPassword(std::string_view password) {
  if (!Init()) return Internal("libsodium failed to start");
  Slot slot;
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Internal("out of memory while hashing a password");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  if (!Init() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  Slot slot;
  std::string h(hash);
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

void VerifyDummyPassword(std::string_view password) {
  static const std::string dummy = [] {
    auto h = HashPassword("arenite-dummy-password-for-timing");
    return h.ok() ? h.value() : std::string();
  }();
  (void)VerifyPassword(dummy, password);
}

}  // namespace arenite::workspace
