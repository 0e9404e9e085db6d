// A running daemon's HTTP API (DESIGN.md §6) from the CLI: status, history, plan --server, and
// the operator actions (suspend, resume, sync).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace nkd::cli {

// The daemon serves HTTPS unless http.insecure is set (DESIGN.md §6).
inline constexpr const char* kDefaultServer = "https://127.0.0.1:9480";

inline constexpr const char* kCaFileHelp =
    "CA certificate (PEM) that signed an https daemon's certificate: its <state>/tls/ca.crt "
    "when it made its own; default: the system's CAs";

struct DaemonEndpoint {
  std::string url = kDefaultServer;
  // The CA that signed an https daemon's certificate (PEM), e.g. a copy of the daemon's
  // <state directory>/tls/ca.crt; empty: the system's CAs.
  std::string ca_file;
};

// GET `path` on `daemon` as JSON, with short timeouts. Errors say how to reach the daemon.
[[nodiscard]] Result<nlohmann::json> get_daemon_json(const DaemonEndpoint& daemon,
                                                     const std::string& path);
// POST `path` (no body) with `bearer_token` when it is not empty; the answer as JSON. A refusal
// is an error carrying the daemon's sentence (kUnauthenticated for 401, kPermissionDenied for
// 403, kNotFound for 404, kConflict for 409).
[[nodiscard]] Result<nlohmann::json> post_daemon_json(const DaemonEndpoint& daemon,
                                                      const std::string& path,
                                                      const std::string& bearer_token);

}  // namespace nkd::cli
