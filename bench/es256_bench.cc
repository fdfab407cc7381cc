// ES256 signatures a second on one core: arenite's signer (nonces made in batches,
// oauth/es256_batch.h) against OpenSSL's one-shot EVP signature of the same input, in the same
// run. bench/oauth_token.sh uses the first for the token endpoint's ceiling.
#include <benchmark/benchmark.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <string>

#include "oauth/jose.h"

namespace {

// About the size of an access token's header and claims, base64url-encoded.
const std::string kInput(520, 'e');

void BM_AreniteBatchedNonces(benchmark::State& state) {
  auto key = arenite::oauth::EcKey::Generate();
  if (!key.ok()) {
    state.SkipWithError("cannot make a key");
    return;
  }
  for (auto _ : state) {
    auto signature = (*key)->Sign(kInput);
    if (!signature.ok()) state.SkipWithError("cannot sign");
    benchmark::DoNotOptimize(signature);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AreniteBatchedNonces);

void BM_OpenSslEvpDigestSign(benchmark::State& state) {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  if (!pkey || !md) {
    state.SkipWithError("cannot make a key");
    return;
  }
  unsigned char der[80];
  for (auto _ : state) {
    size_t len = sizeof der;
    if (EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, pkey) != 1 ||
        EVP_DigestSign(md, der, &len, reinterpret_cast<const unsigned char*>(kInput.data()),
                       kInput.size()) != 1) {
      state.SkipWithError("cannot sign");
    }
    benchmark::DoNotOptimize(der);
  }
  state.SetItemsProcessed(state.iterations());
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(pkey);
}
BENCHMARK(BM_OpenSslEvpDigestSign);

}  // namespace

BENCHMARK_MAIN();
