#include "webhooks/webhooks.h"

#include <algorithm>
#include <filesystem>

#include "core/guid.h"
#include "core/log.h"
#include "extract/views.h"
#include "webhooks/event_types.h"
#include "webhooks/sender.h"
#include "webhooks/signing.h"

namespace arenite::webhooks {
namespace {

constexpr char kWebhookColumns[] =
    "guid, workspace_guid, name, description, target_url, event_types, filters, auth_type, "
    "oauth_app_guid, auth_config, auth_secret IS NOT NULL, payload, extract_config, enabled, "
    "disabled_reason, max_concurrent, max_per_second, signing_secret_created_at, "
    "previous_secret_expires_at, from_sequence, extract_sequence, extract_due_at, health, "
    "health_reason, failing_since, last_delivery_at, last_success_at, config_version, "
    "created_at, updated_at";

std::vector<std::string> StringsOf(const json::Json& j) {
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& v : j) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

json::Json ParseStored(std::string_view text) {
  auto parsed = json::Parse(text);
  return parsed.ok() ? *parsed : json::Json::object();
}

json::Json OptTime(const std::optional<int64_t>& t) {
  return t ? json::Json(FormatDateTime(*t)) : json::Json(nullptr);
}

// Bodies are shown as text: bytes that are not UTF-8 are replaced.
std::string Utf8Lossy(const std::string& bytes) {
  std::string quoted = json::Json(bytes).dump(-1, ' ', false, json::Json::error_handler_t::replace);
  auto parsed = json::Parse(quoted);
  return parsed.ok() && parsed->is_string() ? parsed->get<std::string>() : std::string();
}

Error FieldError(std::string_view field, std::string_view message) {
  return BadRequest(std::string(field) + ": " + std::string(message), kErrInvalidValue);
}

// Event types a webhook may subscribe to: every one of the catalogue but the test event, which
// is sent on request whatever the subscription.
bool Subscribable(std::string_view type) {
  return type != kWebhookTest && type != kPackageEventType && FindEventType(type) != nullptr;
}

Result<std::vector<std::string>> GuidList(const json::Json& obj, std::string_view field) {
  ARENITE_ASSIGN_OR_RETURN(auto list, json::OptionalStringArray(obj, field, 100, 64));
  std::vector<std::string> out = list.value_or(std::vector<std::string>{});
  for (const auto& g : out) {
    if (!IsGuid(g)) return FieldError(field, "holds something that is not a guid");
  }
  return out;
}

}  // namespace

bool Webhook::Wants(std::string_view event_type) const {
  return std::find(event_types.begin(), event_types.end(), event_type) != event_types.end();
}

Result<Webhook> Webhooks::Load(store::Tx& tx, std::string_view where, const store::Params& params) {
  std::optional<Webhook> found;
  ARENITE_RETURN_IF_ERROR(tx.Query(
      std::string("SELECT ") + kWebhookColumns + " FROM webhooks WHERE " + std::string(where),
      params, [&](const store::Row& r) {
        Webhook w;
        w.guid = r.String(0);
        w.workspace_id = r.String(1);
        w.name = r.String(2);
        w.description = r.String(3);
        w.target_url = r.String(4);
        w.event_types = StringsOf(ParseStored(r.Text(5)));
        json::Json filters = ParseStored(r.Text(6));
        w.category_guids = StringsOf(filters.value("categoryGuids", json::Json::array()));
        w.phase_guids = StringsOf(filters.value("lifecyclePhaseGuids", json::Json::array()));
        w.auth_type = r.String(7);
        w.oauth_app_guid = r.OptString(8).value_or("");
        json::Json config = ParseStored(r.Text(9));
        w.token_url = json::StringOr(config, "tokenUrl");
        w.client_id = json::StringOr(config, "clientId");
        w.scope = json::StringOr(config, "scope");
        w.audience = json::StringOr(config, "audience");
        w.client_secret_set = r.Int(10) != 0;
        w.payload = r.String(11);
        json::Json extract = ParseStored(r.Text(12));
        w.extract_views = StringsOf(extract.value("views", json::Json::array()));
        w.extract_format = json::StringOr(extract, "format", "RFC4180");
        w.enabled = r.Int(13) != 0;
        w.disabled_reason = r.OptString(14);
        w.max_concurrent = r.Int(15);
        w.max_per_second = r.Int(16);
        w.signing_secret_created_at = r.Int(17);
        w.previous_secret_expires_at = r.OptInt(18);
        w.from_sequence = r.Int(19);
        w.extract_sequence = r.Int(20);
        w.extract_due_at = r.OptInt(21);
        w.health = r.String(22);
        w.health_reason = r.OptString(23);
        w.failing_since = r.OptInt(24);
        w.last_delivery_at = r.OptInt(25);
        w.last_success_at = r.OptInt(26);
        w.config_version = r.Int(27);
        w.created_at = r.Int(28);
        w.updated_at = r.Int(29);
        found = std::move(w);
        return false;
      }));
  if (!found) return NotFound("webhook not found");
  return std::move(*found);
}

Status Webhooks::Apply(const std::string& workspace, const json::Json& body, bool creating,
                       Webhook& w, std::optional<std::string>& client_secret) {
  std::vector<std::string_view> allowed = {"name",
                                           "description",
                                           "targetUrl",
                                           "eventTypes",
                                           "filters",
                                           "payload",
                                           "extract",
                                           "enabled",
                                           "maxConcurrentAttempts",
                                           "maxAttemptsPerSecond",
                                           "authentication"};
  if (!creating) {
    // A client may send back what it read.
    for (std::string_view f :
         {"guid", "disabledReason", "health", "signingSecretCreationDateTime",
          "previousSecretExpiresDateTime", "lastDeliveryDateTime", "lastSuccessDateTime",
          "creationDateTime", "lastModifiedDateTime", "failingSinceDateTime"}) {
      allowed.push_back(f);
    }
  }
  ARENITE_RETURN_IF_ERROR(json::RejectUnknownFields(body, allowed));

  if (creating || body.contains("name")) {
    ARENITE_ASSIGN_OR_RETURN(std::string name, json::RequiredString(body, "name", 200));
    if (name.empty()) return FieldError("name", "must not be empty");
    w.name = std::move(name);
  }
  ARENITE_ASSIGN_OR_RETURN(auto description, json::OptionalString(body, "description", 2000));
  if (description) w.description = *description;
  if (creating || body.contains("targetUrl")) {
    ARENITE_ASSIGN_OR_RETURN(std::string url, json::RequiredString(body, "targetUrl", 2000));
    if (Status s = CheckTarget(policy_, url); !s.ok()) {
      return FieldError("targetUrl", s.error().message);
    }
    w.target_url = std::move(url);
  }
  if (creating || body.contains("eventTypes")) {
    ARENITE_ASSIGN_OR_RETURN(auto types, json::OptionalStringArray(body, "eventTypes", 50, 64));
    if (!types || types->empty()) return FieldError("eventTypes", "name at least one event type");
    for (const auto& t : *types) {
      if (!Subscribable(t)) return FieldError("eventTypes", "unknown event type " + t);
    }
    std::sort(types->begin(), types->end());
    types->erase(std::unique(types->begin(), types->end()), types->end());
    w.event_types = std::move(*types);
  }
  if (body.contains("filters")) {
    const json::Json& f = body["filters"];
    if (f.is_null()) {
      w.category_guids.clear();
      w.phase_guids.clear();
    } else {
      if (!f.is_object()) return FieldError("filters", "must be an object");
      ARENITE_RETURN_IF_ERROR(
          json::RejectUnknownFields(f, {"categoryGuids", "lifecyclePhaseGuids"}));
      ARENITE_ASSIGN_OR_RETURN(w.category_guids, GuidList(f, "categoryGuids"));
      ARENITE_ASSIGN_OR_RETURN(w.phase_guids, GuidList(f, "lifecyclePhaseGuids"));
    }
  }
  if (body.contains("payload")) {
    ARENITE_ASSIGN_OR_RETURN(std::string payload, json::RequiredString(body, "payload", 20));
    if (payload != kPayloadEvent && payload != kPayloadExtract) {
      return FieldError("payload", "must be EVENT or EXTRACT");
    }
    w.payload = payload;
  }
  if (body.contains("extract") && !body["extract"].is_null()) {
    const json::Json& e = body["extract"];
    if (!e.is_object()) return FieldError("extract", "must be an object");
    ARENITE_RETURN_IF_ERROR(json::RejectUnknownFields(e, {"views", "format"}));
    ARENITE_ASSIGN_OR_RETURN(auto views, json::OptionalStringArray(e, "views", 20, 64));
    if (views) {
      for (const auto& v : *views) {
        if (!extract::IsView(v)) return FieldError("extract.views", "unknown view " + v);
      }
      w.extract_views = std::move(*views);
    }
    ARENITE_ASSIGN_OR_RETURN(auto format, json::OptionalString(e, "format", 20));
    if (format) {
      if (*format != "RFC4180" && *format != "DATAEXTRACT") {
        return FieldError("extract.format", "must be RFC4180 or DATAEXTRACT");
      }
      w.extract_format = *format;
    }
  }
  if (w.payload == kPayloadExtract && w.extract_views.empty()) {
    return FieldError("extract.views", "an EXTRACT webhook names at least one view");
  }
  ARENITE_ASSIGN_OR_RETURN(auto enabled, json::OptionalBool(body, "enabled"));
  if (enabled) {
    // Switched on: no longer disabled for any reason. Switched off by an administrator while
    // arenite had it off for FAILING (whose events are still recorded to recover): an
    // administrator's disabling from then on. A body that sends the FAILING reason back, as a
    // GET gives it (a change of targetUrl before switching it on, say), keeps it.
    bool echoes_reason = body.contains("disabledReason") && body["disabledReason"].is_string() &&
                         w.disabled_reason == body["disabledReason"].get<std::string>();
    if (*enabled || (w.disabled_reason == "FAILING" && !echoes_reason)) {
      w.disabled_reason.reset();
    }
    w.enabled = *enabled;
  }
  ARENITE_ASSIGN_OR_RETURN(auto concurrent,
                           json::OptionalInt(body, "maxConcurrentAttempts", 1, 256));
  if (concurrent) w.max_concurrent = *concurrent;
  ARENITE_ASSIGN_OR_RETURN(auto rate, json::OptionalInt(body, "maxAttemptsPerSecond", 1, 100000));
  if (rate) w.max_per_second = *rate;

  if (creating || body.contains("authentication")) {
    const json::Json& a =
        body.contains("authentication") ? body["authentication"] : json::Json(json::Json::object());
    if (!a.is_object()) return FieldError("authentication", "must be an object");
    ARENITE_RETURN_IF_ERROR(
        json::RejectUnknownFields(a, {"type", "oauthAppGuid", "tokenUrl", "clientId",
                                      "clientSecret", "clientSecretSet", "scope", "audience"}));
    std::string type = json::StringOr(a, "type", kAuthNone);
    w.oauth_app_guid.clear();
    if (type == kAuthNone) {
      w.token_url.clear();
      w.client_id.clear();
      w.scope.clear();
      w.audience.clear();
      client_secret = std::string();
    } else if (type == kAuthOAuth2) {
      ARENITE_ASSIGN_OR_RETURN(std::string app, json::RequiredString(a, "oauthAppGuid", 64));
      if (!IsGuid(app)) return FieldError("authentication.oauthAppGuid", "is not a guid");
      if (app_check_) {
        if (Status s = app_check_(workspace, app); !s.ok()) {
          return FieldError("authentication.oauthAppGuid", "no such OAuth application");
        }
      }
      w.oauth_app_guid = app;
      client_secret = std::string();
    } else if (type == kAuthClientCredentials) {
      ARENITE_ASSIGN_OR_RETURN(std::string token_url, json::RequiredString(a, "tokenUrl", 2000));
      if (Status s = CheckTarget(policy_, token_url); !s.ok()) {
        return FieldError("authentication.tokenUrl", s.error().message);
      }
      ARENITE_ASSIGN_OR_RETURN(std::string id, json::RequiredString(a, "clientId", 400));
      if (id.empty()) return FieldError("authentication.clientId", "must not be empty");
      ARENITE_ASSIGN_OR_RETURN(auto secret, json::OptionalString(a, "clientSecret", 2000));
      if (secret) {
        if (secret->empty()) return FieldError("authentication.clientSecret", "must not be empty");
        client_secret = *secret;
      } else if (w.auth_type != kAuthClientCredentials || !w.client_secret_set) {
        return FieldError("authentication.clientSecret", "is required");
      }
      ARENITE_ASSIGN_OR_RETURN(auto scope, json::OptionalString(a, "scope", 1000));
      ARENITE_ASSIGN_OR_RETURN(auto audience, json::OptionalString(a, "audience", 2000));
      w.token_url = token_url;
      w.client_id = id;
      w.scope = scope.value_or("");
      w.audience = audience.value_or("");
    } else {
      return FieldError("authentication.type", "must be NONE, OAUTH2 or OAUTH2_CLIENT_CREDENTIALS");
    }
    w.auth_type = type;
  }
  return OkStatus();
}

Status Webhooks::Audit(store::Tx& tx, const AuditContext& audit, std::string_view action,
                       const Webhook& w) {
  auto done = tx.Exec(
      "INSERT INTO audit_log (guid, workspace_guid, created_at, actor, address, action, "
      "object_type, object_guid, object_name) VALUES (?, ?, ?, ?, ?, ?, 'WEBHOOK', ?, ?)",
      {NewGuid(), w.workspace_id, clock_.Now(), audit.actor, audit.address, std::string(action),
       w.guid, w.name});
  if (!done.ok()) return std::move(done).error();
  return OkStatus();
}

namespace {

Status Store(store::Tx& tx, const Webhook& w, bool creating) {
  json::Json filters = {{"categoryGuids", w.category_guids},
                        {"lifecyclePhaseGuids", w.phase_guids}};
  json::Json config = json::Json::object();
  if (w.auth_type == kAuthClientCredentials) {
    config = {{"tokenUrl", w.token_url},
              {"clientId", w.client_id},
              {"scope", w.scope},
              {"audience", w.audience}};
  }
  json::Json extract = json::Json::object();
  if (w.payload == kPayloadExtract) {
    extract = {{"views", w.extract_views}, {"format", w.extract_format}};
  }
  store::Params common = {w.name,
                          w.description,
                          w.target_url,
                          json::Json(w.event_types).dump(),
                          filters.dump(),
                          w.auth_type,
                          w.oauth_app_guid.empty() ? store::Value(nullptr) : w.oauth_app_guid,
                          config.dump(),
                          w.payload,
                          extract.dump(),
                          int64_t{w.enabled},
                          store::Nullable(w.disabled_reason),
                          w.max_concurrent,
                          w.max_per_second,
                          w.updated_at};
  if (creating) {
    common.insert(common.begin(), {w.guid, w.workspace_id});
    for (store::Value v : {store::Value(w.from_sequence), store::Value(w.created_at)}) {
      common.push_back(v);
    }
    auto done = tx.Exec(
        "INSERT INTO webhooks (guid, workspace_guid, name, description, target_url, event_types, "
        "filters, auth_type, oauth_app_guid, auth_config, payload, extract_config, enabled, "
        "disabled_reason, max_concurrent, max_per_second, updated_at, from_sequence, created_at, "
        "signing_secret, signing_secret_created_at, extract_sequence, health, config_version) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, x'', 0, 0, 'UNKNOWN', 1)",
        common);
    if (!done.ok()) return std::move(done).error();
    return OkStatus();
  }
  common.push_back(w.guid);
  auto done = tx.Exec(
      "UPDATE webhooks SET name = ?, description = ?, target_url = ?, event_types = ?, "
      "filters = ?, auth_type = ?, oauth_app_guid = ?, auth_config = ?, payload = ?, "
      "extract_config = ?, enabled = ?, disabled_reason = ?, max_concurrent = ?, "
      "max_per_second = ?, updated_at = ?, config_version = config_version + 1 WHERE guid = ?",
      common);
  if (!done.ok()) return std::move(done).error();
  return OkStatus();
}

}  // namespace

Result<Webhooks::Created> Webhooks::Create(const std::string& workspace, const json::Json& body,
                                           const AuditContext& audit) {
  Created out;
  Webhook& w = out.webhook;
  std::optional<std::string> client_secret;
  ARENITE_RETURN_IF_ERROR(Apply(workspace, body, true, w, client_secret));
  w.guid = NewGuid();
  w.workspace_id = workspace;
  w.created_at = w.updated_at = w.signing_secret_created_at = clock_.Now();
  out.signing_secret = NewSigningSecret();
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(
        auto count,
        tx.QueryInt("SELECT COUNT(*) FROM webhooks WHERE workspace_guid = ?", {workspace}));
    if (count.value_or(0) >= kMaxWebhooksPerWorkspace) {
      return Conflict("a workspace has at most 1000 webhooks");
    }
    // Events recorded before the webhook existed are not delivered to it.
    ARENITE_ASSIGN_OR_RETURN(
        auto last,
        tx.QueryInt("SELECT MAX(sequence) FROM events WHERE workspace_guid = ?", {workspace}));
    w.from_sequence = last.value_or(0);
    ARENITE_RETURN_IF_ERROR(Store(tx, w, true));
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "UPDATE webhooks SET signing_secret = ?, signing_secret_created_at = ?, auth_secret = ? "
        "WHERE guid = ?",
        {store::Blob{box_.Seal(out.signing_secret, w.guid)}, w.signing_secret_created_at,
         client_secret && !client_secret->empty()
             ? store::Value(store::Blob{box_.Seal(*client_secret, w.guid)})
             : store::Value(nullptr),
         w.guid}));
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO webhook_cursors (workspace_guid, sequence) VALUES (?, ?) "
                "ON CONFLICT (workspace_guid) DO NOTHING",
                {workspace, w.from_sequence}));
    ARENITE_RETURN_IF_ERROR(Audit(tx, audit, "webhook.created", w));
    return OkStatus();
  }));
  ARENITE_ASSIGN_OR_RETURN(out.webhook, Get(workspace, w.guid));
  log::Get("webhooks")
      ->info("webhook {} created in workspace {} by {}", w.guid, workspace, audit.actor);
  Changed();
  return out;
}

