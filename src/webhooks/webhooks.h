// Webhook subscriptions of a workspace (Workspace Settings > Webhooks): their settings, signing
// secrets (rotated with a grace period during which deliveries carry both signatures), the
// credentials of their authentication, and the delivery log that the Dispatcher fills. Secrets
// are kept sealed by the data dir's SecretBox (bound to their webhook) and never returned after the
// one answer that creates them. Thread-safe; each call is one store transaction. Every change tells
// the listener, so the dispatcher sees it at once.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "core/result.h"
#include "store/store.h"
#include "webhooks/address_policy.h"
#include "webhooks/secret_box.h"

namespace arenite::webhooks {

std::vector<store::Migration> Migrations();

inline constexpr char kAuthNone[] = "NONE";
inline constexpr char kAuthOAuth2[] = "OAUTH2";
inline constexpr char kAuthClientCredentials[] = "OAUTH2_CLIENT_CREDENTIALS";
inline constexpr char kPayloadEvent[] = "EVENT";
inline constexpr char kPayloadExtract[] = "EXTRACT";

// Delivery statuses (INTERFACE.md section 5).
inline constexpr char kPending[] = "PENDING";
inline constexpr char kRetrying[] = "RETRYING";
inline constexpr char kDelivered[] = "DELIVERED";
inline constexpr char kFailed[] = "FAILED";

// The event type of a DataExtract package delivery, and of the small event that carries a
// package's download URL when the package is too large to send.
inline constexpr char kPackageEventType[] = "extract.package";

struct Webhook {
  std::string guid;
  std::string workspace_id;
  std::string name;
  std::string description;
  std::string target_url;
  std::vector<std::string> event_types;
  std::vector<std::string> category_guids;
  std::vector<std::string> phase_guids;
  std::string auth_type = kAuthNone;
  std::string oauth_app_guid;
  // OAUTH2_CLIENT_CREDENTIALS: the receiver's own authorization server.
  std::string token_url, client_id, scope, audience;
  bool client_secret_set = false;
  std::string payload = kPayloadEvent;
  std::vector<std::string> extract_views;
  std::string extract_format = "RFC4180";
  bool enabled = true;
  std::optional<std::string> disabled_reason;  // GONE (410), FAILING (too long without success)
  int64_t max_concurrent = 16;
  int64_t max_per_second = 500;
  int64_t signing_secret_created_at = 0;
  std::optional<int64_t> previous_secret_expires_at;
  int64_t from_sequence = 0;     // events after this sequence are delivered
  int64_t extract_sequence = 0;  // the sequence the previous package reached
  std::optional<int64_t> extract_due_at;
  std::string health = "UNKNOWN";
  std::optional<std::string> health_reason;
  std::optional<int64_t> failing_since;
  std::optional<int64_t> last_delivery_at;
  std::optional<int64_t> last_success_at;
  int64_t config_version = 1;
  int64_t created_at = 0;
  int64_t updated_at = 0;

  bool Wants(std::string_view event_type) const;
};

// The secrets a delivery needs, unsealed: the signing keys valid now (the current one first)
// and the client secret of OAUTH2_CLIENT_CREDENTIALS.
struct WebhookSecrets {
  std::vector<std::string> signing_keys;
  std::string client_secret;
};

struct AuditContext {
  std::string actor;
  std::string address;
};

struct WebhookOptions {
  int64_t debounce_seconds = 10;
  int64_t max_package_bytes = 20 * 1024 * 1024;
  int64_t disable_after_seconds = 5 * 86400;
  int64_t retention_seconds = 30 * 86400;
  std::string packages_dir;  // DIR/webhooks
  std::string public_url;    // for the download URL of large packages
};

class Webhooks {
 public:
  Webhooks(store::Store& store, const Clock& clock, const SecretBox& box,
           const AddressPolicy& policy, WebhookOptions options)
      : store_(store), clock_(clock), box_(box), policy_(policy), options_(std::move(options)) {}

