// EVP_PKEY_get1_EC_KEY is deprecated in OpenSSL 3; es256_batch.cc says why it is used.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "oauth/jose.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/crypto.h"
#include "oauth/es256_batch.h"

namespace arenite::oauth {
namespace {

constexpr size_t kCoordinateBytes = 32;

std::string BigNumBytes(const BIGNUM* bn) {
  std::string out(kCoordinateBytes, '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), kCoordinateBytes);
  return out;
}

struct MdCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~MdCtx() { EVP_MD_CTX_free(ctx); }
};

std::atomic<uint64_t> next_key_id{1};

// SHA-256 fetched once: OpenSSL 3 looks an algorithm up in its provider tables on every call
// that names it implicitly (EVP_sha256() in an init), which costs more than hashing a token.
const EVP_MD* Sha256Md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

// Per thread, the signing contexts of the last few keys used, each initialised once, so that
// a signature costs the ECDSA operation and not a provider look-up and context set-up. A
// context holds a reference to its key, so it stays valid even if the EcKey is gone; keys are
// told apart by id, never by address.
class SignContexts {
 public:
  ~SignContexts() {
    for (auto& e : entries_) EVP_PKEY_CTX_free(e.ctx);
    EVP_MD_CTX_free(md_);
  }
  EVP_PKEY_CTX* For(uint64_t key_id, EVP_PKEY* pkey) {
    for (auto& e : entries_) {
      if (e.key_id == key_id) return e.ctx;
    }
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
    if (!ctx || EVP_PKEY_sign_init(ctx) != 1) {
      EVP_PKEY_CTX_free(ctx);
      return nullptr;
    }
    if (entries_.size() >= 4) {
      EVP_PKEY_CTX_free(entries_.front().ctx);
      entries_.erase(entries_.begin());
    }
    entries_.push_back({key_id, ctx});
    return ctx;
  }
  EVP_MD_CTX* Md() {
    if (!md_) md_ = EVP_MD_CTX_new();
    return md_;
  }

 private:
  struct Entry {
    uint64_t key_id;
    EVP_PKEY_CTX* ctx;
  };
  std::vector<Entry> entries_;
  EVP_MD_CTX* md_ = nullptr;
};

}  // namespace

EcKey::EcKey(EVP_PKEY* pkey) : pkey_(pkey), id_(next_key_id.fetch_add(1)) {
  EC_KEY* ec = EVP_PKEY_get1_EC_KEY(pkey_);
  const EC_GROUP* group = ec ? EC_KEY_get0_group(ec) : nullptr;
  if (group && EC_GROUP_get_curve_name(group) == NID_X9_62_prime256v1 &&
      EC_KEY_get0_private_key(ec)) {
    signer_ = ec;
  } else {
    EC_KEY_free(ec);
  }
}

EcKey::~EcKey() {
  EC_KEY_free(signer_);
  EVP_PKEY_free(pkey_);
}

Result<std::shared_ptr<const EcKey>> EcKey::Generate() {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  if (!pkey) return Internal("cannot generate a P-256 key");
  return std::shared_ptr<const EcKey>(new EcKey(pkey));
}

Result<std::shared_ptr<const EcKey>> EcKey::FromPem(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) return Internal("out of memory");
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!pkey) return Internal("a stored signing key cannot be read");
  char curve[32] = "";
  if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC ||
      EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve,
                                     nullptr) != 1 ||
      std::string_view(curve) != "prime256v1") {
    EVP_PKEY_free(pkey);
    return Internal("a stored signing key is not a P-256 key");
  }
  return std::shared_ptr<const EcKey>(new EcKey(pkey));
}

