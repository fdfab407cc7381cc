// The EC_KEY level es256::SignDigest takes is deprecated in OpenSSL 3 (es256_batch.cc says why
// it is used).
#define OPENSSL_SUPPRESS_DEPRECATED

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
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

// AppendJsonString looks at eight bytes at a time: every byte value at every position of
// strings long enough to cover whole words and a tail is escaped as one byte at a time would.
TEST(OAuthJose, JsonStringsEscapeEveryByteWhereverItIs) {
  auto reference = [](std::string_view text) {
    std::string out = "\"";
    for (unsigned char u : text) {
      if (u == '"' || u == '\\') {
        out.push_back('\\');
        out.push_back(static_cast<char>(u));
      } else if (u < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", u);
        out += buf;
      } else {
        out.push_back(static_cast<char>(u));
      }
    }
    return out + "\"";
  };
  int mismatches = 0;
  for (size_t length : {1u, 7u, 8u, 9u, 16u, 23u}) {
    for (size_t pos = 0; pos < length; ++pos) {
      for (int b = 0; b < 256; ++b) {
        std::string text(length, 'a');
        text[pos] = static_cast<char>(b);
        text[(pos + 5) % length] = static_cast<char>(255 - b);
        std::string out;
        AppendJsonString(out, text);
        if (out != reference(text)) ++mismatches;
      }
    }
  }
  EXPECT_EQ(mismatches, 0);
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

// A P-256 key at the EC_KEY level es256::SignDigest takes, and OpenSSL's own verification of
// the R || S it writes.
struct RawKey {
  RawKey() : key(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1)) { EC_KEY_generate_key(key); }
  ~RawKey() { EC_KEY_free(key); }
  bool Verifies(const unsigned char* digest, const unsigned char* signature) const {
    ECDSA_SIG* sig = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(signature, 32, nullptr);
    BIGNUM* s = BN_bin2bn(signature + 32, 32, nullptr);
    ECDSA_SIG_set0(sig, r, s);
    bool ok = ECDSA_do_verify(digest, 32, sig, key) == 1;
    ECDSA_SIG_free(sig);
    return ok;
  }
  EC_KEY* key;
};

std::string DigestOf(const std::string& text) { return crypto::Sha256(text); }

