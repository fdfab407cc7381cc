#include "oauth/tokens.h"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>

#include "core/crypto.h"
#include "core/guid.h"
#include "core/log.h"
#include "core/metrics.h"

namespace arenite::oauth {
namespace {

constexpr int64_t kUserCacheSeconds = 30;
constexpr size_t kMaxCachedTokens = 100000;
// How often the background thread writes the apps' last token times, and removes expired rows.
constexpr auto kFlushInterval = std::chrono::seconds(3);
constexpr auto kCleanupInterval = std::chrono::hours(1);

std::string Hash(std::string_view secret) { return crypto::Sha256Hex(secret); }

prometheus::Family<prometheus::Counter>& IssuedFamily() {
  static auto& family = prometheus::BuildCounter()
                            .Name("arenite_oauth_tokens_issued_total")
                            .Help("Access tokens issued, by grant type")
                            .Register(metrics::Registry());
  return family;
}

prometheus::Counter& Issued(std::string_view grant) {
  // Family::Add locks and hashes the labels: look each counter up once.
  static prometheus::Counter& client_credentials =
      IssuedFamily().Add({{"grant", "client_credentials"}});
  static prometheus::Counter& internal = IssuedFamily().Add({{"grant", "internal"}});
  if (grant == kGrantClientCredentials) return client_credentials;
  if (grant == "internal") return internal;
  return IssuedFamily().Add({{"grant", std::string(grant)}});
}

prometheus::Counter& AuthFailures() {
  static auto& counter = prometheus::BuildCounter()
                             .Name("arenite_oauth_client_auth_failures_total")
                             .Help("Failed client authentications at the OAuth endpoints")
                             .Register(metrics::Registry())
                             .Add({});
  return counter;
}

// A client_id as it may appear in a log line: only one of the shape arenite issues (18 random
// bytes in base64url, 24 characters), so that a secret pasted into the field by mistake (43
// characters) never reaches the log.
std::string LoggableClientId(std::string_view id) {
  if (id.size() != 24) return "<not a client id>";
  for (char c : id) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return "<malformed>";
  }
  return std::string(id);
}

// A token id: 128 random bits, base64url. The random bytes are drawn from OpenSSL's generator
// 32 ids at a time per thread, as one call costs about as much as hashing the whole token.
std::string NewTokenId() {
  constexpr size_t kIdBytes = 16, kBatch = 32;
  thread_local std::string pool;
  thread_local size_t used = 0;
  if (used == pool.size()) {
    pool = crypto::RandomBytes(kIdBytes * kBatch);
    used = 0;
  }
  std::string_view id(pool.data() + used, kIdBytes);
  used += kIdBytes;
  return crypto::Base64UrlEncode(id);
}

Error InvalidToken(std::string message) {
  return Unauthorized(std::move(message), kErrInvalidToken);
}

bool AudienceHas(const json::Json& aud, std::string_view want) {
  if (aud.is_string()) return aud.get<std::string>() == want;
  if (aud.is_array()) {
    for (const auto& a : aud) {
      if (a.is_string() && a.get<std::string>() == want) return true;
    }
  }
  return false;
}

bool IsAbsoluteResource(std::string_view uri) {
  bool scheme = uri.rfind("https://", 0) == 0 || uri.rfind("http://", 0) == 0;
  return scheme && uri.size() <= 2000 && uri.find('#') == std::string_view::npos &&
         uri.find_first_of(" \t\r\n") == std::string_view::npos;
}

}  // namespace

Error OAuthError(std::string_view error, std::string description, int status) {
  Error e = MakeError(status, status == 401 ? kErrUnauthenticated : kErrBadRequest,
                      std::move(description));
  e.oauth_error = std::string(error);
  return e;
}

std::string TokenResponse::Body() const {
  std::string out;
  out.reserve(access_token.size() + scope.size() + (refresh_token ? refresh_token->size() : 0) +
              100);
  out += "{\"access_token\":";
  AppendJsonString(out, access_token);
  out += ",\"token_type\":\"Bearer\",\"expires_in\":";
  out += std::to_string(expires_in);
  out += ",\"scope\":";
  AppendJsonString(out, scope);
  if (refresh_token) {
    out += ",\"refresh_token\":";
    AppendJsonString(out, *refresh_token);
  }
  out.push_back('}');
  return out;
}

TokenService::TokenService(store::Store& store, const Clock& clock, Apps& apps, SigningKeys& keys,
                           TokenOptions options)
    : store_(store),
      clock_(clock),
      apps_(apps),
      keys_(keys),
      options_(std::move(options)),
      api_audience_(options_.issuer + "/v1") {}

TokenService::~TokenService() {
  {
    std::lock_guard lock(housekeeping_mu_);
    stopping_ = true;
  }
  housekeeping_cv_.notify_all();
  if (housekeeping_.joinable()) housekeeping_.join();
}

