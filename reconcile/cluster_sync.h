// ClusterSync: the reconciler's cluster-state step for clusters nkd reaches (clusterAccess:
// direct; issue #6, DESIGN.md §1 kube, §3). Each step() looks at the cluster once and acts once,
// so a worker is never held for minutes: it reads as
//   connect (nkd's own identity, the cluster CA, apiServers) → every expected node Ready? →
//   housekeeper manifests applied for this render? else drift found and, by driftPolicy,
//   corrected → control-plane nodes carry the label housekeeper's operator orders by? →
//   an upgrade needed? then the Update (housekeeper-upgrade) asks for it: kubeVersion set only
//   when Kubernetes changes → rollout at the definition's versions?
// and says which stage the cluster is in. The reconciler calls it again while the cluster is
// waiting or upgrading. The clocks for "not ready for too long" and "rollout stalled" run across
// steps and restart when the render changes.
//
// Thread-safe: the reconciler steps different clusters on different workers at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/http_client.h"
#include "common/result.h"
#include "metrics/metrics.h"
#include "model/cluster.h"
#include "providers/kube/cluster_state.h"
#include "providers/kube/kube_identity.h"
#include "render/render.h"
#include "state/state_store.h"

namespace nkd::reconcile {

struct ClusterSyncOptions {
  // From the first step that found the cluster not ready (for this render) until it is failed.
  std::int64_t ready_timeout_ms = 30 * 60'000;
  // A node upgrading this long, or a rollout where no node moves this long, fails the cluster.
  std::int64_t rollout_stall_ms = 15 * 60'000;
  // How long applying the housekeeper manifests may wait for their CRD to be Established.
  std::int64_t establish_timeout_ms = 60'000;
  // Where to dial each cluster instead of its controlPlaneEndpoint (syncd.yaml apiServers).
  std::map<std::string, std::string> api_servers;
  kube::KubeClientOptions client;
  std::int64_t poll_interval_ms = 1'000;  // between looks inside one bounded wait
};

// kWaitingForWindow: the cluster needs an in-place upgrade that may start only in a maintenance
// window (an upgrade already under way is followed as kUpgrading).
enum class ClusterStage { kWaitingForCluster, kUpgrading, kReady, kFailed, kWaitingForWindow };
[[nodiscard]] state::ClusterPhase phase_of(ClusterStage stage);

struct ClusterNodeStatus {
  // kReady, kNotReady, kUpgrading, or kRegistering (not in the cluster yet).
  state::NodeState state = state::NodeState::kRegistering;
  std::string kubelet_version;
  std::string os_image;
};

struct ClusterSyncReport {
  ClusterStage stage = ClusterStage::kWaitingForCluster;
  std::string message;  // one line: what the cluster waits for, why it failed, or what was done
  std::map<std::string, ClusterNodeStatus> nodes;  // by node name, every node of the render
  int drifted_objects = 0;  // housekeeper objects found changed by hand at this step
};

// The admin certificate nkd mints for installing its own access, and how long it is valid.
inline constexpr const char* kAccessInstallerName = "nkd-access-installer";
inline constexpr std::int64_t kAccessInstallerSeconds = 300;

// What ClusterSync reads of the state store: the PKI it reaches clusters with, and whether a
// cluster was ever ready. A whole StateStore converts.
struct ClusterSyncStores {
  ClusterSyncStores(state::PkiStore& pki, state::ClusterRecordStore& records)
      : pki(pki), records(records) {}
  ClusterSyncStores(state::StateStore& store)  // NOLINT(google-explicit-constructor)
      : ClusterSyncStores(store, store) {}
  state::PkiStore& pki;
  state::ClusterRecordStore& records;
};

class ClusterSync {
 public:
  // `stores`, `http`, `clock` and `metrics` (may be null) must outlive the ClusterSync.
  ClusterSync(ClusterSyncStores stores, HttpClient& http, const Clock& clock,
              metrics::Metrics* metrics, ClusterSyncOptions options);

  // One look at `cluster` (its infrastructure is complete for `render`). Errors are failures
  // waiting cannot cure: the server's certificate is not the cluster CA's, nkd is forbidden,
  // egress denied, no stored PKI. An API that does not answer is a report to wait on.
  // `may_disturb` false (outside a maintenance window): an upgrade is not started.
  [[nodiscard]] Result<ClusterSyncReport> step(const model::Cluster& cluster,
                                               const render::ClusterRender& render,
                                               bool may_disturb = true);
  // Cordons `node`, evicts its pods (PodDisruptionBudgets respected until the cluster's
  // drainTimeout) and deletes its Node object; the provider deletes the machine afterwards. When
  // the API does not answer, a cluster that has never been ready is not drained (nothing runs
  // there yet); one that has been ready gets the error, and the machine stays.
  [[nodiscard]] Status drain(const model::Cluster& cluster, const std::string& node);
  // Makes `pki`'s bootstrap token valid in the cluster until `expires_unix` (0: never), for nodes
  // that join after the token kubeadm init created has lapsed.
  [[nodiscard]] Status publish_join_token(const model::Cluster& cluster,
                                          const pki::ClusterPki& pki, std::int64_t expires_unix);
  // Drops what is remembered of a cluster that left.
  void forget(const std::string& cluster);

