// ES256 signing with the message-independent half of ECDSA done ahead, a batch at a time.
//
// An ECDSA P-256 signature is s = k^-1 (z + r d) mod n, where k is a fresh random nonce and r
// the x coordinate of kG. Everything but that last line is independent of the message and of
// the key, and it is nearly all of the cost: the point kG, its conversion to affine coordinates
// (one field inversion) and k^-1 (one inversion modulo n). OpenSSL's EVP signing pays both
// inversions for every signature. This file makes nonces for a batch at once, so that one
// inversion of each kind serves the whole batch (Montgomery's trick), and hands each nonce out
// exactly once to OpenSSL's ECDSA_do_sign_ex, which does the last line. docs/ARCHITECTURE.md
// ("ES256 signatures") says why this is our code and why it is safe.
#pragma once

#include <cstddef>

typedef struct ec_key_st EC_KEY;

namespace arenite::oauth::es256 {

// How many nonces one batch makes: the thread that runs out makes the next batch.
inline constexpr size_t kBatch = 32;

// Signs the 32-byte SHA-256 `digest` with the P-256 private `key`, writing R || S (each 32
// bytes, big-endian) to `out`. Uses the calling thread's batch of nonces, making a new batch
// when it is empty. False if OpenSSL failed; the caller then signs the ordinary way.
bool SignDigest(EC_KEY* key, const unsigned char* digest, unsigned char* out);

}  // namespace arenite::oauth::es256
