// Logging: one spdlog logger per component ("http", "store", "oauth", ...), all writing to
// stderr in one format, text for people or JSON lines for machines. Loggers are thread-safe.
// Never pass a secret, token, code or password to a logger, at any level.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace arenite::log {

enum class Format { kText, kJson };

// Sets the format and level for every logger, existing and future. Call once at start.
void Init(Format format, spdlog::level::level_enum level = spdlog::level::info);

// The logger of a component, created on first use.
std::shared_ptr<spdlog::logger> Get(const std::string& component);

// Escapes text for inclusion in a JSON string (the log line's own quotes not included).
std::string JsonEscape(std::string_view text);

}  // namespace arenite::log