void TokenService::Housekeeping() {
  auto next_cleanup = std::chrono::steady_clock::now();
  std::unique_lock lock(housekeeping_mu_);
  for (;;) {
    housekeeping_cv_.wait_for(lock, kFlushInterval, [&] { return stopping_; });
    bool stop = stopping_;
    lock.unlock();
    Status flushed = apps_.FlushTokenTimes();
    if (!flushed.ok()) {
      log::Get("oauth")->error("cannot write the apps' last token times: {}",
                               flushed.error().message);
    }
    if (!stop && std::chrono::steady_clock::now() >= next_cleanup) {
      next_cleanup = std::chrono::steady_clock::now() + kCleanupInterval;
      Status removed = RemoveExpired();
      if (!removed.ok()) {
        log::Get("oauth")->error("cannot remove expired tokens: {}", removed.error().message);
      }
    }
    if (stop) return;
    lock.lock();
  }
}

Status TokenService::RemoveExpired() {
  int64_t before = clock_.Now() - 86400;
  return store_.Write([&](store::Tx& tx) -> Status {
    // Nothing can use these any more; a revocation is kept until its token has expired.
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("DELETE FROM oauth_access_tokens WHERE expires_at < ?", {before}));
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("DELETE FROM oauth_refresh_tokens WHERE expires_at < ?", {before}));
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("DELETE FROM oauth_revocations WHERE expires_at < ?", {before}));
    return OkStatus();
  });
}

bool TokenService::CanIssueWithoutStore(std::string_view client_id) {
  return apps_.Cached(client_id);
}

Status TokenService::Load() {
  std::unordered_map<std::string, LiveApp> live;
  std::unordered_map<std::string, int64_t> revoked;
  int64_t now = clock_.Now();
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    ARENITE_RETURN_IF_ERROR(tx.Query(
        "SELECT client_id, guid, workspace_guid, scopes FROM oauth_apps", {},
        [&](const store::Row& row) {
          LiveApp app{row.String(1), row.String(2), ParseScope(row.Text(3)).value_or(ScopeSet{})};
          live.emplace(row.String(0), std::move(app));
          return true;
        }));
    auto add = [&](const store::Row& row) {
      revoked.emplace(row.String(0), row.Int(1));
      return true;
    };
    // Revoked tokens of a grant (and, from before migration 201, any revoked token) are marked
    // in oauth_access_tokens; single revocations are rows of oauth_revocations.
    ARENITE_RETURN_IF_ERROR(
        tx.Query("SELECT jti, expires_at FROM oauth_access_tokens WHERE revoked_at IS NOT NULL "
                 "AND expires_at > ?",
                 {now}, add));
    return tx.Query("SELECT jti, expires_at FROM oauth_revocations WHERE expires_at > ?", {now},
                    add);
  }));
  {
    std::unique_lock lock(mu_);
    live_ = std::move(live);
    revoked_ = std::move(revoked);
  }
  std::lock_guard lock(housekeeping_mu_);
  if (!housekeeping_.joinable()) housekeeping_ = std::thread([this] { Housekeeping(); });
  return OkStatus();
}

void TokenService::OnAppChanged(const App& app, bool live) {
  std::unique_lock lock(mu_);
  if (live) {
    // An update's notice may arrive after the deletion that followed it.
    if (deleted_.count(app.client_id)) return;
    live_[app.client_id] = LiveApp{app.guid, app.workspace_id, app.scopes};
  } else {
    deleted_.insert(app.client_id);
    live_.erase(app.client_id);
    std::erase_if(verified_,
                  [&](const auto& kv) { return kv.second.principal.client_id == app.client_id; });
  }
}

std::optional<TokenService::LiveApp> TokenService::FindLive(const std::string& client_id) {
  std::shared_lock lock(mu_);
  auto it = live_.find(client_id);
  if (it == live_.end()) return std::nullopt;
  return it->second;
}

bool TokenService::IsRevoked(const std::string& jti) {
  std::shared_lock lock(mu_);
  return revoked_.count(jti) > 0;
}

void TokenService::MarkRevoked(const std::vector<std::pair<std::string, int64_t>>& jtis) {
  int64_t now = clock_.Now();
  std::unique_lock lock(mu_);
  if (revoked_.size() > 100000) {
    std::erase_if(revoked_, [&](const auto& kv) { return kv.second <= now; });
  }
  for (const auto& [jti, exp] : jtis) revoked_[jti] = exp;
}

void TokenService::ForgetUser(const std::string& user_id) {
  std::unique_lock lock(mu_);
  ++users_generation_;
  users_.erase(user_id);
}

