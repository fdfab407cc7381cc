// Small wrappers over OpenSSL for what every component needs: randomness, digests, HMAC,
// base64 and constant-time comparison. All functions are thread-safe; RandomBytes aborts the
// process if the OS cannot supply randomness, since nothing secure can go on without it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace arenite::crypto {

std::string RandomBytes(size_t n);
// 256 random bits as unpadded base64url: session tokens, codes, secrets.
std::string RandomToken();

std::string Sha256(std::string_view data);                            // 32 raw bytes
std::string Sha256Hex(std::string_view data);                         // 64 lowercase hex digits
std::string HmacSha256(std::string_view key, std::string_view data);  // 32 raw bytes

std::string HexEncode(std::string_view bytes);
std::string Base64Encode(std::string_view bytes);
std::optional<std::string> Base64Decode(std::string_view text);
std::string Base64UrlEncode(std::string_view bytes);  // unpadded (RFC 7515)
// The same, onto `out`; `bytes` must not point into `out`.
void AppendBase64Url(std::string& out, std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);

// Compares in time that depends only on the lengths, never on where the inputs differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace arenite::crypto
