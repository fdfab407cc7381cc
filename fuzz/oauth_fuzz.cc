// Feeds outside input to the OAuth parsers: compact JWS, HTTP Basic client credentials,
// redirect URI registration and matching, scope parameters, form decoding and PKCE.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "oauth/jose.h"
#include "oauth/rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t split = input.find('\n');
  std::string_view a = input.substr(0, split);
  std::string_view b = split == std::string_view::npos ? input : input.substr(split + 1);

  (void)arenite::oauth::ParseJws(input);
  (void)arenite::oauth::ParseBasicAuthorization(input);
  (void)arenite::oauth::FormDecode(input);
  (void)arenite::oauth::ParseScope(input);
  (void)arenite::oauth::ValidateRedirectUri(a);
  (void)arenite::oauth::RedirectUriMatches(a, b);
  (void)arenite::oauth::IsLoopbackRedirectUri(b);
  (void)arenite::oauth::VerifyPkceS256(a, b);
  (void)arenite::oauth::JoseToDerSignature(input);
  (void)arenite::oauth::DerToJoseSignature(input);
  return 0;
}