Result<TokenService::CachedUser> TokenService::UserOf(const std::string& user_id) {
  int64_t now = clock_.Now();
  // A ForgetUser while the store is read below means the row may predate a role change or a
  // deactivation: answer from it, but do not cache it.
  uint64_t generation;
  {
    std::shared_lock lock(mu_);
    auto it = users_.find(user_id);
    if (it != users_.end() && now - it->second.fetched_at < kUserCacheSeconds) return it->second;
    generation = users_generation_;
  }
  std::optional<CachedUser> found;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    return tx.Query("SELECT workspace_guid, role, active FROM users WHERE guid = ?", {user_id},
                    [&](const store::Row& row) {
                      CachedUser u;
                      u.workspace_id = row.String(0);
                      workspace::ParseRole(row.Text(1), &u.role);
                      u.active = row.Int(2) != 0;
                      u.fetched_at = now;
                      found = u;
                      return false;
                    });
  }));
  if (!found) return NotFound("the user no longer exists");
  std::unique_lock lock(mu_);
  if (generation != users_generation_) return *found;
  if (users_.size() > 100000) users_.clear();
  users_[user_id] = *found;
  return *found;
}

Result<ScopeSet> TokenService::Granted(const ScopeSet& allowed,
                                       const std::optional<std::string>& requested) {
  if (!requested || requested->empty()) return allowed;
  auto parsed = ParseScope(*requested);
  if (!parsed || parsed->empty()) {
    return OAuthError("invalid_scope", "the scope parameter names an unknown scope");
  }
  for (const auto& s : *parsed) {
    if (!allowed.count(s)) {
      return OAuthError("invalid_scope", "the scope '" + s + "' is not allowed for this client");
    }
  }
  return *parsed;
}

Result<App> TokenService::AuthenticateClient(const ClientCredentials& c) {
  auto fail = [&](std::string_view client_id, std::string_view why) {
    AuthFailures().Increment();
    // Anyone can fail as often as they like, from as many addresses as they have: the lines
    // are limited, the counter is not.
    static log::Budget budget(20, std::chrono::seconds(10));
    uint64_t held_back = 0;
    if (budget.Take(&held_back)) {
      log::Get("oauth")->warn(
          "client authentication failed for client {} from {}: {}{}", LoggableClientId(client_id),
          c.address, why,
          held_back ? fmt::format(" ({} more failures not logged)", held_back) : std::string());
    }
    return OAuthError("invalid_client", "client authentication failed", 401);
  };
  // Views into `c` or `parsed`, which outlive them.
  std::string_view client_id, secret;
  std::optional<BasicCredentials> parsed;
  bool has_secret = false;
  if (c.authorization) {
    const BasicCredentials* basic = c.basic ? &*c.basic : nullptr;
    if (!basic && (parsed = ParseBasicAuthorization(*c.authorization))) basic = &*parsed;
    if (!basic) return fail("", "malformed Basic authorization");
    if (c.client_secret) {
      return OAuthError("invalid_request", "use exactly one client authentication method");
    }
    if (c.client_id && *c.client_id != basic->client_id) {
      return OAuthError("invalid_request", "client_id differs from the Basic credentials");
    }
    client_id = basic->client_id;
    secret = basic->client_secret;
    has_secret = true;
  } else if (c.client_secret) {
    if (!c.client_id) return fail("", "client_secret without client_id");
    client_id = *c.client_id;
    secret = *c.client_secret;
    has_secret = true;
  } else if (c.client_id) {
    client_id = *c.client_id;
  } else {
    return fail("", "no client credentials");
  }

  auto app = apps_.FindByClientId(client_id);
  if (!app.ok()) {
    if (app.error().status == 404) return fail(client_id, "unknown client");
    return std::move(app).error();
  }
  if (app->is_public) {
    if (has_secret) return fail(client_id, "a public client sent a secret");
    return std::move(app).value();
  }
  if (!has_secret) return fail(client_id, "a confidential client sent no secret");
  if (!apps_.SecretMatches(*app, secret)) return fail(client_id, "wrong client secret");
  if (app->secret_too_old) {
    // Every request of such an app would write it; once a minute says it.
    static log::Budget budget(1, std::chrono::minutes(1));
    uint64_t held_back = 0;
    if (budget.Take(&held_back)) {
      log::Get("oauth")->warn(
          "oauth app {} authenticated with a secret past the workspace's maximum age; rotate "
          "it{}",
          app->client_id,
          held_back ? fmt::format(" ({} more such authentications not logged)", held_back)
                    : std::string());
    }
  }
  return std::move(app).value();
}

Result<TokenService::SignedToken> TokenService::Sign(const App& app, const std::string& subject,
                                                     std::string_view audience,
                                                     const ScopeSet& scopes, int64_t lifetime) {
  ARENITE_ASSIGN_OR_RETURN(SigningKey key, keys_.Current());
  SignedToken out;
  int64_t now = clock_.Now();
  out.issued_at = now;
  out.lifetime = lifetime = std::clamp<int64_t>(lifetime, 1, options_.access_token_ttl);
  out.jti = NewTokenId();
  // The claims of RFC 9068 and workspace_id, in the order json::Json would write them.
  std::string claims;
  claims.reserve(512);
  auto member = [&claims](std::string_view name) {
    claims.push_back(claims.empty() ? '{' : ',');
    AppendJsonString(claims, name);
    claims.push_back(':');
  };
  member("aud");
  AppendJsonString(claims, audience);
  member("client_id");
  AppendJsonString(claims, app.client_id);
  member("exp");
  claims += std::to_string(now + lifetime);
  member("iat");
  claims += std::to_string(now);
  member("iss");
  AppendJsonString(claims, options_.issuer);
  member("jti");
  AppendJsonString(claims, out.jti);
  member("nbf");
  claims += std::to_string(now);
  member("scope");
  out.scope = JoinScopes(scopes);
  AppendJsonString(claims, out.scope);
  member("sub");
  AppendJsonString(claims, subject);
  member("workspace_id");
  AppendJsonString(claims, app.workspace_id);
  claims.push_back('}');
  ARENITE_ASSIGN_OR_RETURN(out.token, SignJwsText(*key.key, key.kid, "at+jwt", claims));
  return out;
}

