// The source stage's settings: which repository the daemon watches and how it authenticates
// (syncd.yaml's `repository:`, DESIGN.md §4). Parsed by syncd/config.cc.
#pragma once

#include <cstdint>
#include <string>

namespace nkd::source {

struct RepositoryAuth {
  std::string token_file;
  std::string username;
  std::string password_file;
  std::string ssh_key_file;
  std::string known_hosts_file;
  std::string ca_file;
};

struct RepositorySettings {
  std::string url;
  std::string ref = "refs/heads/main";
  std::int64_t poll_interval_ms = 60'000;
  // How long one fetch may take from the first connect to the last byte; a server that stops
  // answering is cut off then.
  std::int64_t fetch_timeout_ms = 120'000;
  RepositoryAuth auth;
};

}  // namespace nkd::source