Result<std::vector<Webhook>> Webhooks::List(const std::string& workspace, int64_t offset,
                                            int64_t limit) {
  std::vector<std::string> guids;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    return tx.Query(
        "SELECT guid FROM webhooks WHERE workspace_guid = ? ORDER BY created_at, guid LIMIT ? "
        "OFFSET ?",
        {workspace, limit, offset}, [&](const store::Row& r) {
          guids.push_back(r.String(0));
          return true;
        });
  }));
  std::vector<Webhook> out;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    for (const auto& g : guids) {
      ARENITE_ASSIGN_OR_RETURN(Webhook w, Load(tx, "guid = ?", {g}));
      out.push_back(std::move(w));
    }
    return OkStatus();
  }));
  return out;
}

Result<std::vector<Webhook>> Webhooks::ListAll(const std::string& workspace) {
  return List(workspace, 0, kMaxWebhooksPerWorkspace);
}

Result<Webhook> Webhooks::Get(const std::string& workspace, const std::string& guid) {
  std::optional<Webhook> out;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(Webhook w,
                             Load(tx, "guid = ? AND workspace_guid = ?", {guid, workspace}));
    out = std::move(w);
    return OkStatus();
  }));
  return std::move(*out);
}

Result<Webhook> Webhooks::Update(const std::string& workspace, const std::string& guid,
                                 const json::Json& body, const AuditContext& audit) {
  // Checked outside the write transaction: checking a target resolves its name, which must not
  // hold up the store's single writer.
  ARENITE_ASSIGN_OR_RETURN(Webhook w, Get(workspace, guid));
  bool was_enabled = w.enabled;
  int64_t version = w.config_version;
  std::optional<std::string> client_secret;
  ARENITE_RETURN_IF_ERROR(Apply(workspace, body, false, w, client_secret));
  w.updated_at = clock_.Now();
  if (w.enabled) w.disabled_reason.reset();
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(Webhook current,
                             Load(tx, "guid = ? AND workspace_guid = ?", {guid, workspace}));
    if (current.config_version != version) {
      return Conflict("the webhook changed while this update was checked; read it and try again");
    }
    ARENITE_RETURN_IF_ERROR(Store(tx, w, false));
    if (client_secret) {
      ARENITE_RETURN_IF_ERROR(tx.Exec(
          "UPDATE webhooks SET auth_secret = ? WHERE guid = ?",
          {client_secret->empty() ? store::Value(nullptr)
                                  : store::Value(store::Blob{box_.Seal(*client_secret, guid)}),
           guid}));
    }
    if (w.enabled && !was_enabled) {
      // A webhook switched back on starts afresh: no failing streak, health unknown.
      ARENITE_RETURN_IF_ERROR(tx.Exec(
          "UPDATE webhooks SET failing_since = NULL, health = 'UNKNOWN', health_reason = NULL "
          "WHERE guid = ?",
          {guid}));
    } else if (!w.enabled) {
      ARENITE_RETURN_IF_ERROR(
          tx.Exec("UPDATE webhooks SET health = 'DISABLED' WHERE guid = ?", {guid}));
    }
    return Audit(tx, audit, "webhook.updated", w);
  }));
  Changed();
  return Get(workspace, guid);
}

