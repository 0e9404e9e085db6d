// The state stage's settings: where the daemon keeps its state (syncd.yaml's `state:`,
// DESIGN.md §4 and §8). Parsed by syncd/config.cc.
#pragma once

#include <cstdint>
#include <optional>
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

// state.etcd: an etcd v3 cluster spoken to through its JSON gateway (etcd_client.h).
struct EtcdSettings {
  std::vector<std::string> endpoints;  // "http(s)://host:port", tried in order on failure
  std::string prefix = "/nkd";         // every key nkd writes lies under it
  // TLS (all three from state.etcd.tls): the CA that signed the members' certificates, and the
  // client certificate and key nkd presents. With a CA every endpoint must be https.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::int64_t timeout_ms = 5'000;  // each request to a member, connection included
  // Sharding between the replicas on this etcd (shard_store.h): this replica's id (unique
  // among them; default the host name), where its API answers (shown by `nkd status`), and its
  // lease's TTL: how long after its death its clusters wait for another replica.
  std::string replica_id;
  std::string advertise_url;
  std::int64_t lease_ttl_seconds = 10;
};

struct StateSettings {
  std::string sqlite_path = "/var/lib/nkd/state.db";
  EncryptionSettings encryption;
  // Set: the state lives in etcd, and sqlite_path only names the daemon's state directory.
  std::optional<EtcdSettings> etcd;
};

}  // namespace nkd::state
