// OpenSSL 3 marks the EC_KEY level deprecated, but it is the only level that takes a nonce
// made in advance (ECDSA_do_sign_ex) and gives a point's projective coordinates; it is
// supported through the 3.x series.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "oauth/es256_batch.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <mutex>

namespace arenite::oauth::es256 {
namespace {

constexpr int kScalarBytes = 32;

std::atomic<bool> batches_on{true};

// Moved on in the child of every fork(), for a child that gets its parent's pid back (a pid
// reused after the parent's end, another pid namespace). The pid covers what skips the
// handler (clone, _Fork). Only where the kernel has no MADV_WIPEONFORK (ForkMark).
std::atomic<unsigned> fork_generation{0};

unsigned ForkGeneration() {
  static std::once_flag once;
  std::call_once(once,
                 [] { pthread_atfork(nullptr, nullptr, [] { fork_generation.fetch_add(1); }); });
  return fork_generation.load(std::memory_order_relaxed);
}

// A word in a page of its own that the kernel gives the child of any fork zeroed
// (MADV_WIPEONFORK, Linux 4.14): fork(), _Fork() and clone() without CLONE_VM alike, with no
// system call per signature. Set while the thread holds a batch; a child finds it clear.
class ForkMark {
 public:
  ForkMark() {
    page_size_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    void* page =
        mmap(nullptr, page_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) return;
    if (madvise(page, page_size_, MADV_WIPEONFORK) != 0) {
      munmap(page, page_size_);
      return;
    }
    word_ = static_cast<volatile uint64_t*>(page);
  }
  ~ForkMark() {
    if (word_) munmap(const_cast<uint64_t*>(word_), page_size_);
  }
  ForkMark(const ForkMark&) = delete;
  ForkMark& operator=(const ForkMark&) = delete;

  bool available() const { return word_ != nullptr; }
  void Set() { *word_ = 1; }
  bool IsSet() const { return *word_ == 1; }