Result<TokenService::SignedToken> TokenService::Issue(const App& app, const std::string& subject,
                                                      std::string_view audience,
                                                      const ScopeSet& scopes, int64_t lifetime) {
  ARENITE_ASSIGN_OR_RETURN(SignedToken signed_token,
                           Sign(app, subject, audience, scopes, lifetime));
  apps_.NoteTokenIssued(app.guid, signed_token.issued_at);
  return signed_token;
}

Status TokenService::RecordGrantToken(store::Tx& tx, const App& app, const std::string& grant_id,
                                      const SignedToken& t) {
  // A token of a user's grant is recorded, so that the grant's revocation (a reused code, a
  // replayed refresh token) reaches it. Other tokens verify without any record.
  ARENITE_RETURN_IF_ERROR(tx.Exec(
      "INSERT INTO oauth_access_tokens (jti, grant_id, app_guid, client_id, workspace_guid, "
      "issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      {t.jti, grant_id, app.guid, app.client_id, app.workspace_id, t.issued_at,
       t.issued_at + t.lifetime}));
  return OkStatus();
}

Result<std::string> TokenService::MintAccessToken(const App& app, std::string_view audience,
                                                  const ScopeSet& scopes, int64_t lifetime) {
  ScopeSet granted = ScopesWithin(scopes, app.scopes);
  if (app.machine_user_id.empty()) return Internal("the app has no machine user");
  Issued("internal").Increment();
  ARENITE_ASSIGN_OR_RETURN(SignedToken minted,
                           Issue(app, app.machine_user_id, audience, granted, lifetime));
  return std::move(minted.token);
}

Result<TokenResponse> TokenService::ClientCredentialsGrant(
    const App& app, const std::optional<std::string>& scope,
    const std::optional<std::string>& resource) {
  if (app.is_public || !app.AllowsGrant(kGrantClientCredentials)) {
    return OAuthError("unauthorized_client", "this client may not use client_credentials");
  }
  if (resource && !IsAbsoluteResource(*resource)) {
    return OAuthError("invalid_target", "resource must be an absolute URI without a fragment");
  }
  ARENITE_ASSIGN_OR_RETURN(ScopeSet scopes, Granted(app.scopes, scope));
  ARENITE_ASSIGN_OR_RETURN(
      SignedToken issued,
      Issue(app, app.machine_user_id, resource ? std::string_view(*resource) : ApiAudience(),
            scopes, options_.access_token_ttl));
  TokenResponse out;
  out.access_token = std::move(issued.token);
  out.expires_in = issued.lifetime;
  out.scope = std::move(issued.scope);
  Issued(kGrantClientCredentials).Increment();
  return out;
}

Result<std::string> TokenService::IssueCode(const App& app, const std::string& user_id,
                                            const std::string& redirect_uri,
                                            const std::string& challenge, const ScopeSet& scopes) {
  std::string code = crypto::RandomToken();
  int64_t now = clock_.Now();
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO oauth_codes (code_hash, grant_id, app_guid, workspace_guid, user_guid, "
        "redirect_uri, code_challenge, scopes, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {Hash(code), NewGuid(), app.guid, app.workspace_id, user_id, redirect_uri, challenge,
         JoinScopes(scopes), now, now + options_.code_ttl}));
    // Codes past their life are removed as new ones are made.
    ARENITE_RETURN_IF_ERROR(tx.Exec("DELETE FROM oauth_codes WHERE expires_at < ?", {now - 86400}));
    return OkStatus();
  }));
  return code;
}

Status TokenService::RevokeGrantIn(store::Tx& tx, const std::string& grant_id, int64_t now,
                                   std::vector<std::pair<std::string, int64_t>>* jtis) {
  ARENITE_RETURN_IF_ERROR(tx.Exec(
      "UPDATE oauth_refresh_tokens SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL",
      {now, grant_id}));
  ARENITE_RETURN_IF_ERROR(tx.Query(
      "SELECT jti, expires_at FROM oauth_access_tokens WHERE grant_id = ? AND revoked_at IS NULL",
      {grant_id}, [&](const store::Row& row) {
        jtis->emplace_back(row.String(0), row.Int(1));
        return true;
      }));
  ARENITE_RETURN_IF_ERROR(tx.Exec(
      "UPDATE oauth_access_tokens SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL",
      {now, grant_id}));
  return OkStatus();
}