Status Webhooks::Delete(const std::string& workspace, const std::string& guid,
                        const AuditContext& audit) {
  std::vector<std::string> packages;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(Webhook w,
                             Load(tx, "guid = ? AND workspace_guid = ?", {guid, workspace}));
    ARENITE_RETURN_IF_ERROR(tx.Query(
        "SELECT package_path FROM webhook_deliveries WHERE webhook_guid = ? AND package_path "
        "IS NOT NULL",
        {guid}, [&](const store::Row& r) {
          packages.push_back(r.String(0));
          return true;
        }));
    ARENITE_RETURN_IF_ERROR(tx.Exec("DELETE FROM webhooks WHERE guid = ?", {guid}));
    return Audit(tx, audit, "webhook.deleted", w);
  }));
  for (const auto& p : packages) {
    std::error_code ec;
    std::filesystem::remove(p, ec);
  }
  Changed();
  return OkStatus();
}

Result<Webhooks::Created> Webhooks::RotateSigningSecret(const std::string& workspace,
                                                        const std::string& guid,
                                                        int64_t grace_seconds,
                                                        const AuditContext& audit) {
  if (grace_seconds < 0 || grace_seconds > kMaxGraceSeconds) {
    return FieldError("gracePeriodSeconds", "must be 0 to 2592000");
  }
  Created out;
  out.signing_secret = NewSigningSecret();
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(Webhook w,
                             Load(tx, "guid = ? AND workspace_guid = ?", {guid, workspace}));
    int64_t now = clock_.Now();
    // The current secret becomes the previous one; one older than that stops at once.
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "UPDATE webhooks SET previous_signing_secret = CASE WHEN ? > 0 THEN signing_secret ELSE "
        "NULL END, previous_secret_expires_at = CASE WHEN ? > 0 THEN ? ELSE NULL END, "
        "signing_secret = ?, signing_secret_created_at = ?, updated_at = ?, config_version = "
        "config_version + 1 WHERE guid = ?",
        {grace_seconds, grace_seconds, now + grace_seconds,
         store::Blob{box_.Seal(out.signing_secret, guid)}, now, now, guid}));
    return Audit(tx, audit, "webhook.secret_rotated", w);
  }));
  ARENITE_ASSIGN_OR_RETURN(out.webhook, Get(workspace, guid));
  Changed();
  return out;
}

