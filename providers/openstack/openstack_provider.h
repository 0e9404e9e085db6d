// OpenStackProvider: makes a cluster's Nova servers match its render (issue #5, DESIGN.md §1, §9).
//
// apply() reads as: resolve (image, network, flavors, security groups, external network) →
// observe (servers named <cluster>-* with metadata nkd.cluster) → create what is missing,
// concurrently up to max_concurrent_creates → replace servers whose first-boot config is stale →
// delete servers no pool wants any more, highest index first → report.
//
// Create: each create records an intent in the state store before any request, and every
// attempt first looks the server up by name and metadata, so a crash or a lost answer between a
// request and its record never leaves two servers of one name (a POST is resent by the HTTP
// layer only when the service refused it unprocessed: 429 or 503, honouring Retry-After). A
// server that ends in ERROR is deleted and made again with a doubling backoff, at most
// max_error_recreates times; then apply() fails naming the node and Nova's fault. A quota
// failure stops apply() with kQuotaExceeded naming the quota (no tight retry loop: the
// reconciler's slow resync retries). With externalNetwork set, the first control-plane server
// gets a port of its own and a floating IP from that network.
//
// Replace: servers carry nkd.digest (the full config's digest) and nkd.boot (the render's
// boot_digest: the config with the OS and Kubernetes versions pinned). Ignition runs at first
// boot only, so a worker whose nkd.boot differs from the render's is drained
// (hooks.before_delete), deleted and made anew under its name, at most upgrade.maxUnavailable at
// once. A stale control-plane server is not replaced (a new one would re-run kubeadm init or
// join an etcd that still counts the old member): apply() fails with kConflict naming it, after
// the workers and the scale-down are done. A server whose nkd.boot still matches is left alone
// even when nkd.digest differs: that is a version change housekeeper applies in place. Servers
// without nkd.boot (made before it existed) are compared by nkd.digest. `complete` means every
// node exists, is ACTIVE and boots as rendered in this sense.
//
// Delete: surplus servers go highest index first, each after hooks.before_delete; a failing
// hook stops the delete and apply() returns its error. The ports and floating IPs nkd made
// (description "made by nkd") go with their server; others are left alone.
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
#include "syncd/state/state_store.h"

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
};

class OpenStackProvider final : public InfrastructureProvider {
 public:
  OpenStackProvider(Clouds clouds, HttpClient& http, const Clock& clock, state::StateStore& state,
                    metrics::Metrics* metrics, OpenStackProviderOptions options = {});
  ~OpenStackProvider() override;

  std::string name() const override { return "openstack"; }
  Result<ApplyOutcome> apply(const model::Cluster& cluster, const render::ClusterRender& render,
                             const ApplyHooks& hooks) override;
  // Uses the cloud the cluster's last apply() named; with none known and a single cloud
  // configured, that one.
  Result<std::vector<ObservedNode>> observe(const std::string& cluster) override;
  // Deletes every server (and the ports and floating IPs nkd made for them) of `cluster`.
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
  state::StateStore& state_;
  metrics::Metrics* metrics_;
  const OpenStackProviderOptions options_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Keystone>> sessions_;  // by cloud
  std::map<std::string, std::string> cluster_clouds_;           // cluster -> cloud
};

}  // namespace nkd::providers::openstack
