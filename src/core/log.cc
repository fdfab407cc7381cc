#include "core/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <mutex>

namespace arenite::log {
namespace {

// One JSON object per line: time, level, logger and the message as separate fields.
class JsonFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(millis / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char when[64];
    std::snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(millis % 1000));
    auto level = spdlog::level::to_string_view(msg.level);
    std::string line =
        fmt::format(R"({{"time":"{}","level":"{}","logger":"{}","msg":"{}"}})", when,
                    std::string_view(level.data(), level.size()),
                    JsonEscape(std::string_view(msg.logger_name.data(), msg.logger_name.size())),
                    JsonEscape(std::string_view(msg.payload.data(), msg.payload.size())));
    line.push_back('\n');
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

struct State {
  std::mutex mu;
  Format format = Format::kText;
  spdlog::level::level_enum level = spdlog::level::info;
  spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
};

State& GetState() {
  static State* state = new State();
  return *state;
}

void Configure(spdlog::logger& logger, const State& state) {
  if (state.format == Format::kJson) {
    logger.set_formatter(std::make_unique<JsonFormatter>());
  } else {
    logger.set_formatter(std::make_unique<spdlog::pattern_formatter>(
        "%Y-%m-%dT%H:%M:%S.%eZ %l [%n] %v", spdlog::pattern_time_type::utc));
  }
  logger.set_level(state.level);
}

}  // namespace

void Init(Format format, spdlog::level::level_enum level) {
  State& state = GetState();
  std::lock_guard lock(state.mu);
  state.format = format;
  state.level = level;
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) { Configure(*l, state); });
}

std::shared_ptr<spdlog::logger> Get(const std::string& component) {
  State& state = GetState();
  std::lock_guard lock(state.mu);
  if (auto existing = spdlog::get(component)) return existing;
  auto logger = std::make_shared<spdlog::logger>(component, state.sink);
  Configure(*logger, state);
  spdlog::register_logger(logger);
  return logger;
}

std::string JsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

bool Budget::TakeAt(Clock::time_point now, uint64_t* held_back) {
  std::lock_guard lock(mu_);
  if (written_ == 0 || now - window_start_ >= window_ || now < window_start_) {
    window_start_ = now;
    written_ = 0;
  }
  if (written_ >= lines_) {
    ++held_back_;
    return false;
  }
  ++written_;
  *held_back = held_back_;
  held_back_ = 0;
  return true;
}

}  // namespace arenite::log
