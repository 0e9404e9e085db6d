// OpenStackProvider: makes a cluster's Nova servers match its render (issue #5, DESIGN.md §1, §9).
//
// apply() reads as: resolve (image, network, flavors, security groups, external network) →
// reserve the virtual IP's port → observe (servers named <cluster>-* with metadata nkd.cluster)
// → ask the planner (plan/node_plan.h, through plan_servers()) what to do with them → create
// what is missing, concurrently up to max_concurrent_creates → replace servers whose first-boot
// config is stale, batch by batch → delete servers no pool wants any more, in the planner's
// scale-down order → settle the network (virtual IP, floating IP, leftover ports) → report the
// planner's refusals, or the outcome. Which server is created, replaced, deleted, kept or refused
// is decided only by the planner; this provider carries the decisions out.
//
// Create: each create records an intent in the state store before any request, and every
// attempt first looks the server up by name and metadata, so a crash or a lost answer between a
// request and its record never leaves two servers of one name (a POST is resent by the HTTP
// layer only when the service refused it unprocessed: 429 or 503, honouring Retry-After). A
// server that ends in ERROR is deleted and made again with a doubling backoff, at most
// max_error_recreates times; then apply() fails naming the node and Nova's fault. A quota
// failure stops apply() with kQuotaExceeded naming the quota (no tight retry loop: the
// reconciler's slow resync retries).
//
// Ports (cluster_ports.h): each server boots on a Neutron port made first, named after its node
// and tagged nkd, nkd.cluster=<cluster>, nkd.node=<node>, found again by name and tags (its
// create is covered by the node's create-server intent), so an address belongs to a node name
// for the server's life. With kubernetes.virtualIP.address set, a port "<cluster>-vip" with that
// address reserves it (intent "create-port") before any node port is made, and every
// control-plane port allows it (allowed_address_pairs), so kube-vip on any of them may hold it;
// a changed address moves the port and the pairs, a removed one deletes the port and the pairs.
// With externalNetwork set, the cluster has one floating IP from it: on the VIP port, else on the
// first control-plane node's port; it is moved, not made anew, when that target changes.
//
// Replace: servers carry nkd.digest (the full config's digest) and nkd.boot (the render's
// boot_digest: the config with the OS and Kubernetes versions pinned), which observed_machine()
// hands to the planner. A worker the planner replaces is drained (hooks.before_delete), deleted
// and made anew under its name, one batch of upgrade.maxUnavailable at a time (a batch starts
// when the one before it has finished). A control-plane server the planner refuses fails the
// apply with kConflict naming it, after the workers and the scale-down are done. `complete`
// means every node exists, is ACTIVE and boots as rendered in the planner's sense.
//
// Delete: surplus servers go in the planner's scale-down order (workers first, highest index
// first), each after hooks.before_delete; a failing hook stops the delete and apply() returns
// its error. The node's port and the floating IPs nkd
// bound to it go with its server (a port delete answered 404 is done); others are left alone. A
// port of a node no longer wanted whose server never came (a crash between the two) is deleted
// by the next apply.
//
// Thread-safe: different clusters may be applied in parallel; one cluster is never applied twice
// at once (the reconciler's contract). `http`, `clock`, `state` and `metrics` (may be null) must
// outlive the provider.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "common/http_client.h"
#include "metrics/metrics.h"
#include "providers/openstack/clouds.h"
#include "providers/openstack/keystone.h"
#include "providers/provider.h"
#include "state/intent_log.h"

namespace nkd::providers::openstack {

class ClusterApply;
struct Server;

struct OpenStackProviderOptions {
  int max_concurrent_creates = 4;
  int max_error_recreates = 3;  // after the first try
  std::chrono::milliseconds active_timeout{std::chrono::minutes(10)};
  std::chrono::milliseconds delete_timeout{std::chrono::minutes(3)};
  std::chrono::milliseconds recreate_backoff{std::chrono::seconds(2)};  // doubles per retry
  std::chrono::milliseconds poll_interval{std::chrono::milliseconds(250)};
  RetryPolicy retry;  // per request (send_with_retry)
  // A pending create this run did not record (a crashed run's, or a replica's that lost the
  // cluster) may still be on its way to Nova for as long as a create request may take (the
  // retry policy's total deadline): a server not found before this age is not created again yet.
  std::chrono::milliseconds inherited_create_grace{std::chrono::seconds(65)};
};

class OpenStackProvider final : public InfrastructureProvider {
 public:
  OpenStackProvider(Clouds clouds, HttpClient& http, const Clock& clock, state::IntentLog& intents,
                    metrics::Metrics* metrics, OpenStackProviderOptions options = {});
  ~OpenStackProvider() override;

  std::string name() const override { return "openstack"; }
  Result<ApplyOutcome> apply(const model::Cluster& cluster, const render::ClusterRender& render,
                             const ApplyHooks& hooks) override;
  // Uses the cloud the cluster's last apply() named; with none known and a single cloud
  // configured, that one.
  Result<std::vector<ObservedNode>> observe(const std::string& cluster) override;
  // Deletes every server of `cluster`, then every port (the VIP port too) and floating IP tagged
  // with it.
  Status remove(const std::string& cluster) override;

 private:
  Result<Keystone*> keystone_for_cloud(const std::string& cloud);
  Result<Keystone*> keystone_for_cluster(const std::string& cluster);
  // The steps of apply(), in order.
  void settle_intents(const std::string& cluster,
                      const std::vector<const render::NodeRender*>& to_create);
  Status create_missing(ClusterApply& run, const std::vector<const render::NodeRender*>& to_create);
  Status scale_down(ClusterApply& run, const Server& server, const ApplyHooks& hooks);

  const Clouds clouds_;
  HttpClient& http_;
  const Clock& clock_;
  state::IntentLog& intents_;
  metrics::Metrics* metrics_;
  const OpenStackProviderOptions options_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Keystone>> sessions_;  // by cloud
  std::map<std::string, std::string> cluster_clouds_;           // cluster -> cloud
};

}  // namespace nkd::providers::openstack