const unsigned char* Bytes(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// The batch is for a thread that signs often: a thread's first signature is left to EVP, and
// so is one after a pause once the batch is kFreshFor old; one within es256::kBusyGap of the
// previous comes from a batch. Across several batches every such signature verifies and no R
// repeats. A thread of its own, so that no earlier test's batch is about.
void BusyAndIdleSignatures() {
  RawKey key;
  ASSERT_NE(key.key, nullptr);
  auto t = es256::Clock::now();
  std::string digest = DigestOf("a token");
  unsigned char out[64];
  EXPECT_FALSE(es256::SignDigestAt(key.key, Bytes(digest), out, t));

  std::set<std::string> rs;
  const int count = 3 * static_cast<int>(es256::kBatch) + 1;
  for (int i = 0; i < count; ++i) {
    t += std::chrono::milliseconds(1);
    digest = DigestOf("token " + std::to_string(i));
    ASSERT_TRUE(es256::SignDigestAt(key.key, Bytes(digest), out, t)) << i;
    EXPECT_TRUE(key.Verifies(Bytes(digest), out)) << i;
    rs.insert(std::string(reinterpret_cast<char*>(out), 32));
  }
  EXPECT_EQ(rs.size(), static_cast<size_t>(count));

  // A pause past the batch's freshness: EVP again, and what was left of the batch is dropped.
  // So is a time that goes back.
  t += es256::kFreshFor;
  EXPECT_FALSE(es256::SignDigestAt(key.key, Bytes(digest), out, t));
  t += std::chrono::milliseconds(1);
  ASSERT_TRUE(es256::SignDigestAt(key.key, Bytes(digest), out, t));
  EXPECT_TRUE(key.Verifies(Bytes(digest), out));
  EXPECT_EQ(rs.count(std::string(reinterpret_cast<char*>(out), 32)), 0u);
  EXPECT_FALSE(es256::SignDigestAt(key.key, Bytes(digest), out, t - std::chrono::milliseconds(5)));

  // serve --hedged-signatures: never from a batch, however busy.
  es256::UseBatches(false);
  for (int i = 0; i < 3; ++i) {
    t += std::chrono::milliseconds(1);
    EXPECT_FALSE(es256::SignDigestAt(key.key, Bytes(digest), out, t)) << i;
  }
  es256::UseBatches(true);
  t += std::chrono::milliseconds(1);
  EXPECT_TRUE(es256::SignDigestAt(key.key, Bytes(digest), out, t));
}

TEST(OAuthJose, ABusyThreadSignsFromNonceBatchesAndAnIdleOneDoesNot) {
  std::thread(BusyAndIdleSignatures).join();
}

// EcKey::Sign takes the batch: of a thread's signatures in quick succession, all but the first
// come from it, and none with batches turned off.
TEST(OAuthJose, AnEcKeySignsFromTheBatchWhenItsThreadIsBusy) {
  auto key = EcKey::Generate();
  ASSERT_TRUE(key.ok());
  auto count = [&](bool batches) {
    uint64_t made = 0;
    int verified = 0;
    es256::UseBatches(batches);
    std::thread([&] {
      uint64_t before = es256::SignaturesFromBatches();
      for (int i = 0; i < 10; ++i) {
        auto sig = (*key)->Sign("message " + std::to_string(i));
        if (sig.ok() && (*key)->Verify("message " + std::to_string(i), *sig)) ++verified;
      }
      made = es256::SignaturesFromBatches() - before;
    }).join();
    es256::UseBatches(true);
    EXPECT_EQ(verified, 10);
    return made;
  };
  EXPECT_GE(count(true), 8u);
  EXPECT_EQ(count(false), 0u);
}

// Through EcKey::Sign, from four threads and two keys across several batches: each signature
// verifies against the public key alone (OpenSSL's EVP verification) and no two share R.
TEST(OAuthJose, SignaturesFromManyThreadsVerifyAndNeverRepeatANonce) {
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

// A forked child must not sign with the nonces its parent holds: the parent's next signatures
// would then share the child's R, and any such pair gives away the private key. The parent
// keeps a batch with nonces left across the fork; both then sign a batch's worth. `fork_now`
// is fork(), or a fork that runs no pthread_atfork handler.
void ExpectChildNoncesOfItsOwn(pid_t (*fork_now)()) {
  RawKey key;
  // Past any batch an earlier test left on this thread: the first signature drops it, the
  // second makes a new one, which crosses the fork with all but one of its nonces.
  auto t = es256::Clock::now() + 2 * es256::kFreshFor;
  std::string digest = DigestOf("before the fork");
  unsigned char out[64];
  ASSERT_FALSE(es256::SignDigestAt(key.key, Bytes(digest), out, t));
  ASSERT_TRUE(es256::SignDigestAt(key.key, Bytes(digest), out, t + std::chrono::milliseconds(1)));
  constexpr size_t kEach = es256::kBatch;
  auto sign_all = [&](const std::string& who) {
    std::string rs;
    for (size_t i = 0; i < kEach; ++i) {
      std::string d = DigestOf(who + std::to_string(i));
      if (!es256::SignDigestAt(key.key, Bytes(d), out,
                               t + std::chrono::milliseconds(2 + static_cast<int>(i))) ||
          !key.Verifies(Bytes(d), out)) {
        return std::string();
      }
      rs.append(reinterpret_cast<char*>(out), 32);
    }
    return rs;
  };
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  pid_t child = fork_now();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::string rs = sign_all("child ");
    bool sent = rs.size() == kEach * 32 &&
                write(pipe_fds[1], rs.data(), rs.size()) == static_cast<ssize_t>(rs.size());
    _exit(sent ? 0 : 1);
  }
  close(pipe_fds[1]);
  std::string child_rs(kEach * 32, '\0');
  size_t got = 0;
  while (got < child_rs.size()) {
    ssize_t n = read(pipe_fds[0], child_rs.data() + got, child_rs.size() - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(pipe_fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(got, child_rs.size());
  std::string parent_rs = sign_all("parent ");
  ASSERT_EQ(parent_rs.size(), kEach * 32);
  std::set<std::string> seen;
  for (size_t i = 0; i < kEach; ++i) seen.insert(parent_rs.substr(i * 32, 32));
  for (size_t i = 0; i < kEach; ++i) EXPECT_EQ(seen.count(child_rs.substr(i * 32, 32)), 0u) << i;
}

TEST(OAuthJose, AForkedChildSignsWithNoncesOfItsOwn) { ExpectChildNoncesOfItsOwn(&fork); }

// _Fork (glibc 2.34) skips the atfork handlers, as a raw clone does.
TEST(OAuthJose, AChildForkedPastTheAtforkHandlersSignsWithNoncesOfItsOwn) {
  ExpectChildNoncesOfItsOwn(&_Fork);
}

// Only P-256 keys are ES256 keys: a key of another 256-bit curve is refused, not used to make
// signatures no verifier accepts.
TEST(OAuthJose, AStoredKeyOfAnotherCurveIsRefused) {
  EVP_PKEY* other = EVP_EC_gen("secp256k1");
  ASSERT_NE(other, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, other, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  EVP_PKEY_free(other);
  EXPECT_FALSE(EcKey::FromPem(pem).ok());
  auto p256 = EcKey::Generate();
  ASSERT_TRUE(p256.ok());
  EXPECT_TRUE(EcKey::FromPem((*p256)->PrivatePem()).ok());
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
