// ES256 signatures a second on one core: arenite's signer with nonces made in batches
// (oauth/es256_batch.h) and without them (serve --hedged-signatures: OpenSSL's EVP signature),
// over the same input in the same run. bench/oauth_token.sh uses the first for the token
// endpoint's ceiling.
#include <benchmark/benchmark.h>

#include <string>

#include "oauth/es256_batch.h"
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

// The same signer with batches off (serve --hedged-signatures): OpenSSL's EVP signature, with
// the contexts arenite keeps per thread.
void BM_AreniteHedged(benchmark::State& state) {
  auto key = arenite::oauth::EcKey::Generate();
  if (!key.ok()) {
    state.SkipWithError("cannot make a key");
    return;
  }
  arenite::oauth::es256::UseBatches(false);
  for (auto _ : state) {
    auto signature = (*key)->Sign(kInput);
    if (!signature.ok()) state.SkipWithError("cannot sign");
    benchmark::DoNotOptimize(signature);
  }
  arenite::oauth::es256::UseBatches(true);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AreniteHedged);

}  // namespace

BENCHMARK_MAIN();
