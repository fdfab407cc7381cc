// Standard Webhooks signatures (version v1): HMAC-SHA256 over "id.timestamp.body" under a
// signing secret written "whsec_" + base64 of its bytes. Used by the sender to sign every
// delivery (with every secret still valid during a rotation) and by `arenite receive` to check
// them in constant time. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace arenite::webhooks {

// A new secret: "whsec_" + base64 of 32 random bytes.
std::string NewSigningSecret();
// The key bytes of a "whsec_…" secret; nullopt when it is not one.
std::optional<std::string> SigningKey(std::string_view secret);

// "v1,<base64 signature>" for one secret.
std::string Sign(std::string_view key, std::string_view id, int64_t timestamp,
                 std::string_view body);
// The webhook-signature header value: one "v1,…" per key, separated by spaces.
std::string SignatureHeader(const std::vector<std::string>& keys, std::string_view id,
                            int64_t timestamp, std::string_view body);

enum class Verdict { kValid, kBadSignature, kStaleTimestamp, kMalformed };

// Checks a delivery's headers: the timestamp within `tolerance_seconds` of `now`, and at least
// one v1 signature in `header` matching under `key`.
Verdict Verify(std::string_view key, std::string_view id, std::string_view timestamp_header,
               std::string_view signature_header, std::string_view body, int64_t now,
               int64_t tolerance_seconds = 300);

}  // namespace arenite::webhooks
