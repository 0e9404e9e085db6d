// ClusterApply: one apply() of OpenStackProvider for one cluster (internal to the provider).
// Holds the resolved IDs and the service clients for the call; create_node() is the crash-safe,
// ERROR-recreating create of one node (its port first, then its server on that port) and may run
// on several threads at once (it touches only the clients, which are thread-safe, the state
// store, which is too, and ClusterPorts' read-only settings). replace_all() swaps
// servers whose first-boot config is stale for new ones, at most `limit` at once, draining each
// through the hooks first; hook calls are serialized, so a hook need not be thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "plan/node_plan.h"
#include "providers/openstack/cluster_ports.h"
#include "providers/openstack/compute.h"
#include "providers/openstack/image.h"
#include "providers/openstack/network.h"
#include "providers/openstack/openstack_provider.h"

namespace nkd::providers::openstack {

// Metadata keys every nkd server carries (DESIGN.md §9).
inline constexpr const char* kClusterKey = "nkd.cluster";
inline constexpr const char* kNodeKey = "nkd.node";
inline constexpr const char* kDigestKey = "nkd.digest";
inline constexpr const char* kBootKey = "nkd.boot";  // render::NodeRender::boot_digest
inline constexpr const char* kRoleKey = "nkd.role";
inline constexpr const char* kPoolKey = "nkd.pool";
// The render epoch a server was made by (providers/provider.h, kRenderEpoch). A server without
// the key is from before epochs; new servers carry the current one.
inline constexpr const char* kEpochKey = "nkd.epoch";

[[nodiscard]] ObservedNode observed_node(const Server& server);
// The metadata of the server made for `node` (DESIGN.md §9); observed_machine() reads it back.
[[nodiscard]] std::map<std::string, std::string> server_metadata(const std::string& cluster,
                                                                 const render::NodeRender& node);
// What the planner needs to know of `server` (plan/node_plan.h): name, ID, pool and role from
// its metadata, whether it is in ERROR, and what it was built from: nkd.digest, nkd.boot, and
// whether it was made by an earlier render epoch (see kEpochKey: then nkd, not the user, has
// changed its config since, and it is kept).
[[nodiscard]] plan::ObservedMachine observed_machine(const Server& server);
[[nodiscard]] std::vector<plan::ObservedMachine> observed_machines(const std::vector<Server>& servers);
// What apply() does with the servers it found: the planner's decisions for the cluster's render
// (drain_before_delete: the reconciler lent a drain hook). Pure, so it is tested without a cloud.
[[nodiscard]] plan::NodePlan plan_servers(const model::Cluster& cluster,
                                          const render::ClusterRender& render,
                                          const std::vector<Server>& servers,
                                          bool drain_before_delete);

// A server to swap for a new one built from `node`.
struct Replacement {
  const render::NodeRender* node = nullptr;
  Server server;
};

class ClusterApply {
 public:
  ClusterApply(Keystone& keystone, state::IntentLog& intents,
               const OpenStackProviderOptions& options, std::string cluster);

  // Looks up image, network, flavors and security groups the cluster names, and refuses an
  // image whose recorded architecture is not every node's; `virtual_ip` is the cluster's ("" for
  // none).
  [[nodiscard]] Status resolve(const model::OpenStackPlatform& platform, const std::string& virtual_ip,
                               const std::vector<render::NodeRender>& nodes);
  // Makes the port that reserves the virtual IP when it is missing (an intent "create-port"
  // is recorded first); to run before any node port is made.
  [[nodiscard]] Status reserve_virtual_ip();
  // After creates, replacements and deletes: the virtual IP's address pairs and port, the
  // floating IP, and leftover ports (ClusterPorts::settle), given the servers that exist now.
  [[nodiscard]] Status settle_network(const std::vector<Server>& servers,
                                      const std::vector<render::NodeRender>& desired);
  // Prune, after every server is gone: every port and floating IP of the cluster.
  [[nodiscard]] Status remove_network();
  // Every server of the cluster (name prefix and nkd.cluster metadata).
  [[nodiscard]] Result<std::vector<Server>> servers();
  // Makes `node` exist and be ACTIVE, booted on its own port; returns the server.
  [[nodiscard]] Result<Server> create_node(const render::NodeRender& node);
  // Deletes the server and the port and floating IPs nkd made for it; waits until it is gone.
  [[nodiscard]] Status delete_node(const Server& server);
  // Makes the creates in `nodes`, at most `limit` at once; results in the same order.
  [[nodiscard]] std::vector<Result<Server>> create_all(const std::vector<const render::NodeRender*>& nodes,
                                                       int limit);
  // Drains (hooks.before_delete), deletes and creates anew each server of `replacements`, in
  // order, at most `limit` at once; starts no new one after a failure and returns the first.
  [[nodiscard]] Status replace_all(const std::vector<Replacement>& replacements, int limit,
                                   const ApplyHooks& hooks);

 private:
  [[nodiscard]] Status check_image_arch(const std::string& image,
                                        const std::vector<render::NodeRender>& nodes);
  Result<std::optional<Server>> find_server(const std::string& node_name);
  Result<Server> create_once(const render::NodeRender& node);
  // Ok when the server another run's pending create of `name` (recorded `age_ms` ago) made is
  // found; else an error that waits until that create can no longer arrive.
  [[nodiscard]] Status await_inherited_create(const std::string& name, std::int64_t age_ms);
  Result<Server> create_with_recreates(const render::NodeRender& node);
  Status replace_node(const Replacement& replacement, const ApplyHooks& hooks);

  ComputeService compute_;
  NetworkService network_;
  ClusterPorts ports_;
  ImageService image_;
  state::IntentLog& intents_;
  const OpenStackProviderOptions& options_;
  const std::string cluster_;
  model::OpenStackPlatform platform_;
  std::string image_id_;
  std::map<std::string, std::string> flavor_ids_;  // flavor name -> id
  std::mutex hook_mutex_;                          // one hook call at a time
};

}  // namespace nkd::providers::openstack