Status TokenService::RevokeGrant(const std::string& grant_id) {
  std::vector<std::pair<std::string, int64_t>> jtis;
  int64_t now = clock_.Now();
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    jtis.clear();
    return RevokeGrantIn(tx, grant_id, now, &jtis);
  }));
  MarkRevoked(jtis);
  log::Get("oauth")->warn("grant {} revoked: {} access tokens and its refresh tokens", grant_id,
                          jtis.size());
  return OkStatus();
}

// Both grants below redeem in ONE write transaction: the conditional update that consumes the
// code or refresh token, the record of the access token (signed beforehand, so its jti is
// known) and the new refresh token. The store's writer runs transactions one after another, so
// a second use either comes before that commit (and finds the code unused, or loses the update)
// or after it, when every token issued from the code is recorded and its revocation reaches
// them all. A revoked grant therefore never gets a live token: its codes are used and its
// refresh tokens revoked, and nothing is issued without consuming one of those in the same
// transaction that records what it issues.

Result<TokenResponse> TokenService::AuthorizationCodeGrant(
    const App& app, const std::string& code, const std::optional<std::string>& redirect_uri,
    const std::optional<std::string>& verifier, const std::optional<std::string>& resource) {
  if (!app.AllowsGrant(kGrantAuthorizationCode)) {
    return OAuthError("unauthorized_client", "this client may not use authorization_code");
  }
  if (resource && !IsAbsoluteResource(*resource)) {
    return OAuthError("invalid_target", "resource must be an absolute URI without a fragment");
  }
  struct CodeRow {
    std::string grant_id, app_guid, user_id, redirect_uri, challenge, scopes;
    int64_t expires_at = 0;
    bool used = false;
  };
  std::optional<CodeRow> row;
  std::string hash = Hash(code);
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    return tx.Query(
        "SELECT grant_id, app_guid, user_guid, redirect_uri, code_challenge, scopes, expires_at, "
        "used_at FROM oauth_codes WHERE code_hash = ?",
        {hash}, [&](const store::Row& r) {
          row = CodeRow{r.String(0), r.String(1), r.String(2), r.String(3),
                        r.String(4), r.String(5), r.Int(6),    !r.IsNull(7)};
          return false;
        });
  }));
  auto invalid = [](std::string why) { return OAuthError("invalid_grant", std::move(why)); };
  if (!row || row->app_guid != app.guid) return invalid("the authorization code is not valid");
  if (row->used) {
    // A second use means the code leaked: everything issued from it dies (RFC 6749 4.1.2).
    ARENITE_RETURN_IF_ERROR(RevokeGrant(row->grant_id));
    return invalid("the authorization code has already been used");
  }
  if (clock_.Now() >= row->expires_at) return invalid("the authorization code has expired");
  bool uri_ok = row->redirect_uri.empty() ? !redirect_uri || (app.redirect_uris.size() == 1 &&
                                                              *redirect_uri == app.redirect_uris[0])
                                          : redirect_uri && *redirect_uri == row->redirect_uri;
  if (!uri_ok) {
    return invalid("redirect_uri differs from the one of the authorization request");
  }
  if (!verifier || !VerifyPkceS256(*verifier, row->challenge)) {
    return invalid("the PKCE code_verifier is missing or does not match the code_challenge");
  }
  auto user = UserOf(row->user_id);
  if (!user.ok() || !user->active) return invalid("the user who granted access is not active");

  // Everything the redemption writes is made first, so that one transaction records it all.
  ScopeSet scopes = ScopesWithin(ParseScope(row->scopes).value_or(ScopeSet{}), app.scopes);
  TokenResponse out;
  out.scope = JoinScopes(scopes);
  ARENITE_ASSIGN_OR_RETURN(
      SignedToken access,
      Sign(app, row->user_id, resource.value_or(ApiAudience()), scopes, options_.access_token_ttl));
  if (app.AllowsGrant(kGrantRefreshToken)) out.refresh_token = crypto::RandomToken();
  int64_t now = access.issued_at;

  enum class Outcome { kRedeemed, kReused, kGone };
  Outcome outcome = Outcome::kRedeemed;
  std::vector<std::pair<std::string, int64_t>> revoked;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    outcome = Outcome::kRedeemed;
    revoked.clear();
    ARENITE_ASSIGN_OR_RETURN(
        int64_t changed,
        tx.Exec("UPDATE oauth_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL",
                {now, hash}));
    if (changed == 0) {
      // Another request redeemed the code first (its tokens are recorded by now), or the app
      // was deleted with its codes.
      ARENITE_ASSIGN_OR_RETURN(bool exists,
                               tx.Exists("SELECT 1 FROM oauth_codes WHERE code_hash = ?", {hash}));
      if (!exists) {
        outcome = Outcome::kGone;
        return OkStatus();
      }
      outcome = Outcome::kReused;
      return RevokeGrantIn(tx, row->grant_id, now, &revoked);
    }
    ARENITE_RETURN_IF_ERROR(RecordGrantToken(tx, app, row->grant_id, access));
    if (out.refresh_token) {
      ARENITE_RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO oauth_refresh_tokens (token_hash, grant_id, app_guid, workspace_guid, "
          "user_guid, scopes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          {Hash(*out.refresh_token), row->grant_id, app.guid, app.workspace_id, row->user_id,
           out.scope, now, now + options_.refresh_token_ttl}));
    }
    return OkStatus();
  }));
  if (outcome == Outcome::kGone) return invalid("the authorization code is not valid");
  if (outcome == Outcome::kReused) {
    MarkRevoked(revoked);
    log::Get("oauth")->warn(
        "grant {} revoked on a reused code: {} access tokens and its refresh "
        "tokens",
        row->grant_id, revoked.size());
    return invalid("the authorization code has already been used");
  }

  apps_.NoteTokenIssued(app.guid, now);
  out.access_token = std::move(access.token);
  out.expires_in = access.lifetime;
  Issued(kGrantAuthorizationCode).Increment();
  if (after_consume_for_test_) after_consume_for_test_();
  return out;
}

