#include "core/metrics.h"

#include <prometheus/text_serializer.h>

namespace arenite::metrics {

prometheus::Registry& Registry() {
  static auto* registry = new prometheus::Registry();
  return *registry;
}

std::string Render() { return prometheus::TextSerializer().Serialize(Registry().Collect()); }

}  // namespace arenite::metrics