Result<std::shared_ptr<const EcKey>> EcKey::FromPublicJwk(const json::Json& jwk) {
  if (!jwk.is_object() || jwk.value("kty", "") != "EC" || jwk.value("crv", "") != "P-256") {
    return BadRequest("not a P-256 JWK");
  }
  auto x = crypto::Base64UrlDecode(jwk.value("x", ""));
  auto y = crypto::Base64UrlDecode(jwk.value("y", ""));
  if (!x || !y || x->size() != kCoordinateBytes || y->size() != kCoordinateBytes) {
    return BadRequest("not a P-256 JWK");
  }
  std::string point = "\x04" + *x + *y;
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* pkey = nullptr;
  bool ok = ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
            EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  if (!ok || !pkey) return BadRequest("not a valid P-256 public key");
  return std::shared_ptr<const EcKey>(new EcKey(pkey));
}

std::string EcKey::PrivatePem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, pkey_, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  return pem;
}

json::Json EcKey::PublicJwk() const {
  BIGNUM* x = nullptr;
  BIGNUM* y = nullptr;
  EVP_PKEY_get_bn_param(pkey_, OSSL_PKEY_PARAM_EC_PUB_X, &x);
  EVP_PKEY_get_bn_param(pkey_, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
  json::Json jwk = {{"kty", "EC"},
                    {"crv", "P-256"},
                    {"x", crypto::Base64UrlEncode(BigNumBytes(x))},
                    {"y", crypto::Base64UrlEncode(BigNumBytes(y))}};
  BN_free(x);
  BN_free(y);
  return jwk;
}

std::string EcKey::Thumbprint() const {
  json::Json jwk = PublicJwk();
  // RFC 7638: the required members in lexicographic order, no whitespace.
  std::string canonical = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" +
                          jwk["x"].get<std::string>() + "\",\"y\":\"" +
                          jwk["y"].get<std::string>() + "\"}";
  return crypto::Base64UrlEncode(crypto::Sha256(canonical));
}

Result<std::string> EcKey::Sign(std::string_view data) const {
  thread_local SignContexts contexts;
  EVP_PKEY_CTX* ctx = contexts.For(id_, pkey_);
  EVP_MD_CTX* md = contexts.Md();
  const EVP_MD* sha256 = Sha256Md();
  if (!ctx || !md || !sha256) return Internal("cannot sign");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_DigestInit_ex(md, sha256, nullptr) != 1 ||
      EVP_DigestUpdate(md, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(md, digest, &digest_len) != 1) {
    return Internal("cannot sign");
  }
  if (signer_) {
    std::string out(2 * kCoordinateBytes, '\0');
    if (es256::SignDigest(signer_, digest, reinterpret_cast<unsigned char*>(out.data()))) {
      return out;
    }
  }
  // ECDSA over the digest, as EVP_DigestSign would do; DER is at most 72 bytes for P-256.
  unsigned char der[80];
  size_t len = sizeof der;
  if (EVP_PKEY_sign(ctx, der, &len, digest, digest_len) != 1) return Internal("cannot sign");
  return DerToJoseSignature(std::string_view(reinterpret_cast<const char*>(der), len));
}

bool EcKey::Verify(std::string_view data, std::string_view jose_signature) const {
  auto der = JoseToDerSignature(jose_signature);
  if (!der.ok()) return false;
  MdCtx md;
  if (!md.ctx || EVP_DigestVerifyInit(md.ctx, nullptr, EVP_sha256(), nullptr, pkey_) != 1) {
    return false;
  }
  return EVP_DigestVerify(md.ctx, reinterpret_cast<const unsigned char*>(der->data()), der->size(),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
}

Result<std::string> DerToJoseSignature(std::string_view der) {
  auto p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (!sig) return Internal("the signature is not DER");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  bool fits = BN_num_bytes(r) <= static_cast<int>(kCoordinateBytes) &&
              BN_num_bytes(s) <= static_cast<int>(kCoordinateBytes);
  std::string out = fits ? BigNumBytes(r) + BigNumBytes(s) : "";
  ECDSA_SIG_free(sig);
  if (!fits) return Internal("the signature does not fit P-256");
  return out;
}

Result<std::string> JoseToDerSignature(std::string_view jose) {
  if (jose.size() != 2 * kCoordinateBytes) return BadRequest("an ES256 signature is 64 bytes");
  auto bytes = reinterpret_cast<const unsigned char*>(jose.data());
  BIGNUM* r = BN_bin2bn(bytes, kCoordinateBytes, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + kCoordinateBytes, kCoordinateBytes, nullptr);
  ECDSA_SIG* sig = ECDSA_SIG_new();
  if (!r || !s || !sig || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return Internal("out of memory");
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) return Internal("cannot encode the signature");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

namespace {

constexpr uint64_t kEveryByte = 0x0101010101010101ULL;
constexpr uint64_t kTopBits = 0x8080808080808080ULL;

// Whether any of the eight bytes in `w` is a control character, '"' or '\\': each test is
// exact for "any", since a false mark can only follow a true one in a lower byte.
bool NeedsEscape(uint64_t w) {
  auto has_zero = [](uint64_t x) { return (x - kEveryByte) & ~x & kTopBits; };
  return (((w - 0x20 * kEveryByte) & ~w & kTopBits) | has_zero(w ^ ('"' * kEveryByte)) |
          has_zero(w ^ ('\\' * kEveryByte))) != 0;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;  // start of the bytes not yet copied
  auto escape = [&](size_t i) {
    auto u = static_cast<unsigned char>(text[i]);
    if (u >= 0x20 && u != '"' && u != '\\') return;
    out.append(text.substr(run, i - run));
    run = i + 1;
    if (u >= 0x20) {
      out.push_back('\\');
      out.push_back(static_cast<char>(u));
    } else {
      out += "\\u00";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  };
  // Eight bytes at a time past the long runs that need nothing (a token is 600 of them).
  size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, text.data() + i, 8);
    if (!NeedsEscape(w)) continue;
    for (size_t j = i; j < i + 8; ++j) escape(j);
  }
  for (; i < text.size(); ++i) escape(i);
  out.append(text.substr(run));
  out.push_back('"');
}

Result<std::string> SignJwsText(const EcKey& key, std::string_view kid, std::string_view typ,
                                std::string_view claims_json) {
  // The members in the order json::Json would write them.
  std::string header = "{\"alg\":\"ES256\",\"kid\":";
  AppendJsonString(header, kid);
  header += ",\"typ\":";
  AppendJsonString(header, typ);
  header.push_back('}');
  // One buffer for the whole token: header, claims and the 86 characters of the signature.
  std::string input;
  input.reserve((header.size() + claims_json.size()) * 4 / 3 + 96);
  crypto::AppendBase64Url(input, header);
  input.push_back('.');
  crypto::AppendBase64Url(input, claims_json);
  ARENITE_ASSIGN_OR_RETURN(std::string signature, key.Sign(input));
  input.push_back('.');
  crypto::AppendBase64Url(input, signature);
  return input;
}

Result<std::string> SignJws(const EcKey& key, std::string_view kid, std::string_view typ,
                            const json::Json& claims) {
  return SignJwsText(key, kid, typ, claims.dump());
}

Result<ParsedJws> ParseJws(std::string_view token) {
  auto bad = [] { return Unauthorized("the access token is not valid", kErrInvalidToken); };
  if (token.size() > 8192) return bad();
  size_t first = token.find('.');
  if (first == std::string_view::npos) return bad();
  size_t second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return bad();
  }
  auto header = crypto::Base64UrlDecode(token.substr(0, first));
  auto payload = crypto::Base64UrlDecode(token.substr(first + 1, second - first - 1));
  auto signature = crypto::Base64UrlDecode(token.substr(second + 1));
  if (!header || !payload || !signature) return bad();
  auto h = json::ParseObject(*header);
  auto c = json::ParseObject(*payload);
  if (!h.ok() || !c.ok()) return bad();
  return ParsedJws{std::move(h).value(), std::move(c).value(), std::string(token.substr(0, second)),
                   std::move(*signature)};
}

}  // namespace arenite::oauth