Result<WebhookSecrets> Webhooks::Secrets(const std::string& guid) {
  WebhookSecrets out;
  std::string current, previous, client;
  std::optional<int64_t> expires;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    bool found = false;
    ARENITE_RETURN_IF_ERROR(tx.Query(
        "SELECT signing_secret, previous_signing_secret, previous_secret_expires_at, auth_secret "
        "FROM webhooks WHERE guid = ?",
        {guid}, [&](const store::Row& r) {
          found = true;
          current = r.String(0);
          previous = r.OptString(1).value_or("");
          expires = r.OptInt(2);
          client = r.OptString(3).value_or("");
          return false;
        }));
    if (!found) return NotFound("webhook not found");
    return OkStatus();
  }));
  auto unseal_key = [&](const std::string& sealed) -> Result<std::string> {
    ARENITE_ASSIGN_OR_RETURN(std::string secret, box_.Unseal(sealed, guid));
    auto key = SigningKey(secret);
    if (!key) return Internal("a stored signing secret is malformed");
    return *key;
  };
  ARENITE_ASSIGN_OR_RETURN(std::string key, unseal_key(current));
  out.signing_keys.push_back(std::move(key));
  if (!previous.empty() && expires && *expires > clock_.Now()) {
    ARENITE_ASSIGN_OR_RETURN(std::string old_key, unseal_key(previous));
    out.signing_keys.push_back(std::move(old_key));
  }
  if (!client.empty()) {
    ARENITE_ASSIGN_OR_RETURN(out.client_secret, box_.Unseal(client, guid));
  }
  return out;
}

