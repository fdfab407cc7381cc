#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "core/crypto.h"
#include "oauth/es256_batch.h"
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

// Signatures come from per-thread batches of nonces made ahead (oauth/es256_batch.h). Across
// several batches, threads and keys, each verifies through OpenSSL's own EVP verification
// against the public key alone, and no two share R, so no nonce was ever used twice.
TEST(OAuthJose, SignaturesFromNonceBatchesVerifyAndNeverRepeatANonce) {
  auto first = EcKey::Generate();
  auto second = EcKey::Generate();
  ASSERT_TRUE(first.ok() && second.ok());
  std::vector<std::shared_ptr<const EcKey>> keys = {*first, *second};
  std::vector<std::shared_ptr<const EcKey>> verifiers;
  for (const auto& key : keys) verifiers.push_back(*EcKey::FromPublicJwk(key->PublicJwk()));

  constexpr int kThreads = 4;
  const int per_thread = 3 * static_cast<int>(es256::kBatch) + 5;
  std::mutex mutex;
  std::set<std::string> rs;
  int failures = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        size_t which = static_cast<size_t>(i % 2);
        std::string message = "thread " + std::to_string(t) + " message " + std::to_string(i);
        auto sig = keys[which]->Sign(message);
        bool good = sig.ok() && sig->size() == 64 && verifiers[which]->Verify(message, *sig) &&
                    !verifiers[1 - which]->Verify(message, *sig) &&
                    !verifiers[which]->Verify(message + ".", *sig);
        std::lock_guard lock(mutex);
        if (!good) ++failures;
        if (sig.ok()) rs.insert(sig->substr(0, 32));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(rs.size(), static_cast<size_t>(kThreads * per_thread));
}

// A forked child must not sign with the nonces its parent holds: the parent's next signature
// would then share the child's R, and the two together give away the private key.
TEST(OAuthJose, AForkedChildSignsWithNoncesOfItsOwn) {
  auto key = EcKey::Generate();
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE((*key)->Sign("fills this thread's batch").ok());
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto sig = (*key)->Sign("child");
    bool sent = sig.ok() && write(pipe_fds[1], sig->data(), 32) == 32;
    _exit(sent ? 0 : 1);
  }
  close(pipe_fds[1]);
  std::string child_r(32, '\0');
  ssize_t got = read(pipe_fds[0], child_r.data(), child_r.size());
  close(pipe_fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(got, 32);
  auto parent = (*key)->Sign("parent");
  ASSERT_TRUE(parent.ok());
  EXPECT_NE(parent->substr(0, 32), child_r);
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
