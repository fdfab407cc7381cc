#include "oauth/apps.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/crypto.h"
#include "core/guid.h"
#include "core/json.h"
#include "core/log.h"
#include "core/metrics.h"

namespace arenite::oauth {
namespace {

constexpr char kAppColumns[] =
    "guid, workspace_guid, client_id, name, description, redirect_uris, grant_types, scopes, "
    "public_client, machine_user_guid, created_at, updated_at";

std::vector<std::string> SplitWords(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t space = text.find(' ');
    if (space != 0) out.emplace_back(text.substr(0, space));
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return out;
}

std::string JoinWords(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out.push_back(' ');
    out += w;
  }
  return out;
}

App ReadApp(const store::Row& row) {
  App a;
  a.guid = row.String(0);
  a.workspace_id = row.String(1);
  a.client_id = row.String(2);
  a.name = row.String(3);
  a.description = row.String(4);
  auto uris = json::Parse(row.Text(5));
  if (uris.ok() && uris->is_array()) {
    for (const auto& u : *uris) {
      if (u.is_string()) a.redirect_uris.push_back(u.get<std::string>());
    }
  }
  a.grant_types = SplitWords(row.Text(6));
  for (auto& s : SplitWords(row.Text(7))) a.scopes.insert(std::move(s));
  a.is_public = row.Int(8) != 0;
  a.machine_user_id = row.OptString(9).value_or("");
  a.created_at = row.Int(10);
  a.updated_at = row.Int(11);
  return a;
}

// 24 characters; the log lines of failed client authentications rely on that shape.
std::string NewClientId() { return crypto::Base64UrlEncode(crypto::RandomBytes(18)); }
std::string SecretHash(std::string_view secret) { return crypto::Sha256Hex(secret); }

// Validates the input into `app` (which holds the current values on update).
Status Apply(const AppInput& in, App& app, bool creating) {
  if (in.name) {
    if (in.name->empty() || in.name->size() > 200) {
      return BadRequest("The attribute \"name\" must be 1 to 200 characters.", kErrInvalidValue);
    }
    app.name = *in.name;
  } else if (creating) {
    return BadRequest("The attribute \"name\" is required.", kErrMissingField);
  }
  if (in.description) {
    if (in.description->size() > 2000) {
      return BadRequest("The attribute \"description\" must be at most 2000 characters.",
                        kErrInvalidValue);
    }
    app.description = *in.description;
  }
  if (in.is_public) {
    if (!creating && *in.is_public != app.is_public) {
      return BadRequest("The attribute \"public\" cannot change; register a new app instead.",
                        kErrInvalidValue);
    }
    app.is_public = *in.is_public;
  }
  if (in.redirect_uris) {
    if (in.redirect_uris->size() > 20) {
      return BadRequest("At most 20 redirect URIs may be registered.", kErrInvalidValue);
    }
    for (const auto& uri : *in.redirect_uris) ARENITE_RETURN_IF_ERROR(ValidateRedirectUri(uri));
    app.redirect_uris = *in.redirect_uris;
  }
  if (in.grant_types) {
    std::vector<std::string> grants;
    for (const auto& g : *in.grant_types) {
      if (!IsKnownGrantType(g)) {
        return BadRequest("The grant type \"" + g.substr(0, 40) +
                              "\" is not one of authorization_code, client_credentials, "
                              "refresh_token.",
                          kErrInvalidValue);
      }
      if (std::find(grants.begin(), grants.end(), g) == grants.end()) grants.push_back(g);
    }
    if (grants.empty()) {
      return BadRequest("The attribute \"grantTypes\" must not be empty.", kErrInvalidValue);
    }
    app.grant_types = grants;
  } else if (creating) {
    app.grant_types = {std::string(kGrantAuthorizationCode), std::string(kGrantRefreshToken)};
    if (!app.is_public) {
      app.grant_types.insert(app.grant_types.begin() + 1, std::string(kGrantClientCredentials));
    }
  }
  if (in.scopes) {
    ScopeSet scopes;
    for (const auto& s : *in.scopes) {
      if (!IsKnownScope(s)) {
        return BadRequest("The scope \"" + s.substr(0, 40) + "\" is not known.", kErrInvalidValue);
      }
      scopes.insert(s);
    }
    if (scopes.empty()) {
      return BadRequest("The attribute \"scopes\" must not be empty.", kErrInvalidValue);
    }
    app.scopes = scopes;
  } else if (creating) {
    return BadRequest("The attribute \"scopes\" is required.", kErrMissingField);
  }
  if (app.is_public && app.AllowsGrant(kGrantClientCredentials)) {
    return BadRequest("A public app cannot use client_credentials: it holds no secret.",
                      kErrInvalidValue);
  }
  return OkStatus();
}

Status InsertSecret(store::Tx& tx, const std::string& app_guid, const std::string& secret,
                    int64_t now) {
  return tx.Exec(
               "INSERT INTO oauth_app_secrets (guid, app_guid, secret_hash, created_at) "
               "VALUES (?, ?, ?, ?)",
               {NewGuid(), app_guid, SecretHash(secret), now})
                 .ok()
             ? OkStatus()
             : Internal("cannot store the client secret");
}

}  // namespace