Result<std::vector<Webhook>> Webhooks::Enabled() {
  std::vector<Webhook> out;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    std::vector<std::string> guids;
    ARENITE_RETURN_IF_ERROR(
        tx.Query("SELECT guid FROM webhooks WHERE enabled = 1", {}, [&](const store::Row& r) {
          guids.push_back(r.String(0));
          return true;
        }));
    for (const auto& g : guids) {
      ARENITE_ASSIGN_OR_RETURN(Webhook w, Load(tx, "guid = ?", {g}));
      out.push_back(std::move(w));
    }
    return OkStatus();
  }));
  return out;
}

Result<std::vector<Webhook>> Webhooks::UsingApp(store::Tx& tx, const std::string& app_guid) {
  std::vector<std::string> guids;
  ARENITE_RETURN_IF_ERROR(tx.Query("SELECT guid FROM webhooks WHERE oauth_app_guid = ?", {app_guid},
                                   [&](const store::Row& r) {
                                     guids.push_back(r.String(0));
                                     return true;
                                   }));
  std::vector<Webhook> out;
  for (const auto& g : guids) {
    ARENITE_ASSIGN_OR_RETURN(Webhook w, Load(tx, "guid = ?", {g}));
    out.push_back(std::move(w));
  }
  return out;
}

json::Json Webhooks::WebhookJson(const Webhook& w) const {
  json::Json auth = {{"type", w.auth_type}};
  if (w.auth_type == kAuthOAuth2) auth["oauthAppGuid"] = w.oauth_app_guid;
  if (w.auth_type == kAuthClientCredentials) {
    auth["tokenUrl"] = w.token_url;
    auth["clientId"] = w.client_id;
    auth["clientSecretSet"] = w.client_secret_set;
    auth["scope"] = w.scope;
    auth["audience"] = w.audience;
  }
  json::Json out = {
      {"guid", w.guid},
      {"name", w.name},
      {"description", w.description},
      {"targetUrl", w.target_url},
      {"eventTypes", w.event_types},
      {"filters", {{"categoryGuids", w.category_guids}, {"lifecyclePhaseGuids", w.phase_guids}}},
      {"authentication", auth},
      {"payload", w.payload},
      {"extract", nullptr},
      {"enabled", w.enabled},
      {"disabledReason", w.disabled_reason ? json::Json(*w.disabled_reason) : json::Json(nullptr)},
      {"maxConcurrentAttempts", w.max_concurrent},
      {"maxAttemptsPerSecond", w.max_per_second},
      {"health",
       {{"status", w.enabled ? w.health : std::string("DISABLED")},
        {"reason", w.health_reason ? json::Json(*w.health_reason) : json::Json(nullptr)}}},
      {"failingSinceDateTime", OptTime(w.failing_since)},
      {"signingSecretCreationDateTime", FormatDateTime(w.signing_secret_created_at)},
      {"previousSecretExpiresDateTime",
       w.previous_secret_expires_at && *w.previous_secret_expires_at > clock_.Now()
           ? OptTime(w.previous_secret_expires_at)
           : json::Json(nullptr)},
      {"lastDeliveryDateTime", OptTime(w.last_delivery_at)},
      {"lastSuccessDateTime", OptTime(w.last_success_at)},
      {"creationDateTime", FormatDateTime(w.created_at)},
      {"lastModifiedDateTime", FormatDateTime(w.updated_at)}};
  if (w.payload == kPayloadExtract) {
    out["extract"] = {{"views", w.extract_views}, {"format", w.extract_format}};
  }
  return out;
}

