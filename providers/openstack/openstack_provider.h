// OpenStackProvider: makes a cluster's Nova servers match its render (issue #5, DESIGN.md §1, §9).
//
// apply() reads as: resolve (image, network, flavors, security groups) → observe (servers named
// <cluster>-* with metadata nkd.cluster) → create what is missing, concurrently up to
// max_concurrent_creates → delete servers no pool wants any more, highest index first → report.
// Each create records an intent in the state store before any request, and every attempt first
// looks the server up by name and metadata, so a crash between a request and its record never
// leaves two servers of one name. A server that ends in ERROR is deleted and made again with a
// doubling backoff, at most max_error_recreates times; then apply() fails naming the node and
// Nova's fault. A quota failure stops apply() with kQuotaExceeded naming the quota (no tight
// retry loop: the reconciler's slow resync retries). Not yet done: replacing a server whose
// config digest changed, and the drain before a delete (the Kubernetes provider's part).
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