bool App::AllowsGrant(std::string_view grant) const {
  return std::find(grant_types.begin(), grant_types.end(), grant) != grant_types.end();
}

Result<App> Apps::Load(store::Tx& tx, std::string_view where, const store::Params& params) {
  std::optional<App> found;
  ARENITE_RETURN_IF_ERROR(
      tx.Query(fmt::format("SELECT {} FROM oauth_apps WHERE {}", kAppColumns, where), params,
               [&](const store::Row& row) {
                 found = ReadApp(row);
                 return false;
               }));
  if (!found) return NotFound("the requested OAuth app is not found");
  int64_t now = clock_.Now();
  ARENITE_RETURN_IF_ERROR(
      tx.Query("SELECT created_at, expires_at FROM oauth_app_secrets WHERE app_guid = ? AND "
               "(expires_at IS NULL OR expires_at > ?) ORDER BY created_at DESC",
               {found->guid, now}, [&](const store::Row& row) {
                 if (row.IsNull(1)) {
                   found->secret_created_at = row.Int(0);
                 } else {
                   found->previous_secret_expires_at = row.Int(1);
                 }
                 return true;
               }));
  ARENITE_ASSIGN_OR_RETURN(
      auto max_days,
      tx.QueryInt("SELECT max_secret_age_days FROM oauth_settings WHERE workspace_guid = ?",
                  {found->workspace_id}));
  if (max_days && found->secret_created_at) {
    found->secret_too_old = now - *found->secret_created_at > *max_days * 86400;
  }
  return *found;
}

Status Apps::Audit(store::Tx& tx, const std::string& workspace_id, const AuditContext& audit,
                   std::string_view action, const App& app) {
  auto done = tx.Exec(
      "INSERT INTO audit_log (guid, workspace_guid, created_at, actor, address, action, "
      "object_type, object_guid, object_name) VALUES (?, ?, ?, ?, ?, ?, 'OAUTH_APP', ?, ?)",
      {NewGuid(), workspace_id, clock_.Now(), audit.actor, audit.address, std::string(action),
       app.guid, app.name});
  if (!done.ok()) return std::move(done).error();
  return OkStatus();
}

Result<CreatedApp> Apps::Create(const std::string& workspace_id, const AppInput& input,
                                const AuditContext& audit) {
  CreatedApp out;
  App& app = out.app;
  ARENITE_RETURN_IF_ERROR(Apply(input, app, true));
  app.guid = NewGuid();
  app.workspace_id = workspace_id;
  app.client_id = NewClientId();
  app.created_at = app.updated_at = clock_.Now();
  if (!app.is_public) out.client_secret = crypto::RandomToken();

  json::Json uris = app.redirect_uris;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(
        auto machine,
        users_.CreateMachineUser(tx, workspace_id, "OAuth app " + app.name.substr(0, 180),
                                 RoleForScopes(app.scopes)));
    app.machine_user_id = machine.guid;
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO oauth_apps (guid, workspace_guid, client_id, name, description, "
                "redirect_uris, grant_types, scopes, public_client, machine_user_guid, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                {app.guid, workspace_id, app.client_id, app.name, app.description, uris.dump(),
                 JoinWords(app.grant_types), JoinScopes(app.scopes), int64_t{app.is_public ? 1 : 0},
                 app.machine_user_id, app.created_at, app.updated_at}));
    if (!app.is_public) {
      ARENITE_RETURN_IF_ERROR(InsertSecret(tx, app.guid, out.client_secret, app.created_at));
      app.secret_created_at = app.created_at;
    }
    return Audit(tx, workspace_id, audit, "oauthapp.created", app);
  }));
  log::Get("oauth")->info("oauth app {} registered in workspace {} by {}", app.client_id,
                          workspace_id, audit.actor);
  if (listener_) listener_(app, true);
  return out;
}