json::Json DeliveryJson(const store::Row& r) {
  json::Json out = {
      {"guid", r.String(0)},
      {"webhookGuid", r.String(1)},
      {"eventGuid", r.IsNull(2) ? json::Json(nullptr) : json::Json(r.String(2))},
      {"eventType", r.String(3)},
      {"status", r.String(4)},
      {"attempts", r.Int(5)},
      {"lastResponseStatus", r.IsNull(6) ? json::Json(nullptr) : json::Json(r.Int(6))},
      {"lastError", r.IsNull(7) ? json::Json(nullptr) : json::Json(r.String(7))},
      {"lastErrorClass", r.IsNull(8) ? json::Json(nullptr) : json::Json(r.String(8))},
      {"nextAttemptDateTime", OptTime(r.OptInt(9))},
      {"creationDateTime", FormatDateTime(r.Int(10))},
      {"deliveredDateTime", OptTime(r.OptInt(11))}};
  if (!r.IsNull(12)) {
    out["sequenceFrom"] = r.Int(12);
    out["sequenceTo"] = r.IsNull(13) ? json::Json(nullptr) : json::Json(r.Int(13));
  }
  return out;
}

Result<json::Json> Webhooks::ListDeliveries(const std::string& workspace, const std::string& guid,
                                            const std::string& status,
                                            const std::string& event_type, int64_t offset,
                                            int64_t limit) {
  if (!status.empty() && status != kPending && status != kRetrying && status != kDelivered &&
      status != kFailed) {
    return BadRequest("status must be PENDING, RETRYING, DELIVERED or FAILED", kErrInvalidValue);
  }
  json::Json results = json::Json::array();
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    ARENITE_RETURN_IF_ERROR(Load(tx, "guid = ? AND workspace_guid = ?", {guid, workspace}));
    std::string sql = std::string("SELECT ") + kDeliveryColumns +
                      " FROM webhook_deliveries WHERE webhook_guid = ?";
    store::Params params = {guid};
    if (!status.empty()) {
      sql += " AND status = ?";
      params.push_back(status);
    }
    if (!event_type.empty()) {
      sql += " AND event_type = ?";
      params.push_back(event_type);
    }
    sql += " ORDER BY created_ms DESC, guid DESC LIMIT ? OFFSET ?";
    params.push_back(limit);
    params.push_back(offset);
    return tx.Query(sql, params, [&](const store::Row& r) {
      results.push_back(DeliveryJson(r));
      return true;
    });
  }));
  return results;
}

