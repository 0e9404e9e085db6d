// NodeStore: one record per machine of a cluster, as the provider and, with cluster access, the
// cluster itself last reported it. Two writers, each with its own columns: the reconcile stores
// whole records, and the Ignition endpoint notes a bare-metal node's fetch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace nkd::state {

// Provider states first, then the states a Node object in the cluster reports.
enum class NodeState {
  kPending,       // bare metal: has not fetched its config yet
  kProvisioning,  // a server being built
  kProvisioned,   // booted the config it should have
  kOutdated,      // bare metal: runs an older config than it should
  kError,         // the platform reports the server broken
  kDeleting,
  kRegistering,  // provisioned, not in the cluster yet (never stored: the provider's state stays)
  kReady,
  kNotReady,
  kUpgrading,  // the housekeeper is upgrading it
};
const char* to_string(NodeState state);
std::optional<NodeState> node_state_from_string(std::string_view text);

struct NodeRecord {
  std::string cluster;
  std::string name;
  std::string pool;
  std::string role;
  std::string provider_id;
  std::string config_digest;   // digest of the config the node should have
  std::string fetched_digest;  // bare metal: digest of the config the node last fetched
  NodeState state = NodeState::kPending;
  std::int64_t updated_at_ms = 0;
  // As the cluster's Node object reports them (status.nodeInfo); empty while nkd has not seen
  // the node in the cluster (clusterAccess: none, or not registered yet).
  std::string kubelet_version;
  std::string os_image;
};

class NodeStore {
 public:
  virtual ~NodeStore() = default;

  [[nodiscard]] virtual Result<std::vector<NodeRecord>> nodes(const std::string& cluster) = 0;
  // The reconcile's writer: stores the whole record.
  [[nodiscard]] virtual Status put_node(const NodeRecord& node) = 0;
  // The Ignition endpoint's writer: a node fetched its config. Writes only `fetched_digest`,
  // `state` and `updated_at_ms`, so the versions the cluster reported stay; a node not recorded
  // yet is recorded whole.
  [[nodiscard]] virtual Status note_fetch(const NodeRecord& node) = 0;
};

}  // namespace nkd::state
