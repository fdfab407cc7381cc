// ES256 signing with the message-independent half of ECDSA done ahead, a batch at a time.
//
// An ECDSA P-256 signature is s = k^-1 (z + r d) mod n, where k is a fresh random nonce and r
// the x coordinate of kG. Everything but that last line is independent of the message and of
// the key, and it is nearly all of the cost: the point kG, its conversion to affine coordinates
// (one field inversion) and k^-1 (one inversion modulo n). OpenSSL's EVP signing pays both
// inversions for every signature. This file makes nonces for a batch at once, so that one
// inversion of each kind serves the whole batch (Montgomery's trick), and hands each nonce out
// exactly once to OpenSSL's ECDSA_do_sign_ex, which does the last line. docs/ARCHITECTURE.md
// ("ES256 signatures") says why this is our code, why it is safe, and what it gives up.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

typedef struct ec_key_st EC_KEY;

namespace arenite::oauth::es256 {

using Clock = std::chrono::system_clock;

// How many nonces one batch makes: the thread that runs out makes the next batch.
inline constexpr size_t kBatch = 64;
// A batch is made only for a thread that signed less than kBusyGap ago, and is used for at most
// kFreshFor: a thread that signs now and then signs the ordinary way, and no nonce is kept
// long (docs/ARCHITECTURE.md, "ES256 signatures", says what that bounds).
inline constexpr auto kBusyGap = std::chrono::milliseconds(100);
inline constexpr auto kFreshFor = std::chrono::seconds(1);

// Signs the 32-byte SHA-256 `digest` with the P-256 private `key`, writing R || S (each 32
// bytes, big-endian) to `out`, with the calling thread's batch of nonces (making a new batch
// when it is empty or stale and the thread is busy). False when it did not sign: the thread is
// not busy, or OpenSSL failed. The caller then signs the ordinary way.
bool SignDigest(EC_KEY* key, const unsigned char* digest, unsigned char* out);
// Whether batches are used at all (on by default); `serve --hedged-signatures` turns them off,
// so that every signature is made the ordinary way. Process-wide.
void UseBatches(bool on);
// How many signatures the calling thread has made from batches.
uint64_t SignaturesFromBatches();
// The same at a given time, for tests.
bool SignDigestAt(EC_KEY* key, const unsigned char* digest, unsigned char* out,
                  Clock::time_point now);

}  // namespace arenite::oauth::es256