Result<TokenResponse> TokenService::RefreshTokenGrant(const App& app,
                                                      const std::string& refresh_token,
                                                      const std::optional<std::string>& scope) {
  if (!app.AllowsGrant(kGrantRefreshToken)) {
    return OAuthError("unauthorized_client", "this client may not use refresh_token");
  }
  struct RefreshRow {
    std::string grant_id, app_guid, user_id, scopes;
    int64_t expires_at = 0;
    bool consumed = false, revoked = false;
  };
  std::optional<RefreshRow> row;
  std::string hash = Hash(refresh_token);
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    return tx.Query(
        "SELECT grant_id, app_guid, user_guid, scopes, expires_at, consumed_at, revoked_at FROM "
        "oauth_refresh_tokens WHERE token_hash = ?",
        {hash}, [&](const store::Row& r) {
          row = RefreshRow{r.String(0), r.String(1),  r.String(2), r.String(3),
                           r.Int(4),    !r.IsNull(5), !r.IsNull(6)};
          return false;
        });
  }));
  auto invalid = [](std::string why) { return OAuthError("invalid_grant", std::move(why)); };
  if (!row || row->app_guid != app.guid) return invalid("the refresh token is not valid");
  if (row->revoked) return invalid("the refresh token has been revoked");
  if (row->consumed) {
    // Reuse of a rotated refresh token: the family is compromised (RFC 9700 4.14.2).
    ARENITE_RETURN_IF_ERROR(RevokeGrant(row->grant_id));
    return invalid("the refresh token has already been used");
  }
  int64_t now = clock_.Now();
  if (now >= row->expires_at) return invalid("the refresh token has expired");
  ScopeSet family_scopes = ScopesWithin(ParseScope(row->scopes).value_or(ScopeSet{}), app.scopes);
  ARENITE_ASSIGN_OR_RETURN(ScopeSet scopes, Granted(family_scopes, scope));
  auto user = UserOf(row->user_id);
  if (!user.ok() || !user->active) return invalid("the user who granted access is not active");

  // Everything the refresh writes is made first, so that one transaction records it all.
  std::string next = crypto::RandomToken();
  ARENITE_ASSIGN_OR_RETURN(SignedToken access, Sign(app, row->user_id, ApiAudience(), scopes,
                                                    options_.access_token_ttl));
  now = access.issued_at;

  enum class Outcome { kRefreshed, kReused, kRevoked, kGone };
  Outcome outcome = Outcome::kRefreshed;
  std::vector<std::pair<std::string, int64_t>> revoked;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    outcome = Outcome::kRefreshed;
    revoked.clear();
    // One conditional update decides the winner of concurrent refreshes.
    ARENITE_ASSIGN_OR_RETURN(
        int64_t changed,
        tx.Exec("UPDATE oauth_refresh_tokens SET consumed_at = ? WHERE token_hash = ? "
                "AND consumed_at IS NULL AND revoked_at IS NULL",
                {now, hash}));
    if (changed == 0) {
      // Lost to a concurrent refresh (whose tokens are recorded by now), to a revocation, or to
      // the app's deletion.
      std::optional<bool> was_revoked;
      ARENITE_RETURN_IF_ERROR(
          tx.Query("SELECT revoked_at FROM oauth_refresh_tokens WHERE token_hash = ?", {hash},
                   [&](const store::Row& r) {
                     was_revoked = !r.IsNull(0);
                     return false;
                   }));
      if (!was_revoked) {
        outcome = Outcome::kGone;
        return OkStatus();
      }
      if (*was_revoked) {
        outcome = Outcome::kRevoked;
        return OkStatus();
      }
      outcome = Outcome::kReused;
      return RevokeGrantIn(tx, row->grant_id, now, &revoked);
    }
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO oauth_refresh_tokens (token_hash, grant_id, app_guid, workspace_guid, "
                "user_guid, scopes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                {Hash(next), row->grant_id, app.guid, app.workspace_id, row->user_id, row->scopes,
                 now, now + options_.refresh_token_ttl}));
    return RecordGrantToken(tx, app, row->grant_id, access);
  }));
  switch (outcome) {
    case Outcome::kGone:
      return invalid("the refresh token is not valid");
    case Outcome::kRevoked:
      return invalid("the refresh token has been revoked");
    case Outcome::kReused:
      MarkRevoked(revoked);
      log::Get("oauth")->warn(
          "grant {} revoked on a reused refresh token: {} access tokens and "
          "its refresh tokens",
          row->grant_id, revoked.size());
      return invalid("the refresh token has already been used");
    case Outcome::kRefreshed:
      break;
  }

  apps_.NoteTokenIssued(app.guid, now);
  TokenResponse out;
  out.access_token = std::move(access.token);
  out.expires_in = access.lifetime;
  out.scope = JoinScopes(scopes);
  out.refresh_token = next;
  Issued(kGrantRefreshToken).Increment();
  if (after_consume_for_test_) after_consume_for_test_();
  return out;
}

