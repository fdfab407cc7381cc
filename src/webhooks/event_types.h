// The catalogue of webhook event types (GET /v1/settings/webhooks/eventtypes): each type's
// name, description, the JSON Schema (draft 2020-12) of its whole EVENT delivery body and an
// example body. It is docs/webhook-event-types.json, compiled into the binary and parsed once;
// EventBody builds the body that those schemas describe. Immutable; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "plm/events.h"

namespace arenite::webhooks {

struct EventType {
  std::string name, description;
  json::Json schema;   // stands alone: the catalogue's $defs are included
  json::Json example;  // a whole delivery body
};

inline constexpr char kWebhookTest[] = "webhook.test";
inline constexpr char kExtractCompleted[] = "extract.completed";

// Every event type, sorted by name.
const std::vector<EventType>& EventTypes();
// The type named `name`, or nullptr.
const EventType* FindEventType(std::string_view name);

// The EVENT delivery body of a workspace event:
//   {"type","timestamp","data":{"workspaceId","eventGuid","sequence","objectType","objectGuid",
//    "actor","object","previous"?}}
// where `object` is the object after the change (for a deletion, as it was before) and
// `previous` the object before it, present only when it existed both before and after.
json::Json EventBody(const plm::Event& event);

// An event as it is stored: its images are the JSON text that RecordEvent wrote (nlohmann's
// compact dump, keys sorted), or nullopt for none.
struct StoredEvent {
  std::string_view guid, workspace_id, type, object_type, object_guid, actor;
  int64_t sequence = 0, created_at = 0;
  std::optional<std::string_view> before, after;
};

// EventBody(event).dump() of the same event, byte for byte, built around the stored images
// without parsing them: what the dispatcher sends for every delivery, where parsing two item
// images only to write them out again cost more than the rest of the scheduling.
std::string EventBodyText(const StoredEvent& event);

// The body of a webhook.test delivery.
json::Json TestEventBody(const std::string& workspace_id, const std::string& event_guid,
                         const std::string& webhook_guid, int64_t now);

// A type's example made this webhook's own, for POST .../test {"eventType"}: the workspace,
// event guid and timestamp (and, for webhook.test, the webhook guid) replaced.
json::Json ExampleBody(const EventType& type, const std::string& workspace_id,
                       const std::string& event_guid, const std::string& webhook_guid, int64_t now);

}  // namespace arenite::webhooks
