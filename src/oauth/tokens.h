// The token side of the authorization server: access tokens as ES256 JWTs per RFC 9068, client
// authentication (RFC 6749 2.3.1), the client_credentials, authorization_code (with PKCE) and
// refresh_token grants, introspection (RFC 7662), revocation (RFC 7009), and the validation of
// bearer tokens on the API. Codes and refresh tokens are 256-bit random, stored only as SHA-256.
// Revoked token ids and the live apps are held in memory (loaded at start, updated on every
// revocation and app change), so validating a bearer token reads the store at most once per
// user per half minute. A client_credentials (or minted) token is not written anywhere when it
// is issued: only its revocation is stored (oauth_revocations). Tokens of the
// authorization_code and refresh_token grants are still recorded with their grant, in the same
// transaction that consumes the code or refresh token, so that a reused code or refresh token
// revokes every one of them. A background thread writes the apps' last token times and removes
// expired rows. Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "core/result.h"
#include "oauth/apps.h"
#include "oauth/keys.h"
#include "oauth/rules.h"
#include "store/store.h"
#include "workspace/principal.h"

namespace arenite::oauth {

struct TokenOptions {
  std::string issuer;  // the server's public URL, exactly
  int64_t access_token_ttl = 3600;
  int64_t refresh_token_ttl = 30 * 86400;
  int64_t code_ttl = 60;
};

// An RFC 6749 5.2 error: status 400 (401 for invalid_client) with `error` in Error::oauth_error.
Error OAuthError(std::string_view error, std::string description, int status = 400);

struct TokenResponse {
  std::string access_token;
  int64_t expires_in = 0;
  std::string scope;
  std::optional<std::string> refresh_token;
  // The RFC 6749 section 5.1 JSON body, written directly (it is on every token request's path).
  std::string Body() const;
};

// The credentials a request to the token, introspection or revocation endpoint carries.
struct ClientCredentials {
  std::optional<std::string> authorization;  // the Authorization header
  std::optional<BasicCredentials> basic;     // the header's Basic credentials, if parsed already
  std::optional<std::string> client_id;      // form parameters
  std::optional<std::string> client_secret;
  std::string address;
};

class TokenService {
 public:
  TokenService(store::Store& store, const Clock& clock, Apps& apps, SigningKeys& keys,
               TokenOptions options);
  // Stops the background thread after a last write of the token times.
  ~TokenService();
  TokenService(const TokenService&) = delete;
  TokenService& operator=(const TokenService&) = delete;

  // Loads the live apps and the revoked, unexpired token ids, and starts the background thread
  // (every few seconds: Apps::FlushTokenTimes; every hour: expired rows removed). Call once at
  // start.
  Status Load();
  // Removes access tokens, refresh tokens and revocations that expired over a day ago (the
  // background thread calls it hourly).
  Status RemoveExpired();

  // Whether a client_credentials request of this client can be answered without the store: the
  // client is in the apps' cache (the signing keys are reloaded at most once a minute). For
  // routing the token endpoint onto the I/O thread; the answer does not depend on it.
  bool CanIssueWithoutStore(std::string_view client_id);
  // Keeps the in-memory view in step with app changes (see Apps::SetListener).
  void OnAppChanged(const App& app, bool live);
  // Drops the cached role and state of a user whose role or status changed, so that live
  // tokens acting as that user follow at once.
  void ForgetUser(const std::string& user_id);

  const std::string& issuer() const { return options_.issuer; }
  // The `aud` of tokens for this server's own API: the issuer followed by /v1.
  const std::string& ApiAudience() const { return api_audience_; }
  int64_t access_token_ttl() const { return options_.access_token_ttl; }

  // Authenticates the client of a request (client_secret_basic, client_secret_post, or none
  // for public apps); invalid_client (401) or invalid_request otherwise.
  Result<App> AuthenticateClient(const ClientCredentials& credentials);

  // An access token for the app's machine user, for other components (webhook deliveries mint
  // tokens with aud = the target URL). `lifetime` is capped at the server's access token TTL.
  Result<std::string> MintAccessToken(const App& app, std::string_view audience,
                                      const ScopeSet& scopes, int64_t lifetime);

  Result<TokenResponse> ClientCredentialsGrant(const App& app,
                                               const std::optional<std::string>& scope,
                                               const std::optional<std::string>& resource);
  // A single-use code for a consenting user; the caller has checked the authorization request.
  // `redirect_uri` is the one the request sent, or empty when it sent none.
  Result<std::string> IssueCode(const App& app, const std::string& user_id,
                                const std::string& redirect_uri, const std::string& challenge,
                                const ScopeSet& scopes);
  Result<TokenResponse> AuthorizationCodeGrant(const App& app, const std::string& code,
                                               const std::optional<std::string>& redirect_uri,
                                               const std::optional<std::string>& verifier,
                                               const std::optional<std::string>& resource);
  Result<TokenResponse> RefreshTokenGrant(const App& app, const std::string& refresh_token,
                                          const std::optional<std::string>& scope);