Result<json::Json> TokenService::VerifyJwt(std::string_view token) {
  ARENITE_ASSIGN_OR_RETURN(ParsedJws jws, ParseJws(token));
  const json::Json& h = jws.header;
  if (json::StringOr(h, "alg") != "ES256" || json::StringOr(h, "typ") != "at+jwt" ||
      !h.contains("kid") || !h["kid"].is_string()) {
    return InvalidToken("the access token is not valid");
  }
  auto key = keys_.Find(h["kid"].get<std::string>());
  if (!key || !key->Verify(jws.signing_input, jws.signature)) {
    return InvalidToken("the access token is not valid");
  }
  const json::Json& c = jws.claims;
  if (json::StringOr(c, "iss") != options_.issuer || !c.contains("exp") ||
      !c["exp"].is_number_integer()) {
    return InvalidToken("the access token is not valid");
  }
  if (clock_.Now() >= c["exp"].get<int64_t>()) return InvalidToken("the access token has expired");
  for (const char* name : {"sub", "jti", "client_id", "scope", "workspace_id"}) {
    if (!c.contains(name) || !c[name].is_string()) {
      return InvalidToken("the access token is not valid");
    }
  }
  return c;
}

Result<workspace::Principal> TokenService::ValidateBearer(std::string_view token) {
  int64_t now = clock_.Now();
  std::optional<VerifiedToken> cached;
  {
    std::shared_lock lock(mu_);
    auto it = verified_.find(std::string(token));
    if (it != verified_.end()) cached = it->second;
  }
  if (!cached) {
    ARENITE_ASSIGN_OR_RETURN(json::Json claims, VerifyJwt(token));
    if (!claims.contains("aud") || !AudienceHas(claims["aud"], ApiAudience())) {
      return InvalidToken("the access token is not meant for this API");
    }
    VerifiedToken v;
    v.expires_at = claims["exp"].get<int64_t>();
    v.principal.kind = workspace::AuthKind::kBearer;
    v.principal.workspace_id = claims["workspace_id"].get<std::string>();
    v.principal.user_id = claims["sub"].get<std::string>();
    v.principal.client_id = claims["client_id"].get<std::string>();
    v.principal.token_id = claims["jti"].get<std::string>();
    v.principal.scopes = ParseScope(claims["scope"].get<std::string>()).value_or(ScopeSet{});
    std::unique_lock lock(mu_);
    if (verified_.size() >= kMaxCachedTokens) {
      std::erase_if(verified_, [&](const auto& kv) { return kv.second.expires_at <= now; });
      if (verified_.size() >= kMaxCachedTokens) verified_.clear();
    }
    verified_.emplace(std::string(token), v);
    cached = std::move(v);
  }
  if (now >= cached->expires_at) return InvalidToken("the access token has expired");
  workspace::Principal p = cached->principal;
  if (IsRevoked(p.token_id)) return InvalidToken("the access token has been revoked");
  auto live = FindLive(p.client_id);
  if (!live || live->workspace_id != p.workspace_id) {
    return InvalidToken("the access token's client no longer exists");
  }
  // The app's current scopes bound what an older token may still do.
  p.scopes = ScopesWithin(p.scopes, live->scopes);
  auto user = UserOf(p.user_id);
  if (!user.ok()) {
    if (user.error().status == 404) return InvalidToken("the access token's user no longer exists");
    return std::move(user).error();
  }
  if (!user->active || user->workspace_id != p.workspace_id) {
    return InvalidToken("the access token's user is not active");
  }
  p.role = user->role;
  return p;
}

bool TokenService::UserActiveIn(const json::Json& user_id, const std::string& workspace_id) {
  if (!user_id.is_string()) return false;
  auto user = UserOf(user_id.get<std::string>());
  return user.ok() && user->active && user->workspace_id == workspace_id;
}

