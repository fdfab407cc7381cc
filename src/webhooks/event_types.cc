#include "webhooks/event_types.h"

#include <algorithm>

#include "core/clock.h"
#include "core/embedded.h"

namespace arenite::webhooks {
namespace {

constexpr char kCataloguePath[] = "docs/webhook-event-types.json";

std::vector<EventType> LoadCatalogue() {
  std::vector<EventType> types;
  const embedded::File* file = embedded::Find(kCataloguePath);
  if (!file) return types;
  json::Json doc = json::Json::parse(file->data, nullptr, false);
  if (!doc.is_object() || !doc["eventTypes"].is_array()) return types;
  const json::Json& defs = doc["$defs"];
  for (const json::Json& entry : doc["eventTypes"]) {
    if (!entry.is_object()) continue;
    EventType t{json::StringOr(entry, "name"), json::StringOr(entry, "description"),
                entry.value("schema", json::Json::object()),
                entry.value("example", json::Json::object())};
    if (t.schema.is_object()) t.schema["$defs"] = defs;
    types.push_back(std::move(t));
  }
  std::sort(types.begin(), types.end(),
            [](const EventType& a, const EventType& b) { return a.name < b.name; });
  return types;
}

}  // namespace

const std::vector<EventType>& EventTypes() {
  static const std::vector<EventType> types = LoadCatalogue();
  return types;
}

const EventType* FindEventType(std::string_view name) {
  const auto& types = EventTypes();
  auto it = std::lower_bound(types.begin(), types.end(), name,
                             [](const EventType& t, std::string_view n) { return t.name < n; });
  return it != types.end() && it->name == name ? &*it : nullptr;
}

json::Json EventBody(const plm::Event& event) {
  json::Json data = {{"workspaceId", event.workspace_id},
                     {"eventGuid", event.guid},
                     {"sequence", event.sequence},
                     {"objectType", event.object_type},
                     {"objectGuid", event.object_guid},
                     {"actor", event.actor},
                     {"object", event.after.is_null() ? event.before : event.after}};
  if (!event.before.is_null() && !event.after.is_null()) data["previous"] = event.before;
  return {{"type", event.type}, {"timestamp", FormatDateTime(event.created_at)}, {"data", data}};
}

std::string EventBodyText(const StoredEvent& event) {
  // The keys in nlohmann's order (sorted), each string escaped as its dump escapes it.
  std::string out;
  auto str = [&](std::string_view v) {
    out += json::Json(v).dump(-1, ' ', false, json::Json::error_handler_t::replace);
  };
  auto image = [&](const std::optional<std::string_view>& v) {
    if (v) {
      out += *v;
    } else {
      out += "null";
    }
  };
  out.reserve((event.before ? event.before->size() : 0) + (event.after ? event.after->size() : 0) +
              400);
  out += R"({"data":{"actor":)";
  str(event.actor);
  out += R"(,"eventGuid":)";
  str(event.guid);
  out += R"(,"object":)";
  image(event.after ? event.after : event.before);
  out += R"(,"objectGuid":)";
  str(event.object_guid);
  out += R"(,"objectType":)";
  str(event.object_type);
  if (event.before && event.after) {
    out += R"(,"previous":)";
    out += *event.before;
  }
  out += R"(,"sequence":)";
  out += std::to_string(event.sequence);
  out += R"(,"workspaceId":)";
  str(event.workspace_id);
  out += R"(},"timestamp":)";
  str(FormatDateTime(event.created_at));
  out += R"(,"type":)";
  str(event.type);
  out += '}';
  return out;
}

json::Json TestEventBody(const std::string& workspace_id, const std::string& event_guid,
                         const std::string& webhook_guid, int64_t now) {
  return {{"type", kWebhookTest},
          {"timestamp", FormatDateTime(now)},
          {"data",
           {{"workspaceId", workspace_id},
            {"eventGuid", event_guid},
            {"webhookGuid", webhook_guid},
            {"message", "A test delivery from arenite"}}}};
}

json::Json ExampleBody(const EventType& type, const std::string& workspace_id,
                       const std::string& event_guid, const std::string& webhook_guid,
                       int64_t now) {
  if (type.name == kWebhookTest) return TestEventBody(workspace_id, event_guid, webhook_guid, now);
  json::Json body = type.example;
  body["timestamp"] = FormatDateTime(now);
  body["data"]["workspaceId"] = workspace_id;
  body["data"]["eventGuid"] = event_guid;
  return body;
}

}  // namespace arenite::webhooks
