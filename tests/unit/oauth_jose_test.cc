#include <gtest/gtest.h>

#include "core/crypto.h"
#include "oauth/jose.h"

namespace arenite::oauth {
namespace {

TEST(OAuthJose, SignedTokenVerifiesAndCarriesHeaderAndClaims) {
  auto key = EcKey::Generate();
  ASSERT_TRUE(key.ok());
  json::Json claims = {{"iss", "https://as.test"}, {"sub", "u1"}, {"exp", 2000000000}};
  auto token = SignJws(**key, (*key)->Thumbprint(), "at+jwt", claims);
  ASSERT_TRUE(token.ok());
  auto parsed = ParseJws(*token);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->header["alg"], "ES256");
  EXPECT_EQ(parsed->header["typ"], "at+jwt");
  EXPECT_EQ(parsed->header["kid"], (*key)->Thumbprint());
  EXPECT_EQ(parsed->claims, claims);
  EXPECT_EQ(parsed->signature.size(), 64u);
  EXPECT_TRUE((*key)->Verify(parsed->signing_input, parsed->signature));
}

TEST(OAuthJose, HandWrittenJsonStringsParseBackToTheirText) {
  for (std::string text :
       {std::string("plain"), std::string("quote \" and \\ backslash"),
        std::string("tab\tnew\nline\x01\x1f"), std::string("caf\xc3\xa9 /"), std::string()}) {
    std::string out;
    AppendJsonString(out, text);
    auto parsed = json::Json::parse(out, nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << out;
    EXPECT_EQ(parsed.get<std::string>(), text);
  }
}

TEST(OAuthJose, SignJwsTextWritesTheSameHeaderAsSignJws) {
  auto key = EcKey::Generate();
  ASSERT_TRUE(key.ok());
  auto text = SignJwsText(**key, "kid-1", "at+jwt", R"({"sub":"u1","exp":2000000000})");
  auto built = SignJws(**key, "kid-1", "at+jwt", {{"sub", "u1"}, {"exp", 2000000000}});
  ASSERT_TRUE(text.ok() && built.ok());
  EXPECT_EQ(text->substr(0, text->find('.')), built->substr(0, built->find('.')));
  auto parsed = ParseJws(*text);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->claims["sub"], "u1");
  EXPECT_TRUE((*key)->Verify(parsed->signing_input, parsed->signature));
}

TEST(OAuthJose, TamperedPayloadOrOtherKeyFailsVerification) {
  auto key = EcKey::Generate();
  auto other = EcKey::Generate();
  auto token = SignJws(**key, "k", "at+jwt", {{"sub", "a"}});
  auto parsed = ParseJws(*token);
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE((*other)->Verify(parsed->signing_input, parsed->signature));
  std::string tampered = parsed->signing_input + "x";
  EXPECT_FALSE((*key)->Verify(tampered, parsed->signature));
  std::string sig = parsed->signature;
  sig[10] ^= 1;
  EXPECT_FALSE((*key)->Verify(parsed->signing_input, sig));
  EXPECT_FALSE((*key)->Verify(parsed->signing_input, sig.substr(0, 63)));
}

TEST(OAuthJose, PemAndPublicJwkRoundTrip) {
  auto key = EcKey::Generate();
  auto again = EcKey::FromPem((*key)->PrivatePem());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->Thumbprint(), (*key)->Thumbprint());
  auto pub = EcKey::FromPublicJwk((*key)->PublicJwk());
  ASSERT_TRUE(pub.ok());
  auto sig = (*key)->Sign("data");
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE((*pub)->Verify("data", *sig));
  json::Json jwk = (*key)->PublicJwk();
  EXPECT_EQ(jwk["kty"], "EC");
  EXPECT_EQ(jwk["crv"], "P-256");
  EXPECT_EQ(crypto::Base64UrlDecode(jwk["x"].get<std::string>())->size(), 32u);
}

TEST(OAuthJose, Rfc7638ThumbprintOfTheRfcExampleShape) {
  // The thumbprint is the SHA-256 of the canonical JWK, so it is 43 base64url characters.
  auto key = EcKey::Generate();
  EXPECT_EQ((*key)->Thumbprint().size(), 43u);
}

TEST(OAuthJose, DerAndJoseSignaturesConvertBothWays) {
  auto key = EcKey::Generate();
  for (int i = 0; i < 20; ++i) {
    auto jose = (*key)->Sign("message " + std::to_string(i));
    ASSERT_TRUE(jose.ok());
    auto der = JoseToDerSignature(*jose);
    ASSERT_TRUE(der.ok());
    auto back = DerToJoseSignature(*der);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, *jose);
  }
  EXPECT_FALSE(JoseToDerSignature("short").ok());
  EXPECT_FALSE(DerToJoseSignature("not der").ok());
}

TEST(OAuthJose, MalformedTokensAreRefused) {
  for (const char* token :
       {"", "a", "a.b", "a.b.c.d", "!!.e30.e30", "e30.e30.!!", "W10.e30.", "e30.bm90IGpzb24.AA"}) {
    EXPECT_FALSE(ParseJws(token).ok()) << token;
  }
  EXPECT_TRUE(ParseJws("e30.e30.").ok());
  EXPECT_FALSE(ParseJws(std::string(9000, 'a')).ok());
}

TEST(OAuthJose, PublicJwkOfWrongShapeIsRefused) {
  EXPECT_FALSE(EcKey::FromPublicJwk({{"kty", "RSA"}}).ok());
  EXPECT_FALSE(
      EcKey::FromPublicJwk({{"kty", "EC"}, {"crv", "P-256"}, {"x", "AA"}, {"y", "AA"}}).ok());
  std::string zeros = crypto::Base64UrlEncode(std::string(32, '\0'));
  EXPECT_FALSE(
      EcKey::FromPublicJwk({{"kty", "EC"}, {"crv", "P-256"}, {"x", zeros}, {"y", zeros}}).ok());
}

}  // namespace
}  // namespace arenite::oauth
