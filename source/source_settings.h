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

// repository.verify: which commits the daemon trusts. With a mode set, the watched head must
// carry a valid signature by an allowed key, or it is not applied.
struct VerifySettings {
  enum class Mode { kNone, kSsh, kOpenPgp };
  Mode mode = Mode::kNone;
  std::string allowed_signers_file;  // ssh: git's gpg.ssh.allowedSignersFile format
  std::string keyring_directory;     // openpgp: a GNUPGHOME holding the allowed public keys
  // Every commit since the last applied one must be signed too, not only the head.
  bool all_commits = false;
};

struct RepositorySettings {
  std::string url;
  std::string ref = "refs/heads/main";
  std::int64_t poll_interval_ms = 60'000;
  // How long one fetch may take from the first connect to the last byte; a server that stops
  // answering is cut off then.
  std::int64_t fetch_timeout_ms = 120'000;
  RepositoryAuth auth;
  VerifySettings verify;
};

}  // namespace nkd::source