 private:
  volatile uint64_t* word_ = nullptr;
  size_t page_size_ = 0;
};

thread_local uint64_t batch_signatures = 0;

// One thread's nonces: kinv_[i] = k_i^-1 mod n and r_[i] = x(k_i G) mod n for i < left_, each
// handed out once, last first, and cleared as it goes. The k_i themselves never outlive Refill.
// A batch is dropped when it is kFreshFor old or when the process is not the one that made it:
// every signature looks at the thread's ForkMark (or, without one, compares the pid and the
// fork generation).
class Pool {
 public:
  Pool() {
    group_ = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    ctx_ = BN_CTX_secure_new();
    mont_ = BN_MONT_CTX_new();
    bool ok = group_ && ctx_ && mont_ && BN_MONT_CTX_set(mont_, EC_GROUP_get0_order(group_), ctx_);
    for (size_t i = 0; ok && i < kBatch; ++i) {
      k_[i] = BN_secure_new();
      kinv_[i] = BN_secure_new();
      r_[i] = BN_new();
      prefix_[i] = BN_secure_new();
      points_[i] = EC_POINT_new(group_);
      ok = k_[i] && kinv_[i] && r_[i] && prefix_[i] && points_[i];
    }
    ready_ = ok;
  }
  ~Pool() {
    for (size_t i = 0; i < kBatch; ++i) {
      BN_clear_free(k_[i]);
      BN_clear_free(kinv_[i]);
      BN_free(r_[i]);
      BN_clear_free(prefix_[i]);
      EC_POINT_clear_free(points_[i]);
    }
    BN_MONT_CTX_free(mont_);
    BN_CTX_free(ctx_);
    EC_GROUP_free(group_);
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  bool Sign(EC_KEY* key, const unsigned char* digest, unsigned char* out, Clock::time_point now) {
    if (!ready_) return false;
    // The time since the previous signature says whether this thread signs often enough for a
    // batch; a time going backwards counts as long.
    bool busy = now >= last_sign_ && now - last_sign_ < kBusyGap;
    last_sign_ = now;
    // Whether this is the process that made the batch: the mark where the kernel keeps one,
    // else the pid and the fork generation.
    pid_t pid = 0;
    unsigned generation = 0;
    bool forked;
    if (mark_.available()) {
      forked = !mark_.IsSet();
    } else {
      pid = getpid();
      generation = ForkGeneration();
      forked = pid != pid_ || generation != generation_;
    }
    if (left_ > 0 && (forked || now < made_ || now - made_ >= kFreshFor)) Discard();
    if (left_ == 0) {
      if (!busy || !Refill()) return false;
      made_ = now;
      pid_ = pid;
      generation_ = generation;
      if (mark_.available()) mark_.Set();
    }
    size_t i = --left_;
    ECDSA_SIG* sig = ECDSA_do_sign_ex(digest, kScalarBytes, kinv_[i], r_[i], key);
    BN_clear(kinv_[i]);
    if (!sig) return false;
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(sig, &r, &s);
    bool ok = BN_bn2binpad(r, out, kScalarBytes) == kScalarBytes &&
              BN_bn2binpad(s, out + kScalarBytes, kScalarBytes) == kScalarBytes;
    ECDSA_SIG_free(sig);
    if (ok) ++batch_signatures;
    return ok;
  }

 private:
  void Discard() {
    for (size_t i = 0; i < left_; ++i) BN_clear(kinv_[i]);
    left_ = 0;
  }

  // Makes kBatch nonces. Any failure leaves none, so that no half-made nonce is ever used.
  bool Refill() {
    const BIGNUM* n = EC_GROUP_get0_order(group_);
    BN_CTX_start(ctx_);
    BIGNUM* x = BN_CTX_get(ctx_);
    BIGNUM* z = BN_CTX_get(ctx_);
    BIGNUM* t = BN_CTX_get(ctx_);
    BIGNUM* product = BN_CTX_get(ctx_);
    BIGNUM* inv = BN_CTX_get(ctx_);
    BIGNUM* exponent = BN_CTX_get(ctx_);
    bool ok = exponent && BN_copy(exponent, n) && BN_sub_word(exponent, 2);

    // k uniform in [1, n): one draw from the private generator for the batch, and the rare
    // value outside the range drawn again by rejection, as BN_priv_rand_range does.
    std::array<unsigned char, kBatch * kScalarBytes> random{};
    ok = ok && RAND_priv_bytes(random.data(), static_cast<int>(random.size())) == 1;
    for (size_t i = 0; ok && i < kBatch; ++i) {
      ok = BN_bin2bn(random.data() + i * kScalarBytes, kScalarBytes, k_[i]) != nullptr;
      while (ok && (BN_is_zero(k_[i]) || BN_cmp(k_[i], n) >= 0)) {
        ok = BN_priv_rand_range(k_[i], n) == 1;
      }
      if (ok) BN_set_flags(k_[i], BN_FLG_CONSTTIME);
    }
    OPENSSL_cleanse(random.data(), random.size());

    // The points k_i G (constant time in k), all made affine with a single field inversion,
    // and r_i their x coordinates reduced mod n.
    for (size_t i = 0; ok && i < kBatch; ++i) {
      ok = EC_POINT_mul(group_, points_[i], k_[i], nullptr, nullptr, ctx_) == 1;
    }
    ok = ok && EC_POINTs_make_affine(group_, kBatch, points_.data(), ctx_) == 1;
    for (size_t i = 0; ok && i < kBatch; ++i) {
      ok = EC_POINT_get_Jprojective_coordinates_GFp(group_, points_[i], x, nullptr, z, ctx_) == 1 &&
           BN_is_one(z) && BN_nnmod(r_[i], x, n, ctx_) == 1 && !BN_is_zero(r_[i]);
    }

    // k_i^-1 by Montgomery's trick in the Montgomery domain mod n: prefix_i = k_0 ... k_i,
    // one constant-time inversion (Fermat: ^(n-2)) of the whole product, then back down the
    // prefixes. Montgomery multiplication of fixed-size operands runs in constant time.
    for (size_t i = 0; ok && i < kBatch; ++i) {
      ok = BN_to_montgomery(t, k_[i], mont_, ctx_) == 1 &&
           (i == 0 ? BN_copy(prefix_[0], t) != nullptr
                   : BN_mod_mul_montgomery(prefix_[i], prefix_[i - 1], t, mont_, ctx_) == 1);
    }
    if (ok) BN_set_flags(product, BN_FLG_CONSTTIME);
    ok = ok && BN_from_montgomery(product, prefix_[kBatch - 1], mont_, ctx_) == 1 &&
         BN_mod_exp_mont_consttime(inv, product, exponent, n, ctx_, mont_) == 1 &&
         BN_to_montgomery(inv, inv, mont_, ctx_) == 1;
    for (size_t i = kBatch - 1; ok && i > 0; --i) {
      ok = BN_mod_mul_montgomery(t, inv, prefix_[i - 1], mont_, ctx_) == 1 &&
           BN_from_montgomery(kinv_[i], t, mont_, ctx_) == 1 &&
           BN_to_montgomery(t, k_[i], mont_, ctx_) == 1 &&
           BN_mod_mul_montgomery(inv, inv, t, mont_, ctx_) == 1;
    }
    ok = ok && BN_from_montgomery(kinv_[0], inv, mont_, ctx_) == 1;

    for (size_t i = 0; i < kBatch; ++i) {
      BN_clear(k_[i]);
      BN_clear(prefix_[i]);
      if (!ok) BN_clear(kinv_[i]);
    }
    for (BIGNUM* secret : {t, product, inv}) {
      if (secret) BN_clear(secret);
    }
    BN_CTX_end(ctx_);
    left_ = ok ? kBatch : 0;
    return ok;
  }

  EC_GROUP* group_ = nullptr;
  BN_CTX* ctx_ = nullptr;
  BN_MONT_CTX* mont_ = nullptr;  // for the group order n
  std::array<BIGNUM*, kBatch> k_{};
  std::array<BIGNUM*, kBatch> kinv_{};
  std::array<BIGNUM*, kBatch> r_{};
  std::array<BIGNUM*, kBatch> prefix_{};
  std::array<EC_POINT*, kBatch> points_{};
  size_t left_ = 0;
  ForkMark mark_;
  pid_t pid_ = 0;                  // without the mark: the process that made the batch
  unsigned generation_ = 0;        // and its fork generation
  Clock::time_point made_{};       // when the batch was made
  Clock::time_point last_sign_{};  // the thread's previous signature
  bool ready_ = false;
};

}  // namespace

void UseBatches(bool on) { batches_on.store(on, std::memory_order_relaxed); }

uint64_t SignaturesFromBatches() { return batch_signatures; }

bool SignDigest(EC_KEY* key, const unsigned char* digest, unsigned char* out) {
  return SignDigestAt(key, digest, out, Clock::now());
}

bool SignDigestAt(EC_KEY* key, const unsigned char* digest, unsigned char* out,
                  Clock::time_point now) {
  if (!batches_on.load(std::memory_order_relaxed)) return false;
  thread_local Pool pool;
  return pool.Sign(key, digest, out, now);
}

}  // namespace arenite::oauth::es256
