// Reading a running daemon's HTTP API (DESIGN.md §6) from the CLI: status, history and plan --server.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace nkd::cli {

inline constexpr const char* kDefaultServer = "http://127.0.0.1:9480";

// GET `path` on `server` as JSON, with short timeouts. Errors say how to reach the daemon.
[[nodiscard]] Result<nlohmann::json> get_daemon_json(const std::string& server, const std::string& path);

}  // namespace nkd::cli
