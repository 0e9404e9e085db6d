// Logging setup: JSON lines on a non-terminal (one object per line with time, level, message and,
// when set, the cluster and revision being worked on), readable text on a terminal.
// LogContext sets the cluster/revision fields for the current thread for its lifetime.
#pragma once

#include <string>

namespace nkd {

enum class LogFormat { kAuto, kJson, kText };

// level: trace, debug, info, warn, error; false when the level name is unknown.
bool setup_logging(const std::string& level, LogFormat format);

class LogContext {
 public:
  LogContext(std::string cluster, std::string revision);
  ~LogContext();
  LogContext(const LogContext&) = delete;
  LogContext& operator=(const LogContext&) = delete;

 private:
  std::string previous_cluster_;
  std::string previous_revision_;
};

}  // namespace nkd