Result<json::Json> Webhooks::GetDelivery(const std::string& workspace, const std::string& guid,
                                         const std::string& delivery) {
  std::optional<json::Json> out;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    ARENITE_RETURN_IF_ERROR(Load(tx, "guid = ? AND workspace_guid = ?", {guid, workspace}));
    ARENITE_RETURN_IF_ERROR(tx.Query(std::string("SELECT ") + kDeliveryColumns +
                                         " FROM webhook_deliveries WHERE guid = ? AND "
                                         "webhook_guid = ?",
                                     {delivery, guid}, [&](const store::Row& r) {
                                       out = DeliveryJson(r);
                                       return false;
                                     }));
    if (!out) return NotFound("delivery not found");
    json::Json attempts = json::Json::array();
    ARENITE_RETURN_IF_ERROR(tx.Query(
        "SELECT number, started_ms, duration_ms, request_headers, response_status, "
        "response_headers, response_body, error_class, error, address FROM webhook_attempts "
        "WHERE delivery_guid = ? ORDER BY number",
        {delivery}, [&](const store::Row& r) {
          std::string body = r.OptString(6).value_or("");
          attempts.push_back(
              {{"number", r.Int(0)},
               {"startedDateTime", FormatDateTime(r.Int(1) / 1000)},
               {"durationMs", r.Int(2)},
               {"requestHeaders", ParseStored(r.Text(3))},
               {"responseStatus", r.IsNull(4) ? json::Json(nullptr) : json::Json(r.Int(4))},
               {"responseHeaders", ParseStored(r.Text(5))},
               {"responseBody", Utf8Lossy(body)},
               {"errorClass", r.IsNull(7) ? json::Json(nullptr) : json::Json(r.String(7))},
               {"error", r.IsNull(8) ? json::Json(nullptr) : json::Json(r.String(8))},
               {"address", r.IsNull(9) ? json::Json(nullptr) : json::Json(r.String(9))}});
          return true;
        }));
    // `attempts` stays the count, as in the list, so that a delivery reads the same both ways.
    (*out)["attemptHistory"] = std::move(attempts);
    return OkStatus();
  }));
  return std::move(*out);
}