Result<std::vector<App>> Apps::List(const std::string& workspace_id, int64_t offset,
                                    int64_t limit) {
  std::vector<std::string> guids;
  std::vector<App> out;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    ARENITE_RETURN_IF_ERROR(
        tx.Query("SELECT guid FROM oauth_apps WHERE workspace_guid = ? ORDER BY created_at, guid "
                 "LIMIT ? OFFSET ?",
                 {workspace_id, limit, offset}, [&](const store::Row& row) {
                   guids.push_back(row.String(0));
                   return true;
                 }));
    for (const auto& guid : guids) {
      ARENITE_ASSIGN_OR_RETURN(App app, Load(tx, "guid = ?", {guid}));
      out.push_back(std::move(app));
    }
    return OkStatus();
  }));
  return out;
}

Result<App> Apps::Get(const std::string& workspace_id, const std::string& guid) {
  std::optional<App> app;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(app,
                             Load(tx, "guid = ? AND workspace_guid = ?", {guid, workspace_id}));
    return OkStatus();
  }));
  return *app;
}

App Apps::AppAt(const CachedApp& cached, int64_t now) {
  App app = cached.app;
  app.secret_created_at.reset();
  app.previous_secret_expires_at.reset();
  app.secret_too_old = false;
  for (const auto& s : cached.secrets) {
    if (!s.expires_at) {
      app.secret_created_at = s.created_at;
    } else if (*s.expires_at > now) {
      app.previous_secret_expires_at = s.expires_at;
    }
  }
  if (cached.max_secret_age_days && app.secret_created_at) {
    app.secret_too_old = now - *app.secret_created_at > *cached.max_secret_age_days * 86400;
  }
  return app;
}

std::shared_ptr<const Apps::CachedApp> Apps::FindCached(std::string_view client_id, int64_t now) {
  std::lock_guard lock(cache_mu_);
  auto it = cache_.find(client_id);
  if (it == cache_.end()) return nullptr;
  // A clock set back (the test clock never is) also counts as stale.
  int64_t age = now - it->second->loaded_at;
  if (age < 0 || age >= kCacheSeconds) return nullptr;
  return it->second;
}

Result<std::shared_ptr<const Apps::CachedApp>> Apps::LoadCached(std::string_view client_id) {
  uint64_t generation;
  {
    std::lock_guard lock(cache_mu_);
    generation = cache_generation_;
  }
  auto cached = std::make_shared<CachedApp>();
  int64_t now = clock_.Now();
  cached->loaded_at = now;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    cached->secrets.clear();
    ARENITE_ASSIGN_OR_RETURN(cached->app, Load(tx, "client_id = ?", {std::string(client_id)}));
    ARENITE_RETURN_IF_ERROR(
        tx.Query("SELECT secret_hash, created_at, expires_at FROM oauth_app_secrets WHERE "
                 "app_guid = ? AND (expires_at IS NULL OR expires_at > ?)",
                 {cached->app.guid, now}, [&](const store::Row& row) {
                   cached->secrets.push_back({row.String(0), row.Int(1), row.OptInt(2)});
                   return true;
                 }));
    ARENITE_ASSIGN_OR_RETURN(
        cached->max_secret_age_days,
        tx.QueryInt("SELECT max_secret_age_days FROM oauth_settings WHERE workspace_guid = ?",
                    {cached->app.workspace_id}));
    return OkStatus();
  }));
  std::lock_guard lock(cache_mu_);
  // A change since the read began may not be in what was read: answer it, but do not keep it.
  if (generation == cache_generation_) {
    if (cache_.size() >= 10000) cache_.clear();
    cache_[cached->app.client_id] = cached;
  }
  return std::shared_ptr<const CachedApp>(std::move(cached));
}

