// ReplicaFixture: several `nkd syncd` replicas sharing one etcd state, for the tests and the
// benchmark of sharding (DESIGN.md §8). It runs a real three-member etcd cluster
// (etcd_cluster.h), one definitions repository served by `git daemon` (bare-metal clusters,
// definitions_repository.h) and N daemons (SyncdFixture each: a state directory, a listener on
// a port of its own, clusterAccess none, loopback-only egress), all with the same state key and
// state.etcd {endpoints: every member, prefix: /nkd-test-<unique>, replicaId: r1..rN,
// leaseTtlSeconds}. The replicas' etcd keys (replicas/, owners/) are read directly with the
// store's own client. Everything is stopped and removed when the object goes (stopped replicas
// are continued first, so they can end). Not thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "state/etcd_client.h"
#include "tests/support/definitions_repository.h"
#include "tests/support/etcd_cluster.h"
#include "tests/support/syncd_fixture.h"
#include "tests/support/test_support.h"

namespace nkd::testing {

struct ReplicaFixtureOptions {
  int replicas = 3;
  int lease_ttl_seconds = 3;
  std::string poll_interval = "1s";
  // Extra lines of syncd.yaml for every replica (e.g. "resyncInterval: 1h\n").
  std::string extra_config;
  std::string log_level = "info";
};

class ReplicaFixture {
 public:
  // `clusters` bare-metal clusters (edge-lab, lab-two, lab-00, ...; at least 2).
  ReplicaFixture(int clusters, ReplicaFixtureOptions options);
  // A repository holding exactly `files` (e.g. bench/generated_repository.h's).
  ReplicaFixture(const std::map<std::string, std::string>& files, ReplicaFixtureOptions options);
  ~ReplicaFixture();
  ReplicaFixture(const ReplicaFixture&) = delete;
  ReplicaFixture& operator=(const ReplicaFixture&) = delete;

  // Starts every replica and waits until each answers /healthz; false (with the reason in the
  // test's failures) when the etcd cluster or a replica did not come up.
  [[nodiscard]] bool start();

  [[nodiscard]] int size() const { return static_cast<int>(replicas_.size()); }
  // "r1", "r2", ...: replica `index`'s state.etcd.replicaId (index from 0).
  [[nodiscard]] static std::string replica_id(int index);
  // The index of the replica with that id; -1 for any other.
  [[nodiscard]] static int replica_index(const std::string& id);
  [[nodiscard]] int lease_ttl_seconds() const { return options_.lease_ttl_seconds; }
  // The contract's refresh period: max(ttl / 3, 0.5 s).
  [[nodiscard]] std::chrono::milliseconds refresh_period() const;

  // Sends `signal` (SIGKILL, SIGSTOP, SIGCONT, ...) to replica `index` without waiting.
  void signal(int index, int signal);
  [[nodiscard]] nlohmann::json get_json(int index, const std::string& path);
  [[nodiscard]] std::string metrics(int index);
  [[nodiscard]] std::string log(int index) const;
  // Every replica's log, each under a header, and the etcd members' logs: for failure messages.
  [[nodiscard]] std::string logs() const;
  [[nodiscard]] SyncdFixture& replica(int index) {
    return *replicas_.at(static_cast<std::size_t>(index));
  }

  [[nodiscard]] DefinitionsRepository& repository() { return *repository_; }
  [[nodiscard]] EtcdCluster& etcd() { return etcd_; }
  [[nodiscard]] const std::string& prefix() const { return prefix_; }
  // The clusters the repository defines now (the directories under clusters/), sorted.
  [[nodiscard]] std::vector<std::string> cluster_names() const;

  // The keys the replicas keep under the prefix, read directly from etcd. nullopt when etcd
  // could not be read.
  [[nodiscard]] std::optional<std::map<std::string, std::string>> owners();  // cluster -> id
  [[nodiscard]] std::optional<std::vector<std::string>> live_replicas();     // ids, sorted
  // A client of the etcd cluster, keys relative to the prefix.
  [[nodiscard]] state::EtcdClient& store() { return *store_; }

 private:
  // Makes the shared state key, the replicas' fixtures and the etcd client (constructors).
  void prepare();

  ReplicaFixtureOptions options_;
  ScratchDir dir_;  // the repository and the shared state key
  std::string prefix_;
  EtcdCluster etcd_;
  std::unique_ptr<DefinitionsRepository> repository_;
  std::vector<std::unique_ptr<SyncdFixture>> replicas_;
  std::unique_ptr<state::EtcdClient> store_;
};

}  // namespace nkd::testing