 private:
  // What one cluster's earlier steps left behind.
  struct Memory {
    std::string render_digest;       // the render the clocks below belong to
    std::string housekeeper_digest;  // manifests applied to the cluster ("" none yet)
    std::string network_digest;      // the network plugin's, likewise
    std::string access_digest;       // nkd's own RBAC, installed by nkd with an admin certificate
    bool was_ready = false;          // every node was Ready once (nkd's access was installed)
    std::int64_t not_ready_since_ms = 0;
    std::int64_t unavailable_since_ms = 0;  // first of a run of steps the API broke off
    std::string rollout_signature;  // changes whenever a node moves
    std::int64_t rollout_moved_at_ms = 0;
    std::map<std::string, std::int64_t> upgrading_since_ms;
    // Nodes seen pending or upgrading under this render: an upgradeCompleted label on one of
    // them was set for this request, not left from an earlier rollout.
    std::set<std::string> started_nodes;
  };
  struct Look {
    kube::ReadinessReport readiness;
    ClusterSyncReport report;
  };

  // As nkd (its group nkd:controllers), or `as_admin` with a short-lived system:masters
  // certificate, used only by install_access.
  [[nodiscard]] Result<kube::KubeEndpoint> endpoint(const model::Cluster& cluster,
                                                    bool as_admin = false);
  // nkd's RBAC (the render's access/ manifests) applied with a short-lived admin certificate,
  // after the API refused nkd: missing (a cluster from before nkd had its own identity) or older
  // than the objects this render holds. Once per render: a refusal after that is an error.
  [[nodiscard]] Status install_access(const model::Cluster& cluster,
                                      const render::ClusterRender& render, Memory& memory);
  // Applies the network plugin once the API answers, before any node can be Ready (none is
  // without one). A refusal while the cluster is still coming up is waited out: nkd's access is
  // installed by the first control-plane node's bring-up unit, which applies the plugin too.
  [[nodiscard]] Result<std::string> install_network(const model::Cluster& cluster,
                                                    const render::ClusterRender& render,
                                                    const kube::ReadinessReport& readiness,
                                                    kube::ClusterState& state, Memory& memory);
  [[nodiscard]] Result<ClusterSyncReport> housekeeping(const model::Cluster& cluster,
                                                       const render::ClusterRender& render,
                                                       kube::ClusterState& state, Memory& memory);
  // Sets node-role.kubernetes.io/master on the render's control-plane nodes that lack it.
  [[nodiscard]] Status label_control_plane(const render::ClusterRender& render,
                                           const kube::ReadinessReport& readiness,
                                           kube::KubeClient& client) const;
  // Applies the Update when the cluster's nodes are not at the definition's versions, or when
  // an Update already there asks for something else; returns what it did ("" nothing). With
  // `may_apply` false such an Update is not applied and `held` is set instead.
  [[nodiscard]] Result<std::string> request_upgrade(const model::Cluster& cluster,
                                                    const kube::RolloutStatus& rollout,
                                                    kube::KubeClient& client, bool may_apply,
                                                    bool& held) const;
  void follow_rollout(const model::Cluster& cluster, const kube::RolloutStatus& rollout,
                      Memory& memory, ClusterSyncReport& report) const;
  // `error` from a step past readiness: an API that stopped answering (kUnavailable, kTimeout;
  // e.g. its server restarting during its own upgrade) is waited for like a cluster not yet
  // ready, for at most readyTimeout in a row; any other error is returned as it is.
  [[nodiscard]] Result<ClusterSyncReport> wait_or_fail(const std::string& cluster, Error error,
                                                       Memory& memory, ClusterSyncReport report);
  Memory memory_for(const std::string& cluster, const std::string& render_digest);
  void remember(const std::string& cluster, const Memory& memory);
  [[nodiscard]] kube::ClusterState cluster_state(kube::KubeClient& client) const;

  state::PkiStore& pki_;
  state::ClusterRecordStore& records_;
  HttpClient& http_;
  const Clock& clock_;
  metrics::Metrics* metrics_;
  ClusterSyncOptions options_;
  kube::ClientIdentityCache identities_;
  std::mutex mutex_;
  std::map<std::string, Memory> memory_;
};

}  // namespace nkd::reconcile
