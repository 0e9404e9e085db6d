// What starting a real etcd member (Debian's etcd-server) takes, shared by the one-member
// fixture (etcd_member.h) and the three-member one (etcd_cluster.h): the command line of a
// member on 127.0.0.1 with raft timings short enough for tests, and the readiness probe.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace nkd::testing {

struct EtcdProcessSpec {
  std::string name;                // --name, unique in its cluster
  std::filesystem::path data_dir;  // --data-dir, made by etcd
  std::string client_url;          // listened on and advertised
  int peer_port = 0;               // http://127.0.0.1:<peer_port> for raft
  std::string initial_cluster;     // "name=peer-url,...": every member, this one included
  // Raft timings: a lone member elects itself after one election timeout; members of a cluster
  // need slack for heartbeats delayed on a busy machine, or they re-elect without cause.
  int heartbeat_ms = 10;
  int election_timeout_ms = 100;
};

[[nodiscard]] std::string etcd_peer_url(int peer_port);
// The argv of `etcd` for `spec`: a new cluster (--initial-cluster-state new), warn-level logs.
[[nodiscard]] std::vector<std::string> etcd_command(const EtcdProcessSpec& spec);
// Whether the member at `client_url` (plain http) answers a status call with a leader, asked
// through the tested client (state/etcd_client.h), so "ready" means what the tests need.
[[nodiscard]] bool etcd_answers(const std::string& client_url);

}  // namespace nkd::testing