Result<json::Json> Webhooks::Redeliver(const std::string& workspace, const std::string& guid,
                                       const std::string& delivery) {
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_RETURN_IF_ERROR(Load(tx, "guid = ? AND workspace_guid = ?", {guid, workspace}));
    ARENITE_ASSIGN_OR_RETURN(
        auto changed,
        tx.Exec("UPDATE webhook_deliveries SET status = 'PENDING', schedule_step = 0, "
                "next_attempt_at = ?, requeues = requeues + 1 WHERE guid = ? AND webhook_guid = ?",
                {clock_.Now(), delivery, guid}));
    if (changed == 0) return NotFound("delivery not found");
    return OkStatus();
  }));
  Changed();
  return GetDelivery(workspace, guid, delivery);
}

Result<int64_t> Webhooks::Recover(const std::string& workspace, const std::string& guid,
                                  int64_t since) {
  int64_t requeued = 0;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_RETURN_IF_ERROR(Load(tx, "guid = ? AND workspace_guid = ?", {guid, workspace}));
    ARENITE_ASSIGN_OR_RETURN(
        requeued, tx.Exec("UPDATE webhook_deliveries SET status = 'PENDING', schedule_step = 0, "
                          "next_attempt_at = ?, requeues = requeues + 1 WHERE webhook_guid = ? AND "
                          "status = 'FAILED' AND created_at >= ?",
                          {clock_.Now(), guid, since}));
    return OkStatus();
  }));
  Changed();
  return requeued;
}

Result<std::string> Webhooks::PackagePath(const std::string& workspace, const std::string& guid,
                                          const std::string& delivery) {
  std::optional<std::string> path;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    ARENITE_RETURN_IF_ERROR(Load(tx, "guid = ? AND workspace_guid = ?", {guid, workspace}));
    ARENITE_ASSIGN_OR_RETURN(
        path, tx.QueryString("SELECT package_path FROM webhook_deliveries WHERE guid = ? AND "
                             "webhook_guid = ? AND package_path IS NOT NULL",
                             {delivery, guid}));
    return OkStatus();
  }));
  if (!path) return NotFound("package not found");
  return *path;
}

}  // namespace arenite::webhooks
