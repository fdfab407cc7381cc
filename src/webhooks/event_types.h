// TEMPORARY (replaced by the whparts branch)
#pragma once
#include <string>
#include <string_view>
#include <vector>
#include "core/json.h"
namespace arenite::webhooks {
struct EventType {
  std::string name, description;
  json::Json schema, example;
};
const std::vector<EventType>& EventTypes();
const EventType* FindEventType(std::string_view name);
}  // namespace arenite::webhooks
