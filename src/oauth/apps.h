// OAuth applications of a workspace (Workspace Settings > OAuth Applications): registration,
// client secrets (256 random bits, stored only as SHA-256, at most two valid at once during a
// rotation's grace period), client authentication, the workspace's maximum secret age, and the
// audit log of these settings changes. Each app has a MACHINE user that client-credentials
// tokens act as. Thread-safe; every call is one store transaction.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
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
  // Any workspace's app by its client_id; NotFound when there is none.
  Result<App> FindByClientId(std::string_view client_id);
  Result<App> Update(const std::string& workspace_id, const std::string& guid,
                     const AppInput& input, const AuditContext& audit);
  // Deletes the app with its secrets, codes and refresh tokens, marks its access tokens
  // revoked and deactivates its machine user.
  Result<App> Delete(const std::string& workspace_id, const std::string& guid,
                     const AuditContext& audit);
  // A new current secret; the previous one stays valid for `grace_seconds`, older ones stop.
  Result<RotatedSecret> RotateSecret(const std::string& workspace_id, const std::string& guid,
                                     int64_t grace_seconds, const AuditContext& audit);

  // Checks a confidential client's secret against its valid secrets in constant time.
  bool SecretMatches(const App& app, std::string_view secret);

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

 private:
  Result<App> Load(store::Tx& tx, std::string_view where, const store::Params& params);
  Status Audit(store::Tx& tx, const std::string& workspace_id, const AuditContext& audit,
               std::string_view action, const App& app);

  store::Store& store_;
  workspace::Users& users_;
  const Clock& clock_;
  Listener listener_;
  DeleteGuard delete_guard_;
};

}  // namespace arenite::oauth
