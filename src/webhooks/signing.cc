#include "webhooks/signing.h"

#include <charconv>

#include "core/crypto.h"

namespace arenite::webhooks {

std::string NewSigningSecret() { return "whsec_" + crypto::Base64Encode(crypto::RandomBytes(32)); }

std::optional<std::string> SigningKey(std::string_view secret) {
  constexpr std::string_view kPrefix = "whsec_";
  if (secret.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  auto key = crypto::Base64Decode(secret.substr(kPrefix.size()));
  if (!key || key->empty()) return std::nullopt;
  return key;
}

std::string Sign(std::string_view key, std::string_view id, int64_t timestamp,
                 std::string_view body) {
  std::string message;
  message.reserve(id.size() + body.size() + 24);
  message.append(id);
  message.push_back('.');
  message.append(std::to_string(timestamp));
  message.push_back('.');
  message.append(body);
  return "v1," + crypto::Base64Encode(crypto::HmacSha256(key, message));
}

std::string SignatureHeader(const std::vector<std::string>& keys, std::string_view id,
                            int64_t timestamp, std::string_view body) {
  std::string header;
  for (const auto& key : keys) {
    if (!header.empty()) header.push_back(' ');
    header += Sign(key, id, timestamp, body);
  }
  return header;
}

Verdict Verify(std::string_view key, std::string_view id, std::string_view timestamp_header,
               std::string_view signature_header, std::string_view body, int64_t now,
               int64_t tolerance_seconds) {
  int64_t timestamp = 0;
  auto [ptr, ec] = std::from_chars(timestamp_header.data(),
                                   timestamp_header.data() + timestamp_header.size(), timestamp);
  if (id.empty() || timestamp_header.empty() || ec != std::errc() ||
      ptr != timestamp_header.data() + timestamp_header.size()) {
    return Verdict::kMalformed;
  }
  if (timestamp < now - tolerance_seconds || timestamp > now + tolerance_seconds) {
    return Verdict::kStaleTimestamp;
  }
  std::string expected = Sign(key, id, timestamp, body);
  bool match = false;
  while (!signature_header.empty()) {
    size_t space = signature_header.find(' ');
    std::string_view one = signature_header.substr(0, space);
    signature_header =
        space == std::string_view::npos ? std::string_view() : signature_header.substr(space + 1);
    // Compare every candidate, so the time does not reveal which one matched.
    match = crypto::ConstantTimeEquals(one, expected) || match;
  }
  return match ? Verdict::kValid : Verdict::kBadSignature;
}

}  // namespace arenite::webhooks
