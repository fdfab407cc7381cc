#include "oauth/keys.h"

#include "core/log.h"

namespace arenite::oauth {
namespace {

constexpr int64_t kReloadSeconds = 60;
constexpr int64_t kMissReloadSeconds = 5;

Result<SigningKey> NewKey(int64_t now) {
  ARENITE_ASSIGN_OR_RETURN(auto key, EcKey::Generate());
  return SigningKey{key->Thumbprint(), key, now, std::nullopt};
}

}  // namespace

Status SigningKeys::EnsureCurrent() {
  ARENITE_ASSIGN_OR_RETURN(SigningKey fresh, NewKey(clock_.Now()));
  bool created = false;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(
        bool any, tx.Exists("SELECT 1 FROM oauth_signing_keys WHERE retired_at IS NULL"));
    if (any) return OkStatus();
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO oauth_signing_keys (kid, private_pem, created_at) VALUES (?, ?, ?)",
                {fresh.kid, fresh.key->PrivatePem(), fresh.created_at}));
    created = true;
    return OkStatus();
  }));
  if (created) log::Get("oauth")->info("generated the first ES256 signing key {}", fresh.kid);
  return Reload();
}

Result<std::string> SigningKeys::Rotate(store::Store& store, const Clock& clock) {
  int64_t now = clock.Now();
  ARENITE_ASSIGN_OR_RETURN(SigningKey fresh, NewKey(now));
  ARENITE_RETURN_IF_ERROR(store.Write([&](store::Tx& tx) -> Status {
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("UPDATE oauth_signing_keys SET retired_at = ? WHERE retired_at IS NULL", {now}));
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO oauth_signing_keys (kid, private_pem, created_at) VALUES (?, ?, ?)",
                {fresh.kid, fresh.key->PrivatePem(), now}));
    return OkStatus();
  }));
  return fresh.kid;
}

// Reads and parses outside mu_, which it takes only to copy and to swap the list, so that a
// reload waiting for the store never holds up a token being signed or checked on an I/O thread.
Status SigningKeys::Reload() {
  std::vector<std::pair<SigningKey, std::string>> rows;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    return tx.Query(
        "SELECT kid, private_pem, created_at, retired_at FROM oauth_signing_keys ORDER BY "
        "created_at DESC, kid",
        {}, [&](const store::Row& row) {
          rows.push_back(
              {SigningKey{row.String(0), nullptr, row.Int(2), row.OptInt(3)}, row.String(1)});
          return true;
        });
  }));
  std::vector<SigningKey> keys, loaded;
  {
    std::lock_guard lock(mu_);
    loaded = keys_;
  }
  int64_t now = clock_.Now();
  for (auto& [key, pem] : rows) {
    if (!Usable(key, now)) continue;
    // Keep the parsed key of one already loaded.
    for (const auto& old : loaded) {
      if (old.kid == key.kid) key.key = old.key;
    }
    if (!key.key) {
      auto parsed = EcKey::FromPem(pem);
      if (!parsed.ok()) {
        log::Get("oauth")->error("signing key {} cannot be read: {}", key.kid,
                                 parsed.error().message);
        continue;
      }
      key.key = *parsed;
    }
    keys.push_back(std::move(key));
  }
  std::lock_guard lock(mu_);
  keys_ = std::move(keys);
  loaded_at_ = now;
  return OkStatus();
}

// Whether a periodic reload is due; the caller that gets true does it (the others go on with
// the keys they have meanwhile).
bool SigningKeys::ClaimReload(int64_t now) {
  std::lock_guard lock(mu_);
  if (now - loaded_at_ < kReloadSeconds) return false;
  loaded_at_ = now;
  return true;
}

bool SigningKeys::Usable(const SigningKey& key, int64_t now) const {
  return !key.retired_at || *key.retired_at + kMaxTokenLifetimeSeconds + 300 > now;
}

Result<SigningKey> SigningKeys::Current() {
  if (ClaimReload(clock_.Now()) && !Reload().ok()) {
    log::Get("oauth")->error("cannot reload signing keys");
  }
  std::lock_guard lock(mu_);
  for (const auto& k : keys_) {
    if (!k.retired_at) return k;
  }
  return Internal("no current signing key; restart the server to create one");
}

std::shared_ptr<const EcKey> SigningKeys::Find(std::string_view kid) {
  int64_t now = clock_.Now();
  for (int attempt = 0; attempt < 2; ++attempt) {
    {
      std::lock_guard lock(mu_);
      for (const auto& k : keys_) {
        if (k.kid == kid) return Usable(k, now) ? k.key : nullptr;
      }
      if (attempt > 0 || now - miss_reload_at_ < kMissReloadSeconds) break;
      miss_reload_at_ = now;
    }
    if (!Reload().ok()) break;
  }
  return nullptr;
}

json::Json SigningKeys::Jwks() {
  int64_t now = clock_.Now();
  if (ClaimReload(now)) (void)Reload();
  std::lock_guard lock(mu_);
  json::Json keys = json::Json::array();
  for (const auto& k : keys_) {
    if (!Usable(k, now)) continue;
    json::Json jwk = k.key->PublicJwk();
    jwk["kid"] = k.kid;
    jwk["use"] = "sig";
    jwk["alg"] = "ES256";
    keys.push_back(std::move(jwk));
  }
  return {{"keys", keys}};
}

}  // namespace arenite::oauth
