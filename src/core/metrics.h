// The process-wide Prometheus registry (prometheus-cpp core). Components add their families
// once at start and keep references to the metrics they update; prometheus-cpp's metrics
// are thread-safe. GET /metrics renders the registry in the text exposition format.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <string>

namespace arenite::metrics {

prometheus::Registry& Registry();
std::string Render();

}  // namespace arenite::metrics