void Apps::Invalidate(const std::string& client_id) {
  std::lock_guard lock(cache_mu_);
  ++cache_generation_;
  if (client_id.empty()) {
    cache_.clear();
  } else {
    cache_.erase(client_id);
  }
}

bool Apps::Cached(std::string_view client_id) {
  return FindCached(client_id, clock_.Now()) != nullptr;
}

Result<App> Apps::FindByClientId(std::string_view client_id) {
  if (client_id.empty() || client_id.size() > 100) return NotFound("unknown client");
  int64_t now = clock_.Now();
  auto cached = FindCached(client_id, now);
  if (!cached) {
    ARENITE_ASSIGN_OR_RETURN(cached, LoadCached(client_id));
  }
  return AppAt(*cached, now);
}

Result<App> Apps::Update(const std::string& workspace_id, const std::string& guid,
                         const AppInput& input, const AuditContext& audit) {
  std::optional<App> updated;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(App app,
                             Load(tx, "guid = ? AND workspace_guid = ?", {guid, workspace_id}));
    ARENITE_RETURN_IF_ERROR(Apply(input, app, false));
    app.updated_at = clock_.Now();
    json::Json uris = app.redirect_uris;
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "UPDATE oauth_apps SET name = ?, description = ?, redirect_uris = ?, grant_types = ?, "
        "scopes = ?, updated_at = ? WHERE guid = ?",
        {app.name, app.description, uris.dump(), JoinWords(app.grant_types), JoinScopes(app.scopes),
         app.updated_at, app.guid}));
    // The machine user follows the app's scopes.
    // TODO: this writes the workspace component's users table directly; a Users call that
    // changes a MACHINE user's role would keep the ownership clean.
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("UPDATE users SET role = ?, updated_at = ? WHERE guid = ? AND kind = 'MACHINE'",
                {std::string(workspace::RoleName(RoleForScopes(app.scopes))), app.updated_at,
                 app.machine_user_id}));
    ARENITE_RETURN_IF_ERROR(Audit(tx, workspace_id, audit, "oauthapp.updated", app));
    updated = std::move(app);
    return OkStatus();
  }));
  Invalidate(updated->client_id);
  if (listener_) listener_(*updated, true);
  return *updated;
}

Result<App> Apps::Delete(const std::string& workspace_id, const std::string& guid,
                         const AuditContext& audit) {
  std::optional<App> deleted;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(App app,
                             Load(tx, "guid = ? AND workspace_guid = ?", {guid, workspace_id}));
    if (delete_guard_) ARENITE_RETURN_IF_ERROR(delete_guard_(tx, app));
    int64_t now = clock_.Now();
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "UPDATE oauth_access_tokens SET revoked_at = ? WHERE app_guid = ? AND revoked_at IS NULL",
        {now, app.guid}));
    ARENITE_RETURN_IF_ERROR(tx.Exec("DELETE FROM oauth_codes WHERE app_guid = ?", {app.guid}));
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("DELETE FROM oauth_refresh_tokens WHERE app_guid = ?", {app.guid}));
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("DELETE FROM oauth_app_secrets WHERE app_guid = ?", {app.guid}));
    ARENITE_RETURN_IF_ERROR(tx.Exec("DELETE FROM oauth_apps WHERE guid = ?", {app.guid}));
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("UPDATE users SET active = 0, updated_at = ? WHERE guid = ? AND kind = 'MACHINE'",
                {now, app.machine_user_id}));
    ARENITE_RETURN_IF_ERROR(Audit(tx, workspace_id, audit, "oauthapp.deleted", app));
    deleted = std::move(app);
    return OkStatus();
  }));
  Invalidate(deleted->client_id);
  log::Get("oauth")->info("oauth app {} deleted from workspace {} by {}", deleted->client_id,
                          workspace_id, audit.actor);
  if (listener_) listener_(*deleted, false);
  return *deleted;
}

