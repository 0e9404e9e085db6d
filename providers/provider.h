// InfrastructureProvider: makes a platform's machines match a cluster's render, and reports what
// it sees. One implementation per platform (baremetal/, openstack/, libvirt/). Called by the reconciler from
// one thread per cluster at a time; implementations must be safe for different clusters in
// parallel. Every call is bounded in time and idempotent: calling apply() twice with the same
// render changes nothing the second time.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "model/cluster.h"
#include "plan/node_plan.h"
#include "render/render.h"
#include "state/node_store.h"

namespace nkd::providers {

// The generation of nkd's own first-boot content a machine was made with, recorded on every
// machine a provider makes (OpenStack: metadata nkd.epoch; libvirt: <nkd:epoch>). An nkd release
// whose render changes every node's first-boot config for reasons of its own (not the
// definitions') bumps it: machines from an earlier epoch are then kept, not replaced (a release
// must not roll every cluster's machines, nor stop every cluster at its control plane).
inline constexpr const char* kRenderEpoch = "2";

struct ObservedNode {
  std::string name;
  std::string pool;
  std::string role;
  std::string provider_id;    // server ID, or "baremetal://<mac>"
  std::string config_digest;  // the digest of the config the machine was built from / fetched
  state::NodeState state = state::NodeState::kPending;
};

struct ApplyOutcome {
  std::vector<ObservedNode> nodes;
  bool complete = false;  // every node exists with the desired config digest
  std::string message;    // one line for the history row
  // Changes to running nodes left for a maintenance window (ApplyHooks::may_disturb said no),
  // one line each: "replace c-workers-1", "delete c-workers-3". Not empty: complete is false.
  std::vector<std::string> held;
  // What the planner decided for this apply (plan/node_plan.h), in the order carried out.
  std::vector<plan::NodeDecision> decisions;
};

// What the reconciler lends a provider for one apply(). Unset members mean "nothing to do": the
// daemon does not reach the cluster (clusterAccess: none), so a machine is deleted without a drain.
struct ApplyHooks {
  // Drains `node` in the running cluster (cordon, evict, delete the Node object) before its
  // machine is deleted, on scale-down and on replace. A failure stops the delete.
  std::function<Status(const std::string& node)> before_delete;
  // Whether changes that disturb running nodes (replace, delete) may be made now: false outside
  // a maintenance window. Unset means yes. When it says no, the provider still makes what is
  // new, leaves the nodes it would replace or delete as they are, and lists them in
  // ApplyOutcome::held.
  std::function<bool()> may_disturb;

  [[nodiscard]] bool disturbing_allowed() const { return !may_disturb || may_disturb(); }
};

class InfrastructureProvider {
 public:
  virtual ~InfrastructureProvider() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  // Brings the platform to the render: creates, replaces and deletes machines, publishes configs.
  [[nodiscard]] virtual Result<ApplyOutcome> apply(const model::Cluster& cluster,
                                                   const render::ClusterRender& render,
                                                   const ApplyHooks& hooks) = 0;
  // What the platform has for `cluster` now.
  [[nodiscard]] virtual Result<std::vector<ObservedNode>> observe(const std::string& cluster) = 0;
  // Tears down everything the provider made for `cluster` (used only with prune: true).
  [[nodiscard]] virtual Status remove(const std::string& cluster) = 0;
};

}  // namespace nkd::providers
