// The state stage's settings: where the daemon keeps its state (syncd.yaml's `state:`,
// DESIGN.md §4 and §8). Parsed by syncd/config.cc.
#pragma once

#include <string>
#include <vector>

namespace nkd::state {

// state.encryption (secret_sealer.h): the key file that seals, then key files that only open
// (the keys being rotated out).
struct EncryptionSettings {
  std::string key_file;
  std::vector<std::string> previous_key_files;

  // From a list of key files, the first sealing (`--state-key-file` given several times).
  [[nodiscard]] static EncryptionSettings from_key_files(const std::vector<std::string>& files) {
    EncryptionSettings settings;
    if (files.empty()) return settings;
    settings.key_file = files.front();
    settings.previous_key_files.assign(files.begin() + 1, files.end());
    return settings;
  }
};

struct StateSettings {
  std::string sqlite_path = "/var/lib/nkd/state.db";
  EncryptionSettings encryption;
  // state.etcd: recognised so it can be refused with a clear error (no etcd backend yet).
  std::vector<std::string> etcd_endpoints;
};

}  // namespace nkd::state
