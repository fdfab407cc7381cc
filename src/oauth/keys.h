// The authorization server's ES256 signing keys, kept in the store (kid, private PEM, created,
// retired). The newest unretired key signs; a retired key stays published in the JWKS and keeps
// verifying until every token it can have signed has expired. Parsed keys are cached; the cache
// is reloaded from the store at most once a minute, or on an unknown kid at most every few
// seconds, so `arenite keys rotate` run beside a live server takes effect. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "core/result.h"
#include "oauth/jose.h"
#include "store/store.h"

namespace arenite::oauth {

struct SigningKey {
  std::string kid;
  std::shared_ptr<const EcKey> key;
  int64_t created_at = 0;
  std::optional<int64_t> retired_at;
};

class SigningKeys {
 public:
  SigningKeys(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  // Creates the first key when the store holds no current one, then loads the keys.
  Status EnsureCurrent();
  // Adds a new current key and retires the previous ones; returns the new kid.
  static Result<std::string> Rotate(store::Store& store, const Clock& clock);

  Result<SigningKey> Current();
  // A key that may still verify tokens; nullptr when the kid is unknown or too old.
  std::shared_ptr<const EcKey> Find(std::string_view kid);
  // {"keys":[...]} with every key that may still verify a live token.
  json::Json Jwks();

  // Tokens live at most this long, so a key retired longer ago verifies nothing any more.
  static constexpr int64_t kMaxTokenLifetimeSeconds = 86400;

 private:
  Status Reload();
  bool ClaimReload(int64_t now);
  bool Usable(const SigningKey& key, int64_t now) const;

  store::Store& store_;
  const Clock& clock_;
  std::mutex mu_;
  std::vector<SigningKey> keys_;  // newest first
  int64_t loaded_at_ = INT64_MIN / 2;
  int64_t miss_reload_at_ = INT64_MIN / 2;
};

}  // namespace arenite::oauth
