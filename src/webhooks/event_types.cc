// TEMPORARY (replaced by the whparts branch)
#include "webhooks/event_types.h"
namespace arenite::webhooks {
const std::vector<EventType>& EventTypes() {
  static const std::vector<EventType> types = [] {
    std::vector<EventType> out;
    for (const char* n :
         {"change.created", "change.deleted", "change.status_changed", "change.updated",
          "extract.completed", "item.created", "item.deleted", "item.lifecycle_changed",
          "item.updated", "supplier.created", "supplier.deleted", "supplier.updated",
          "supplieritem.created", "supplieritem.deleted", "supplieritem.updated", "webhook.test"}) {
      out.push_back({n,
                     n,
                     json::Json::object(),
                     {{"type", n}, {"timestamp", ""}, {"data", json::Json::object()}}});
    }
    return out;
  }();
  return types;
}
const EventType* FindEventType(std::string_view name) {
  for (const auto& t : EventTypes())
    if (t.name == name) return &t;
  return nullptr;
}
}  // namespace arenite::webhooks