std::string TokenService::CurrentScope(std::string_view granted, const ScopeSet& app_scopes) {
  return JoinScopes(ScopesWithin(ParseScope(granted).value_or(ScopeSet{}), app_scopes));
}

json::Json TokenService::Introspect(const App& caller, std::string_view token) {
  json::Json inactive = {{"active", false}};
  if (token.empty() || token.size() > 8192) return inactive;
  if (token.find('.') != std::string_view::npos) {
    auto claims = VerifyJwt(token);
    if (!claims.ok()) return inactive;
    const json::Json& c = *claims;
    std::string client_id = c["client_id"].get<std::string>();
    auto live = FindLive(client_id);
    if (!live || live->workspace_id != caller.workspace_id ||
        c["workspace_id"].get<std::string>() != caller.workspace_id ||
        IsRevoked(c["jti"].get<std::string>()) || !UserActiveIn(c["sub"], caller.workspace_id)) {
      return inactive;
    }
    // What the token may still do, as the API sees it (ValidateBearer).
    std::string scope = CurrentScope(c["scope"].get<std::string>(), live->scopes);
    json::Json out = {
        {"active", true},         {"token_type", "Bearer"}, {"scope", scope},
        {"client_id", client_id}, {"sub", c["sub"]},        {"iss", c["iss"]},
        {"exp", c["exp"]},        {"jti", c["jti"]},        {"workspace_id", c["workspace_id"]}};
    for (const char* name : {"aud", "iat", "nbf"}) {
      if (c.contains(name)) out[name] = c[name];
    }
    return out;
  }
  std::optional<json::Json> out;
  int64_t now = clock_.Now();
  Status read = store_.Read([&](store::Tx& tx) {
    return tx.Query(
        "SELECT r.workspace_guid, r.user_guid, r.scopes, r.created_at, r.expires_at, a.client_id "
        "FROM oauth_refresh_tokens r JOIN oauth_apps a ON a.guid = r.app_guid WHERE "
        "r.token_hash = ? AND r.consumed_at IS NULL AND r.revoked_at IS NULL AND r.expires_at > ?",
        {Hash(token), now}, [&](const store::Row& r) {
          // A refresh token is for its own client only, unlike an access token, which a
          // resource server (another client) introspects. No token_type: RFC 7662 takes it
          // from RFC 6749 section 5.1, the access token's type.
          if (r.String(0) != caller.workspace_id || r.String(5) != caller.client_id) return false;
          out = json::Json{{"active", true},           {"scope", r.String(2)},
                           {"client_id", r.String(5)}, {"sub", r.String(1)},
                           {"iss", options_.issuer},   {"iat", r.Int(3)},
                           {"exp", r.Int(4)},          {"workspace_id", r.String(0)}};
          return false;
        });
  });
  if (!read.ok() || !out) return inactive;
  // As the refresh grant would see it: the user still active, the scopes the app still has.
  auto live = FindLive((*out)["client_id"].get<std::string>());
  if (!live || !UserActiveIn((*out)["sub"], caller.workspace_id)) return inactive;
  (*out)["scope"] = CurrentScope((*out)["scope"].get<std::string>(), live->scopes);
  return *out;
}

Status TokenService::Revoke(const App& caller, std::string_view token) {
  if (token.empty() || token.size() > 8192) return OkStatus();
  if (token.find('.') != std::string_view::npos) {
    auto parsed = ParseJws(token);
    if (!parsed.ok()) return OkStatus();
    auto claims = VerifyJwt(token);
    if (!claims.ok()) return OkStatus();  // expired or not ours: nothing left to revoke
    if ((*claims)["client_id"].get<std::string>() != caller.client_id) {
      return OAuthError("unauthorized_client", "the token was not issued to this client");
    }
    std::string jti = (*claims)["jti"].get<std::string>();
    int64_t exp = (*claims)["exp"].get<int64_t>();
    int64_t now = clock_.Now();
    // Durable before the answer: the token stays dead across a restart. Revoking twice is fine.
    ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
      ARENITE_RETURN_IF_ERROR(
          tx.Exec("INSERT INTO oauth_revocations (jti, app_guid, workspace_guid, revoked_at, "
                  "expires_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (jti) DO NOTHING",
                  {jti, caller.guid, caller.workspace_id, now, exp}));
      return OkStatus();
    }));
    MarkRevoked({{jti, exp}});
    return OkStatus();
  }
  std::optional<std::pair<std::string, std::string>> row;  // grant, app
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    return tx.Query("SELECT grant_id, app_guid FROM oauth_refresh_tokens WHERE token_hash = ?",
                    {Hash(token)}, [&](const store::Row& r) {
                      row = {r.String(0), r.String(1)};
                      return false;
                    });
  }));
  if (!row) return OkStatus();
  if (row->second != caller.guid) {
    return OAuthError("unauthorized_client", "the token was not issued to this client");
  }
  return RevokeGrant(row->first);
}

}  // namespace arenite::oauth