Result<RotatedSecret> Apps::RotateSecret(const std::string& workspace_id, const std::string& guid,
                                         int64_t grace_seconds, const AuditContext& audit) {
  RotatedSecret out;
  out.client_secret = crypto::RandomToken();
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(App app,
                             Load(tx, "guid = ? AND workspace_guid = ?", {guid, workspace_id}));
    if (app.is_public) return Conflict("a public app has no client secret to rotate");
    int64_t now = clock_.Now();
    // Secrets already in their grace period stop now: at most two are ever valid.
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("UPDATE oauth_app_secrets SET expires_at = ? WHERE app_guid = ? AND expires_at > ?",
                {now, app.guid, now}));
    int64_t expires = now + grace_seconds;
    ARENITE_ASSIGN_OR_RETURN(
        int64_t previous,
        tx.Exec("UPDATE oauth_app_secrets SET expires_at = ? WHERE app_guid = ? AND "
                "expires_at IS NULL",
                {expires, app.guid}));
    ARENITE_RETURN_IF_ERROR(InsertSecret(tx, app.guid, out.client_secret, now));
    ARENITE_RETURN_IF_ERROR(Audit(tx, workspace_id, audit, "oauthapp.secret_rotated", app));
    app.secret_created_at = now;
    app.secret_too_old = false;
    app.previous_secret_expires_at =
        previous > 0 && grace_seconds > 0 ? std::optional<int64_t>(expires) : std::nullopt;
    out.previous_secret_expires_at = previous > 0 ? std::optional<int64_t>(expires) : std::nullopt;
    out.app = std::move(app);
    return OkStatus();
  }));
  Invalidate(out.app.client_id);
  log::Get("oauth")->info("client secret of oauth app {} rotated by {} (grace {} s)",
                          out.app.client_id, audit.actor, grace_seconds);
  (void)CheckSecretAges();
  return out;
}

bool Apps::SecretMatches(const App& app, std::string_view secret) {
  if (app.is_public || secret.empty() || secret.size() > 512) return false;
  int64_t now = clock_.Now();
  auto cached = FindCached(app.client_id, now);
  if (!cached || cached->app.guid != app.guid) {
    auto loaded = LoadCached(app.client_id);
    if (!loaded.ok() || (*loaded)->app.guid != app.guid) return false;
    cached = *loaded;
  }
  std::string hash = SecretHash(secret);
  bool match = false;
  for (const auto& s : cached->secrets) {
    // A secret past its grace period never matches, even while its entry is still cached.
    if (s.expires_at && *s.expires_at <= now) continue;
    // Every valid secret is compared, so the time does not say which one matched.
    if (crypto::ConstantTimeEquals(hash, s.digest)) match = true;
  }
  return match;
}

void Apps::NoteTokenIssued(const std::string& app_guid, int64_t at) {
  std::lock_guard lock(times_mu_);
  int64_t& t = token_times_[app_guid];
  t = std::max(t, at);
}

Result<std::optional<int64_t>> Apps::LastTokenAt(const std::string& app_guid) {
  std::optional<int64_t> last;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(
        last, tx.QueryInt("SELECT last_token_at FROM oauth_apps WHERE guid = ?", {app_guid}));
    return OkStatus();
  }));
  std::lock_guard lock(times_mu_);
  auto it = token_times_.find(app_guid);
  if (it != token_times_.end() && (!last || it->second > *last)) last = it->second;
  return last;
}

Status Apps::FlushTokenTimes() {
  std::unordered_map<std::string, int64_t> pending;
  {
    std::lock_guard lock(times_mu_);
    if (token_times_.empty()) return OkStatus();
    pending = token_times_;
  }
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    for (const auto& [guid, at] : pending) {
      ARENITE_RETURN_IF_ERROR(
          tx.Exec("UPDATE oauth_apps SET last_token_at = ? WHERE guid = ? AND "
                  "(last_token_at IS NULL OR last_token_at < ?)",
                  {at, guid, at}));
    }
    return OkStatus();
  }));
  // Entries noted again while writing stay for the next flush.
  std::lock_guard lock(times_mu_);
  for (const auto& [guid, at] : pending) {
    auto it = token_times_.find(guid);
    if (it != token_times_.end() && it->second == at) token_times_.erase(it);
  }
  return OkStatus();
}

