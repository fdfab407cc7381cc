// User passwords: Argon2id through libsodium's crypto_pwhash_str, at its interactive cost
// (64 MiB, about 50 ms on this class of machine). At most four hashes run at once so a burst of
// logins cannot take all memory. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace arenite::workspace {

// Refuses passwords shorter than 8 or longer than 1024 bytes.
Status CheckPasswordPolicy(std::string_view password);
Result<std::string> HashPassword(std::string_view password);
bool VerifyPassword(std::string_view hash, std::string_view password);
// Spends the same time as a real verification, for unknown emails.
void VerifyDummyPassword(std::string_view password);

}  // namespace arenite::workspace