  // Checks that an OAuth app exists in the workspace (set by serve; the OAuth component owns
  // apps).
  using AppCheck = std::function<Status(const std::string& workspace, const std::string& guid)>;
  void SetAppCheck(AppCheck check) { app_check_ = std::move(check); }
  // Told after every change of a webhook or of its deliveries' schedule.
  void SetListener(std::function<void()> listener) { listener_ = std::move(listener); }

  struct Created {
    Webhook webhook;
    std::string signing_secret;  // shown once
  };
  Result<Created> Create(const std::string& workspace, const json::Json& body,
                         const AuditContext& audit);
  Result<std::vector<Webhook>> List(const std::string& workspace, int64_t offset, int64_t limit);
  Result<Webhook> Get(const std::string& workspace, const std::string& guid);
  Result<Webhook> Update(const std::string& workspace, const std::string& guid,
                         const json::Json& body, const AuditContext& audit);
  Status Delete(const std::string& workspace, const std::string& guid, const AuditContext& audit);
  // A new signing secret; the previous one keeps signing for `grace_seconds`.
  Result<Created> RotateSigningSecret(const std::string& workspace, const std::string& guid,
                                      int64_t grace_seconds, const AuditContext& audit);

  // The delivery log (newest first), one delivery with its attempts, redeliver and recover.
  Result<json::Json> ListDeliveries(const std::string& workspace, const std::string& guid,
                                    const std::string& status, const std::string& event_type,
                                    int64_t offset, int64_t limit);
  Result<json::Json> GetDelivery(const std::string& workspace, const std::string& guid,
                                 const std::string& delivery);
  Result<json::Json> Redeliver(const std::string& workspace, const std::string& guid,
                               const std::string& delivery);
  Result<int64_t> Recover(const std::string& workspace, const std::string& guid, int64_t since);
  // The path of a package too large to deliver, for its download URL.
  Result<std::string> PackagePath(const std::string& workspace, const std::string& guid,
                                  const std::string& delivery);

  // Webhooks that use an OAuth app; an app in use cannot be deleted.
  Result<std::vector<Webhook>> UsingApp(store::Tx& tx, const std::string& app_guid);
  Result<std::vector<Webhook>> ListAll(const std::string& workspace);

  // For the dispatcher.
  Result<std::vector<Webhook>> Enabled();
  Result<WebhookSecrets> Secrets(const std::string& guid);
  static Result<Webhook> Load(store::Tx& tx, std::string_view where, const store::Params& params);

  json::Json WebhookJson(const Webhook& w) const;
  const WebhookOptions& options() const { return options_; }
  const Clock& clock() const { return clock_; }
  void Changed() const {
    if (listener_) listener_();
  }

  static constexpr int64_t kDefaultGraceSeconds = 86400;
  static constexpr int64_t kMaxGraceSeconds = 30 * 86400;
  static constexpr int64_t kMaxWebhooksPerWorkspace = 1000;

 private:
  Status Apply(const std::string& workspace, const json::Json& body, bool creating, Webhook& w,
               std::optional<std::string>& client_secret);
  Status Audit(store::Tx& tx, const AuditContext& audit, std::string_view action, const Webhook& w);

  store::Store& store_;
  const Clock& clock_;
  const SecretBox& box_;
  const AddressPolicy& policy_;
  WebhookOptions options_;
  AppCheck app_check_;
  std::function<void()> listener_;
};

// The delivery JSON of the log (without attempts), from a row of kDeliveryColumns.
inline constexpr char kDeliveryColumns[] =
    "guid, webhook_guid, event_guid, event_type, status, attempts, last_status, last_error, "
    "last_error_class, next_attempt_at, created_at, delivered_at, sequence_from, sequence_to";
json::Json DeliveryJson(const store::Row& row);

}  // namespace arenite::webhooks
