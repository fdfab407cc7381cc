// ES256 (ECDSA P-256 with SHA-256) keys and compact JWS, written over OpenSSL's EVP interface:
// no JWT library is packaged for Debian 12, and the subset arenite needs (one algorithm, one
// header shape) is small enough to check by unit tests. A private key signs with nonces made in
// batches (oauth/es256_batch.h), falling back to EVP signing. An EcKey is immutable after
// creation and may be used from many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/json.h"
#include "core/result.h"

typedef struct evp_pkey_st EVP_PKEY;
typedef struct ec_key_st EC_KEY;

namespace arenite::oauth {

class EcKey {
 public:
  // A fresh P-256 key pair.
  static Result<std::shared_ptr<const EcKey>> Generate();
  // A key from its PKCS#8 PEM private key.
  static Result<std::shared_ptr<const EcKey>> FromPem(std::string_view pem);
  // A verify-only key from a public JWK {"kty":"EC","crv":"P-256","x","y"}.
  static Result<std::shared_ptr<const EcKey>> FromPublicJwk(const json::Json& jwk);
  ~EcKey();

  std::string PrivatePem() const;
  // {"kty","crv","x","y"} without kid/use/alg.
  json::Json PublicJwk() const;
  // The RFC 7638 thumbprint of the public key, base64url: used as the kid.
  std::string Thumbprint() const;

  // The 64-byte JOSE signature (R || S) of `data`.
  Result<std::string> Sign(std::string_view data) const;
  bool Verify(std::string_view data, std::string_view jose_signature) const;

 private:
  explicit EcKey(EVP_PKEY* pkey);
  EVP_PKEY* pkey_;
  EC_KEY* signer_ = nullptr;  // the private key for es256::SignDigest; null for a public key
  const uint64_t id_;         // unique per process, for per-thread signing contexts
};

// header.payload.signature with alg ES256 and the given typ and kid.
Result<std::string> SignJws(const EcKey& key, std::string_view kid, std::string_view typ,
                            const json::Json& claims);
// The same with the claims already written as a JSON object (the token endpoint writes them
// directly, which costs a fraction of building and dumping a json::Json).
Result<std::string> SignJwsText(const EcKey& key, std::string_view kid, std::string_view typ,
                                std::string_view claims_json);

// Appends `text` as a JSON string: quoted, with '"', '\\' and control characters escaped, any
// other byte as it is (the caller passes UTF-8).
void AppendJsonString(std::string& out, std::string_view text);

// The parts of a compact JWS, decoded but not yet verified.
struct ParsedJws {
  json::Json header;
  json::Json claims;
  std::string signing_input;  // header.payload as sent
  std::string signature;      // raw bytes
};
// Splits and decodes; fails for anything that is not three base64url parts holding JSON objects.
Result<ParsedJws> ParseJws(std::string_view token);

// Converts between the DER ECDSA-Sig-Value OpenSSL produces and the JOSE R || S form.
Result<std::string> DerToJoseSignature(std::string_view der);
Result<std::string> JoseToDerSignature(std::string_view jose);

}  // namespace arenite::oauth
