// OAuth applications of a workspace (Workspace Settings > OAuth Applications): registration,
// client secrets (256 random bits, stored only as SHA-256, at most two valid at once during a
// rotation's grace period), client authentication, the workspace's maximum secret age, and the
// audit log of these settings changes. Each app has a MACHINE user that client-credentials
// tokens act as. Client authentication reads a per-node cache of the apps (client id -> app
// and secret digests), dropped on every change made through this class; when an app last got
// a token is kept in memory and written by FlushTokenTimes. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/text_map.h"
#include "oauth/rules.h"
#include "store/store.h"
#include "workspace/users.h"

namespace arenite::oauth {

struct App {
  std::string guid;
  std::string workspace_id;
  std::string client_id;
  std::string name;
  std::string description;
  std::vector<std::string> redirect_uris;
  std::vector<std::string> grant_types;
  ScopeSet scopes;
  bool is_public = false;
  std::string machine_user_id;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  // The current secret's creation time (confidential apps), and when the one before it stops.
  std::optional<int64_t> secret_created_at;
  std::optional<int64_t> previous_secret_expires_at;
  // Whether the current secret is older than the workspace's maximum secret age.
  bool secret_too_old = false;

  bool AllowsGrant(std::string_view grant) const;
};

// Fields of a create or update; an absent field keeps its value (on create, its default).
struct AppInput {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::vector<std::string>> redirect_uris;
  std::optional<std::vector<std::string>> grant_types;
  std::optional<std::vector<std::string>> scopes;
  std::optional<bool> is_public;
};

// Who changed a setting and from where, for the audit log.
struct AuditContext {
  std::string actor;
  std::string address;
};

struct AuditEntry {
  std::string guid;
  int64_t created_at = 0;
  std::string actor;
  std::string address;
  std::string action;
  std::string object_type;
  std::string object_guid;
  std::string object_name;
};

struct CreatedApp {
  App app;
  std::string client_secret;  // empty for a public app; shown once, never stored
};

struct RotatedSecret {
  App app;
  std::string client_secret;
  std::optional<int64_t> previous_secret_expires_at;
};

class Apps {
 public:
  Apps(store::Store& store, workspace::Users& users, const Clock& clock)
      : store_(store), users_(users), clock_(clock) {}

  // Called after an app is created or changed (live = true) or deleted (live = false), so the
  // token service can update its in-memory view at once.
  using Listener = std::function<void(const App& app, bool live)>;
  void SetListener(Listener listener) { listener_ = std::move(listener); }
  // Asked inside the deleting transaction; an Error (409 while webhooks use the app) refuses it.
  using DeleteGuard = std::function<Status(store::Tx& tx, const App& app)>;
  void SetDeleteGuard(DeleteGuard guard) { delete_guard_ = std::move(guard); }

  Result<CreatedApp> Create(const std::string& workspace_id, const AppInput& input,
                            const AuditContext& audit);
  Result<std::vector<App>> List(const std::string& workspace_id, int64_t offset, int64_t limit);
  Result<App> Get(const std::string& workspace_id, const std::string& guid);
  // Any workspace's app by its client_id; NotFound when there is none. Served from the cache
  // when it holds the app (see Cached), else read from the store and cached.
  Result<App> FindByClientId(std::string_view client_id);
  // Whether FindByClientId and SecretMatches can answer for this client without the store.
  bool Cached(std::string_view client_id);
  Result<App> Update(const std::string& workspace_id, const std::string& guid,
                     const AppInput& input, const AuditContext& audit);
  // Deletes the app with its secrets, codes and refresh tokens, marks its access tokens
  // revoked and deactivates its machine user.
  Result<App> Delete(const std::string& workspace_id, const std::string& guid,
                     const AuditContext& audit);
  // A new current secret; the previous one stays valid for `grace_seconds`, older ones stop.
  Result<RotatedSecret> RotateSecret(const std::string& workspace_id, const std::string& guid,
                                     int64_t grace_seconds, const AuditContext& audit);

  // Checks a confidential client's secret against its valid secrets in constant time
  // (SHA-256, then CRYPTO_memcmp against every secret valid now).
  bool SecretMatches(const App& app, std::string_view secret);

  // Notes that the app got an access token at `at`; kept in memory until FlushTokenTimes.
  void NoteTokenIssued(const std::string& app_guid, int64_t at);
  // When the app last got an access token (written or still in memory), or nullopt.
  Result<std::optional<int64_t>> LastTokenAt(const std::string& app_guid);
  // Writes the token times noted since the last flush, in one transaction; cheap when none.
  Status FlushTokenTimes();

  // The workspace's maximum secret age in days (nullopt: no maximum).
  Result<std::optional<int64_t>> MaxSecretAgeDays(const std::string& workspace_id);
  Status SetMaxSecretAgeDays(const std::string& workspace_id, std::optional<int64_t> days,
                             const AuditContext& audit);
  // Counts apps whose secret is past its workspace's maximum age, sets the gauge
  // arenite_oauth_apps_secret_too_old and warns about each one.
  Status CheckSecretAges();

  Result<std::vector<AuditEntry>> AuditLog(const std::string& workspace_id, int64_t offset,
                                           int64_t limit);

  const Clock& clock() const { return clock_; }

  static constexpr int64_t kDefaultGraceSeconds = 86400;
  static constexpr int64_t kMaxGraceSeconds = 30 * 86400;
  // A cached app is read again after this long even without a change through this class, so
  // that changes made by another process (a second node) reach this one eventually.
  // TODO: with several nodes on one database, a secret rotation or deletion on one node
  // reaches the others' caches only after up to this long; a change feed through the store
  // (e.g. an apps version counter polled by every node) is needed before running more than one.
  static constexpr int64_t kCacheSeconds = 60;

 private:
  // An app as client authentication needs it, with every secret still valid when read.
  struct CachedApp {
    struct Secret {
      std::string digest;  // hex SHA-256
      int64_t created_at = 0;
      std::optional<int64_t> expires_at;
    };
    App app;
    std::vector<Secret> secrets;
    std::optional<int64_t> max_secret_age_days;
    int64_t loaded_at = 0;
  };

  Result<App> Load(store::Tx& tx, std::string_view where, const store::Params& params);
  Result<std::shared_ptr<const CachedApp>> LoadCached(std::string_view client_id);
  std::shared_ptr<const CachedApp> FindCached(std::string_view client_id, int64_t now);
  // The app with its secret fields as they stand at `now`.
  static App AppAt(const CachedApp& cached, int64_t now);
  // Drops cached apps after a change; `client_id` empty drops them all.
  void Invalidate(const std::string& client_id);
  Status Audit(store::Tx& tx, const std::string& workspace_id, const AuditContext& audit,
               std::string_view action, const App& app);

  store::Store& store_;
  workspace::Users& users_;
  const Clock& clock_;
  Listener listener_;
  DeleteGuard delete_guard_;

  std::mutex cache_mu_;
  TextMap<std::shared_ptr<const CachedApp>> cache_;  // by client_id
  // Bumped by every invalidation, so that a read begun before a change is not cached after it.
  uint64_t cache_generation_ = 0;

  std::mutex times_mu_;
  std::unordered_map<std::string, int64_t> token_times_;  // app guid -> last token, unwritten
};

}  // namespace arenite::oauth