Result<std::optional<int64_t>> Apps::MaxSecretAgeDays(const std::string& workspace_id) {
  std::optional<int64_t> days;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(
        days, tx.QueryInt("SELECT max_secret_age_days FROM oauth_settings WHERE workspace_guid = ?",
                          {workspace_id}));
    return OkStatus();
  }));
  return days;
}

Status Apps::SetMaxSecretAgeDays(const std::string& workspace_id, std::optional<int64_t> days,
                                 const AuditContext& audit) {
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    if (days) {
      ARENITE_RETURN_IF_ERROR(
          tx.Exec("INSERT INTO oauth_settings (workspace_guid, max_secret_age_days) VALUES (?, ?) "
                  "ON CONFLICT (workspace_guid) DO UPDATE SET max_secret_age_days = excluded."
                  "max_secret_age_days",
                  {workspace_id, *days}));
    } else {
      ARENITE_RETURN_IF_ERROR(
          tx.Exec("DELETE FROM oauth_settings WHERE workspace_guid = ?", {workspace_id}));
    }
    auto done = tx.Exec(
        "INSERT INTO audit_log (guid, workspace_guid, created_at, actor, address, action, "
        "object_type, object_guid, object_name) VALUES (?, ?, ?, ?, ?, 'oauthsettings.updated', "
        "'OAUTH_SETTINGS', ?, '')",
        {NewGuid(), workspace_id, clock_.Now(), audit.actor, audit.address, workspace_id});
    if (!done.ok()) return std::move(done).error();
    return OkStatus();
  }));
  Invalidate("");  // every cached app's secret_too_old may change
  return CheckSecretAges();
}

Status Apps::CheckSecretAges() {
  static prometheus::Gauge& gauge =
      prometheus::BuildGauge()
          .Name("arenite_oauth_apps_secret_too_old")
          .Help("OAuth apps whose current client secret is older than the workspace's maximum")
          .Register(metrics::Registry())
          .Add({});
  struct Old {
    std::string client_id, workspace_id;
    int64_t age_days;
  };
  std::vector<Old> old;
  int64_t now = clock_.Now();
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    return tx.Query(
        "SELECT a.client_id, a.workspace_guid, s.created_at, o.max_secret_age_days FROM "
        "oauth_apps a JOIN oauth_app_secrets s ON s.app_guid = a.guid AND s.expires_at IS NULL "
        "JOIN oauth_settings o ON o.workspace_guid = a.workspace_guid",
        {}, [&](const store::Row& row) {
          int64_t age = now - row.Int(2);
          if (age > row.Int(3) * 86400) old.push_back({row.String(0), row.String(1), age / 86400});
          return true;
        });
  }));
  gauge.Set(static_cast<double>(old.size()));
  for (const auto& o : old) {
    log::Get("oauth")->warn(
        "the client secret of oauth app {} in workspace {} is {} days old, past the workspace's "
        "maximum secret age; rotate it",
        o.client_id, o.workspace_id, o.age_days);
  }
  return OkStatus();
}

Result<std::vector<AuditEntry>> Apps::AuditLog(const std::string& workspace_id, int64_t offset,
                                               int64_t limit) {
  std::vector<AuditEntry> out;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    return tx.Query(
        "SELECT guid, created_at, actor, address, action, object_type, object_guid, object_name "
        "FROM audit_log WHERE workspace_guid = ? ORDER BY created_at DESC, guid LIMIT ? OFFSET ?",
        {workspace_id, limit, offset}, [&](const store::Row& row) {
          out.push_back({row.String(0), row.Int(1), row.String(2), row.String(3), row.String(4),
                         row.String(5), row.String(6), row.String(7)});
          return true;
        });
  }));
  return out;
}

}  // namespace arenite::oauth
