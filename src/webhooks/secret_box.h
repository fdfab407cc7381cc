// Encryption at rest of webhook secrets (the client secrets of OAUTH2_CLIENT_CREDENTIALS
// receivers): XChaCha20-Poly1305 (libsodium's IETF AEAD) under one 256-bit key kept in
// DIR/secrets.key, mode 0600, made on first use. A sealed value is the 24-byte random nonce
// followed by the ciphertext and its 16-byte tag; optional associated data (e.g. the webhook's
// guid) binds a sealed value to its row, so it cannot be moved to another. Immutable after
// construction; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace arenite::webhooks {

class SecretBox {
 public:
  static constexpr size_t kKeyBytes = 32;
  static constexpr size_t kNonceBytes = 24;
  static constexpr size_t kTagBytes = 16;

  // Loads DIR/secrets.key (32 random bytes, mode 0600), creating it when absent (atomically:
  // a concurrent start never sees half a key, and an existing key is never replaced). An Error
  // when it exists but is unreadable, not a regular file, the wrong size, or readable or
  // writable by group or others.
  static Result<SecretBox> Load(const std::string& data_dir);
  // REQUIRES: key.size() == kKeyBytes (aborts otherwise). For tests.
  static SecretBox FromKey(std::string key);

  SecretBox(const SecretBox&) = default;
  SecretBox(SecretBox&&) = default;
  SecretBox& operator=(const SecretBox&) = default;
  SecretBox& operator=(SecretBox&&) = default;
  ~SecretBox();

  // Binary: nonce || ciphertext || tag; a new random nonce each time.
  std::string Seal(std::string_view plaintext) const { return Seal(plaintext, {}); }
  std::string Seal(std::string_view plaintext, std::string_view associated_data) const;
  // The plaintext; an Error (500, never showing the value) when the sealed value was cut,
  // altered, sealed under another key or with other associated data.
  Result<std::string> Unseal(std::string_view sealed) const { return Unseal(sealed, {}); }
  Result<std::string> Unseal(std::string_view sealed, std::string_view associated_data) const;

 private:
  explicit SecretBox(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace arenite::webhooks