  // RFC 7662: {"active":false} for anything not active or of another workspace.
  json::Json Introspect(const App& caller, std::string_view token);
  // RFC 7009: revokes an access token, or a refresh token with its whole grant. Unknown tokens
  // are not an error; a token of another client is refused (unauthorized_client).
  Status Revoke(const App& caller, std::string_view token);

  // Validates a bearer token for the API and builds its Principal.
  Result<workspace::Principal> ValidateBearer(std::string_view token);

  // For tests only: runs on the winner's thread right after the transaction that consumed a
  // code or refresh token (and recorded what it issues) has committed, before the grant
  // answers, so that a test can make a second use land there. Set before any grant runs.
  void SetAfterConsumeHookForTest(std::function<void()> hook) {
    after_consume_for_test_ = std::move(hook);
  }

 private:
  struct LiveApp {
    std::string guid;
    std::string workspace_id;
    ScopeSet scopes;
  };
  struct CachedUser {
    std::string workspace_id;
    workspace::Role role = workspace::Role::kViewer;
    bool active = false;
    int64_t fetched_at = 0;
  };
  struct VerifiedToken {
    workspace::Principal principal;  // scopes as in the token
    int64_t expires_at = 0;
  };

  // A signed access token with what its record needs.
  struct SignedToken {
    std::string token;
    std::string jti;
    int64_t issued_at = 0;
    int64_t lifetime = 0;
    std::string scope;  // the token's scope claim
  };

  Result<SignedToken> Sign(const App& app, const std::string& subject, std::string_view audience,
                           const ScopeSet& scopes, int64_t lifetime);
  // A token that is not recorded (client_credentials, minted): signed and noted on the app.
  Result<SignedToken> Issue(const App& app, const std::string& subject, std::string_view audience,
                            const ScopeSet& scopes, int64_t lifetime);
  // Records an access token of a user's grant, inside the transaction that consumes the code or
  // refresh token it comes from.
  static Status RecordGrantToken(store::Tx& tx, const App& app, const std::string& grant_id,
                                 const SignedToken& signed_token);
  // Signature by kid, typ, iss and exp; the claims on success.
  Result<json::Json> VerifyJwt(std::string_view token);
  bool IsRevoked(const std::string& jti);
  std::optional<LiveApp> FindLive(const std::string& client_id);
  Result<CachedUser> UserOf(const std::string& user_id);
  // For introspection: whether the user (a JSON string) exists, is active and belongs to the
  // workspace; and the granted scopes cut down to those the app still has.
  bool UserActiveIn(const json::Json& user_id, const std::string& workspace_id);
  static std::string CurrentScope(std::string_view granted, const ScopeSet& app_scopes);
  Status RevokeGrant(const std::string& grant_id);
  // Marks every refresh and access token of the grant revoked inside `tx`; the access tokens'
  // ids and expiries are added to `jtis`, for MarkRevoked once the transaction has committed.
  static Status RevokeGrantIn(store::Tx& tx, const std::string& grant_id, int64_t now,
                              std::vector<std::pair<std::string, int64_t>>* jtis);
  void MarkRevoked(const std::vector<std::pair<std::string, int64_t>>& jtis);
  Result<ScopeSet> Granted(const ScopeSet& allowed, const std::optional<std::string>& requested);

  store::Store& store_;
  const Clock& clock_;
  Apps& apps_;
  SigningKeys& keys_;
  const TokenOptions options_;
  const std::string api_audience_;

  void Housekeeping();

  std::mutex housekeeping_mu_;
  std::condition_variable housekeeping_cv_;
  bool stopping_ = false;
  std::thread housekeeping_;

  // TODO: the revoked set and the live apps are per process, loaded at start and updated by
  // this node's own changes; with several nodes on one database, a revocation or deletion on
  // one node reaches the others only at their restart. They need a shared change feed (e.g.
  // polling oauth_revocations by revoked_at) before arenite runs on more than one node.
  std::shared_mutex mu_;
  std::unordered_map<std::string, int64_t> revoked_;  // jti -> its expiry
  std::unordered_map<std::string, LiveApp> live_;     // by client_id
  // Client ids of apps deleted since Load (ids are never reused), so that the late change
  // notice of an update that raced the deletion cannot bring the app back to life.
  std::unordered_set<std::string> deleted_;
  std::unordered_map<std::string, CachedUser> users_;
  uint64_t users_generation_ = 0;                            // counts ForgetUser calls
  std::unordered_map<std::string, VerifiedToken> verified_;  // by the token's text

  std::function<void()> after_consume_for_test_;
};

}  // namespace arenite::oauth
