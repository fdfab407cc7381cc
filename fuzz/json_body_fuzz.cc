// Feeds arbitrary bytes to the JSON body decoding every /v1 handler uses: the guarded parse and
// the typed field readers.
#include <cstdint>
#include <string_view>

#include "core/json.h"

using namespace arenite;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto parsed = json::ParseObject(body);
  if (!parsed.ok()) return 0;
  const json::Json& obj = *parsed;
  (void)json::RequiredString(obj, "name", 255);
  (void)json::OptionalString(obj, "description");
  (void)json::OptionalInt(obj, "quantity", -1000000, 1000000);
  (void)json::OptionalNumber(obj, "cost");
  (void)json::OptionalBool(obj, "enabled");
  (void)json::OptionalStringArray(obj, "eventTypes");
  (void)json::OptionalGuidRef(obj, "category");
  (void)json::RejectUnknownFields(obj, {"name", "description"});
  (void)obj.dump(-1, ' ', false, json::Json::error_handler_t::replace);
  return 0;
}
