#include <gtest/gtest.h>

#include "core/crypto.h"
#include "oauth/rules.h"

namespace arenite::oauth {
namespace {

TEST(OAuthRedirectUri, RegistrationAcceptsHttpsAndLoopbackHttpOnly) {
  for (const char* ok :
       {"https://app.test/cb", "https://app.test:8443/cb?x=1", "http://127.0.0.1/cb",
        "http://[::1]:9000/cb", "http://localhost/cb", "https://app.test/a%20b"}) {
    EXPECT_TRUE(ValidateRedirectUri(ok).ok()) << ok;
  }
  for (const char* bad :
       {"", "http://app.test/cb", "https://app.test/cb#frag", "https://*.app.test/cb",
        "https://user@app.test/cb", "ftp://app.test/", "app.test/cb", "https://", "https://:80/",
        "https://app.test/a b", "https://app.test/%zz", "http://127.0.0.2/cb",
        "https://app.test:99999/cb", "javascript://app.test/%0aalert(1)"}) {
    EXPECT_FALSE(ValidateRedirectUri(bad).ok()) << bad;
  }
}

TEST(OAuthRedirectUri, MatchingIsByteExactForHttps) {
  const char* reg = "https://app.test/callback";
  EXPECT_TRUE(RedirectUriMatches(reg, reg));
  for (const char* other :
       {"https://app.test/callback/", "https://app.test/Callback", "HTTPS://app.test/callback",
        "https://app.test/callback?x=1", "https://u@app.test/callback",
        "https://app.test:443/callback", "http://app.test/callback", "https://app.test/%63allback",
        "https://app.test/x/../callback", "https://APP.test/callback"}) {
    EXPECT_FALSE(RedirectUriMatches(reg, other)) << other;
  }
}

TEST(OAuthRedirectUri, LoopbackMatchesAnyPortButNothingElse) {
  const char* reg = "http://127.0.0.1/cb";
  EXPECT_TRUE(RedirectUriMatches(reg, "http://127.0.0.1:51234/cb"));
  EXPECT_TRUE(RedirectUriMatches("http://127.0.0.1:8000/cb", "http://127.0.0.1:9/cb"));
  EXPECT_TRUE(RedirectUriMatches("http://[::1]/cb", "http://[::1]:4000/cb"));
  EXPECT_FALSE(RedirectUriMatches(reg, "http://127.0.0.1:51234/cb2"));
  EXPECT_FALSE(RedirectUriMatches(reg, "http://localhost:51234/cb"));
  EXPECT_FALSE(RedirectUriMatches(reg, "https://127.0.0.1:51234/cb"));
  EXPECT_FALSE(RedirectUriMatches(reg, "http://evil@127.0.0.1:5/cb"));
  EXPECT_FALSE(RedirectUriMatches(reg, "http://127.0.0.1:x/cb"));
  EXPECT_FALSE(RedirectUriMatches(reg, "http://127.0.0.1.evil.test/cb"));
}

TEST(OAuthPkce, S256OfTheRfc7636ExampleVerifies) {
  // RFC 7636 appendix B.
  const char* verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  const char* challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
  EXPECT_TRUE(VerifyPkceS256(verifier, challenge));
  EXPECT_FALSE(VerifyPkceS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl", challenge));
  EXPECT_FALSE(VerifyPkceS256(challenge, challenge));
  EXPECT_FALSE(VerifyPkceS256("short", challenge));
}

TEST(OAuthPkce, VerifierAndChallengeShapes) {
  EXPECT_TRUE(IsValidCodeVerifier(std::string(43, 'a')));
  EXPECT_TRUE(IsValidCodeVerifier(std::string(128, '~')));
  EXPECT_FALSE(IsValidCodeVerifier(std::string(42, 'a')));
  EXPECT_FALSE(IsValidCodeVerifier(std::string(129, 'a')));
  EXPECT_FALSE(IsValidCodeVerifier(std::string(43, '+')));
  EXPECT_TRUE(IsValidCodeChallenge(crypto::Base64UrlEncode(crypto::Sha256("x"))));
  EXPECT_FALSE(IsValidCodeChallenge(std::string(43, '=')));
  EXPECT_FALSE(IsValidCodeChallenge(std::string(44, 'a')));
}

TEST(OAuthScopes, ParsingJoiningAndRoles) {
  auto s = ParseScope("items:read  settings:write items:read");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->size(), 2u);
  EXPECT_EQ(JoinScopes(*s), "items:read settings:write");
  // In the order of AllScopes, not the set's alphabetical one; a name that is no scope is left
  // out, alone or not.
  EXPECT_EQ(JoinScopes({"suppliers:read", "changes:write", "items:read", "root"}),
            "items:read changes:write suppliers:read");
  EXPECT_EQ(JoinScopes({"webhooks:write"}), "webhooks:write");
  EXPECT_EQ(JoinScopes({"root"}), "");
  EXPECT_EQ(JoinScopes({}), "");
  EXPECT_FALSE(ParseScope("items:read root"));
  EXPECT_FALSE(ParseScope("ITEMS:READ"));
  EXPECT_TRUE(ParseScope("")->empty());
  EXPECT_EQ(RoleForScopes({"items:read"}), workspace::Role::kViewer);
  EXPECT_EQ(RoleForScopes({"items:read", "changes:write"}), workspace::Role::kEditor);
  EXPECT_EQ(RoleForScopes({"settings:write"}), workspace::Role::kAdmin);
  EXPECT_EQ(RoleForScopes({"settings:read"}), workspace::Role::kAdmin);
  EXPECT_EQ(AllScopes().size(), 12u);
}

TEST(OAuthClientAuth, BasicCredentialsAreFormDecoded) {
  std::string header = "Basic " + crypto::Base64Encode("my%20id:p%3Ass+word");
  auto c = ParseBasicAuthorization(header);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->client_id, "my id");
  EXPECT_EQ(c->client_secret, "p:ss word");
  EXPECT_TRUE(ParseBasicAuthorization("basic " + crypto::Base64Encode("a:b")));
  EXPECT_FALSE(ParseBasicAuthorization("Bearer abc"));
  EXPECT_FALSE(ParseBasicAuthorization("Basic !!!"));
  EXPECT_FALSE(ParseBasicAuthorization("Basic " + crypto::Base64Encode("nocolon")));
  EXPECT_FALSE(ParseBasicAuthorization("Basic " + crypto::Base64Encode(":secret")));
  EXPECT_FALSE(ParseBasicAuthorization("Basic " + crypto::Base64Encode("a:%zz")));
}

// RFC 6749 section 5.2: error_description is %x20-21 / %x23-5B / %x5D-7E. Every byte value is
// kept when inside the set and replaced when not; the length never changes.
TEST(OAuthErrors, ErrorDescriptionKeepsEveryAllowedByteAndReplacesTheRest) {
  for (int b = 0; b < 256; ++b) {
    char c = static_cast<char>(b);
    std::string in = std::string("x") + c + "y";
    std::string out = ErrorDescription(in);
    bool allowed = (b >= 0x20 && b <= 0x21) || (b >= 0x23 && b <= 0x5b) || (b >= 0x5d && b <= 0x7e);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[1], allowed ? c : (b == '"' ? '\'' : '?')) << "byte " << b;
    EXPECT_EQ(out.front(), 'x');
    EXPECT_EQ(out.back(), 'y');
  }
  EXPECT_EQ(ErrorDescription("the parameter 'a\"\xc3\xa9' is repeated"),
            "the parameter 'a'?"
            "?' is repeated");
}

}  // namespace
}  // namespace arenite::oauth
