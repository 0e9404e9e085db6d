#include "common/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/clock.h"

namespace nkd {

namespace {

thread_local std::string t_cluster;
thread_local std::string t_revision;

// One JSON object per line; nlohmann escapes the message, so any text stays valid JSON.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& message, spdlog::memory_buf_t& destination) override {
    const auto unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             message.time.time_since_epoch()).count();
    nlohmann::json line = {
        {"time", format_rfc3339_ms(unix_ms)},
        {"level", std::string(spdlog::level::to_string_view(message.level).data(),
                              spdlog::level::to_string_view(message.level).size())},
        {"message", std::string(message.payload.data(), message.payload.size())}};
    if (!t_cluster.empty()) line["cluster"] = t_cluster;
    if (!t_revision.empty()) line["revision"] = t_revision;
    const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    destination.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

bool setup_logging(const std::string& level, LogFormat format) {
  const auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") return false;
  auto logger = std::make_shared<spdlog::logger>("nkd", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  const bool json = format == LogFormat::kJson || (format == LogFormat::kAuto && !isatty(STDERR_FILENO));
  if (json) {
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
  }
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  return true;
}

LogContext::LogContext(std::string cluster, std::string revision)
    : previous_cluster_(std::move(t_cluster)), previous_revision_(std::move(t_revision)) {
  t_cluster = std::move(cluster);
  t_revision = std::move(revision);
}

LogContext::~LogContext() {
  t_cluster = std::move(previous_cluster_);
  t_revision = std::move(previous_revision_);
}

}  // namespace nkd
