// LibvirtProvider: makes a cluster's libvirt domains match its render (issue #21, DESIGN.md §1,
// §9). The contract is OpenStack's (providers/openstack/openstack_provider.h), on one libvirt
// host per cluster:
//
// apply() reads as: pick the cluster's connection (a name under libvirt.connections in
// syncd.yaml) → check the storage pool and base volume → observe (domains named <cluster>-*
// whose <metadata> holds nkd's element for the cluster) → ask the planner (plan/node_plan.h)
// → settle the intents of crashed creates → create what is missing (ClusterRun::create_node: an
// intent first, then disk, Ignition volume and domain, each looked up before it is made) →
// start wanted domains that are shut off → replace workers whose first-boot config is stale,
// one batch of upgrade.maxUnavailable at a time, each drained first → delete the domains no
// pool wants, workers first and the highest index first, each drained first → report the
// planner's refusals (control-plane nodes are never replaced), or the outcome.
//
// A node is a domain named after it with nkd's metadata (cluster, name, pool, role, digest,
// boot digest, render epoch), a disk volume "<node>-disk" (a qcow2 overlay of the base volume
// where the pool keeps files, else a copy) and an Ignition volume "<node>-ignition" that QEMU
// hands the guest as fw_cfg opt/com.coreos/config. Volumes are uploaded through libvirt, so a
// remote host (qemu+ssh://) needs no shared file system; a delete takes both volumes along.
//
// Thread-safe: different clusters may be applied in parallel; one cluster is never applied twice
// at once (the reconciler's contract). `clock`, `intents` and `metrics` (may be null) must
// outlive the provider.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "metrics/metrics.h"
#include "providers/libvirt/libvirt_host.h"
#include "providers/libvirt/libvirt_settings.h"
#include "providers/provider.h"
#include "state/intent_log.h"

namespace nkd::providers::libvirt {

class ClusterRun;

class LibvirtProvider final : public InfrastructureProvider {
 public:
  LibvirtProvider(LibvirtSettings settings, const Clock& clock, state::IntentLog& intents,
                  metrics::Metrics* metrics);
  ~LibvirtProvider() override;

  std::string name() const override { return "libvirt"; }
  Result<ApplyOutcome> apply(const model::Cluster& cluster, const render::ClusterRender& render,
                             const ApplyHooks& hooks) override;
  // Uses the connection the cluster's last apply() named; with none known and a single
  // connection configured, that one.
  Result<std::vector<ObservedNode>> observe(const std::string& cluster) override;
  // Deletes every domain of `cluster` (and its volumes) on every configured connection (the
  // cluster's definition, and so its connection, is gone), and the volumes of creates a crash
  // cut short.
  Status remove(const std::string& cluster) override;

 private:
  // The open connection named `connection`, opened (again) when it is not open or broke.
  Result<std::shared_ptr<LibvirtHost>> host(const std::string& connection);
  Status replace(ClusterRun& run, const render::NodeRender& node, const ApplyHooks& hooks);
  Status scale_down(ClusterRun& run, const std::string& name, const ApplyHooks& hooks);

  const LibvirtSettings settings_;
  const Clock& clock_;
  state::IntentLog& intents_;
  metrics::Metrics* metrics_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<LibvirtHost>> hosts_;  // by connection name
  std::map<std::string, std::string> cluster_connections_;     // cluster -> connection
};

}  // namespace nkd::providers::libvirt
