#include "providers/openstack/openstack_provider.h"

#include <algorithm>
#include <map>
#include <set>

#include "providers/openstack/cluster_apply.h"

namespace nkd::providers::openstack {
namespace {

// Servers no desired node names, highest index first (scale-down order).
std::vector<Server> surplus(const std::vector<Server>& servers,
                            const std::vector<render::NodeRender>& desired) {
  std::set<std::string> wanted;
  for (const render::NodeRender& node : desired) wanted.insert(node.node.name);
  std::vector<Server> extra;
  for (const Server& server : servers) {
    if (!wanted.contains(server.name)) extra.push_back(server);
  }
  std::stable_sort(extra.begin(), extra.end(), [](const Server& left, const Server& right) {
    return node_index(left.name) > node_index(right.name);
  });
  return extra;
}

// Desired nodes with no server of their name that is ACTIVE or on its way there.
std::vector<const render::NodeRender*> missing(const std::vector<Server>& servers,
                                               const std::vector<render::NodeRender>& desired) {
  std::set<std::string> healthy;
  for (const Server& server : servers) {
    if (server.status != "ERROR") healthy.insert(server.name);
  }
  std::vector<const render::NodeRender*> result;
  for (const render::NodeRender& node : desired) {
    if (!healthy.contains(node.node.name)) result.push_back(&node);
  }
  return result;
}

// Desired nodes whose healthy server was built from a first-boot config the render no longer
// gives, in render order, split into control-plane nodes and workers.
std::pair<std::vector<Replacement>, std::vector<Replacement>> stale(
    const std::vector<Server>& servers, const std::vector<render::NodeRender>& desired) {
  std::pair<std::vector<Replacement>, std::vector<Replacement>> result;
  for (const render::NodeRender& node : desired) {
    for (const Server& server : servers) {
      if (server.name != node.node.name || server.status == "ERROR") continue;
      if (boots_as_rendered(server, node)) continue;
      auto& group = node.node.role == model::PoolRole::kControlPlane ? result.first : result.second;
      group.push_back(Replacement{.node = &node, .server = server});
    }
  }
  return result;
}

// Control-plane servers are never replaced on their own: a new first control-plane server would
// run `kubeadm init` and start an empty cluster, and any other would join an etcd that still
// counts the old server's member, so a second replacement loses quorum. The apply fails instead,
// naming the nodes and the way out.
Error control_plane_refusal(const std::string& cluster, const std::vector<Replacement>& stale_nodes) {
  std::string names;
  for (const Replacement& replacement : stale_nodes) {
    names += (names.empty() ? "" : ", ") + replacement.node->node.name;
  }
  return Error{ErrorCode::kConflict,
               "cluster " + cluster + ": control-plane node(s) " + names +
                   " were built from an earlier first-boot config (Ignition runs only at first "
                   "boot) and nkd does not replace control-plane servers itself, since a new one "
                   "would re-initialise or split the cluster's etcd; workers were replaced. Revert "
                   "the first-boot change for the control-plane pool, or replace the node by hand "
                   "(remove its etcd member, then delete its server; nkd makes it anew)"};
}

struct Counts {
  int created = 0;
  int replaced = 0;
  int deleted = 0;
};

ApplyOutcome outcome_of(const std::vector<Server>& servers, const render::ClusterRender& render,
                        const Counts& counts) {
  std::map<std::string, const Server*> by_name;
  for (const Server& server : servers) by_name[server.name] = &server;
  ApplyOutcome outcome{.complete = true};
  for (const render::NodeRender& node : render.nodes) {
    auto found = by_name.find(node.node.name);
    if (found == by_name.end()) {
      outcome.complete = false;
      continue;
    }
    ObservedNode observed = observed_node(*found->second);
    // A version-only change is housekeeper's to apply in place: the server stays as it is.
    outcome.complete = outcome.complete && observed.state == "Provisioned" &&
                       boots_as_rendered(*found->second, node);
    outcome.nodes.push_back(std::move(observed));
  }
  outcome.message = "openstack: " + std::to_string(outcome.nodes.size()) + " servers, " +
                    std::to_string(counts.created) + " created, " + std::to_string(counts.replaced) +
                    " replaced, " + std::to_string(counts.deleted) + " deleted";
  return outcome;
}

}  // namespace

OpenStackProvider::OpenStackProvider(Clouds clouds, HttpClient& http, const Clock& clock,
                                     state::StateStore& state, metrics::Metrics* metrics,
                                     OpenStackProviderOptions options)
    : clouds_(std::move(clouds)), http_(http), clock_(clock), state_(state), metrics_(metrics),
      options_(std::move(options)) {}

OpenStackProvider::~OpenStackProvider() = default;

Result<Keystone*> OpenStackProvider::keystone_for_cloud(const std::string& cloud) {
  std::lock_guard lock(mutex_);
  if (auto found = sessions_.find(cloud); found != sessions_.end()) return found->second.get();
  Result<CloudConfig> config = find_cloud(clouds_, cloud);
  if (!config) return config.error();
  auto made = std::make_unique<Keystone>(*config, http_, clock_, metrics_, options_.retry);
  Keystone* keystone = made.get();
  sessions_.emplace(cloud, std::move(made));
  return keystone;
}

Result<Keystone*> OpenStackProvider::keystone_for_cluster(const std::string& cluster) {
  std::string cloud;
  {
    std::lock_guard lock(mutex_);
    if (auto found = cluster_clouds_.find(cluster); found != cluster_clouds_.end()) {
      cloud = found->second;
    } else if (clouds_.size() == 1) {
      cloud = clouds_.begin()->first;
    }
  }
  if (cloud.empty()) {
    return Error{ErrorCode::kNotFound, "cluster " + cluster +
                                           ": no cloud known for it yet and clouds.yaml has several;"
                                           " apply the cluster first"};
  }
  return keystone_for_cloud(cloud);
}

Result<ApplyOutcome> OpenStackProvider::apply(const model::Cluster& cluster,
                                              const render::ClusterRender& render,
                                              const ApplyHooks& hooks) {
  const auto* platform = std::get_if<model::OpenStackPlatform>(&cluster.platform);
  if (platform == nullptr) {
    return Error{ErrorCode::kInvalidArgument,
                 "cluster " + cluster.name + " is not an OpenStack cluster; wrong provider"};
  }
  Result<Keystone*> keystone = keystone_for_cloud(platform->cloud);
  if (!keystone) return keystone.error().wrap("cluster " + cluster.name);
  {
    std::lock_guard lock(mutex_);
    cluster_clouds_[cluster.name] = platform->cloud;
  }
  ClusterApply run(**keystone, state_, options_, cluster.name);
  if (Status resolved = run.resolve(*platform, cluster.kubernetes.virtual_ip.address, render.nodes);
      !resolved) {
    return resolved.error();
  }
  if (Status reserved = run.reserve_virtual_ip(); !reserved) return reserved.error();
  Result<std::vector<Server>> before = run.servers();
  if (!before) return before.error().wrap("observing cluster " + cluster.name);

  Counts counts;
  const auto to_create = missing(*before, render.nodes);
  settle_intents(cluster.name, to_create);
  if (Status made = create_missing(run, to_create); !made) return made.error().wrap("cluster " + cluster.name);
  counts.created = static_cast<int>(to_create.size());
  const auto [control_plane, workers] = stale(*before, render.nodes);
  const std::vector<Server> leaving = surplus(*before, render.nodes);
  // Outside a maintenance window replaces and deletes wait; creates above went ahead.
  std::vector<std::string> held;
  if (!hooks.disturbing_allowed()) {
    for (const Replacement& replacement : workers) held.push_back("replace " + replacement.node->node.name);
    for (const Server& server : leaving) held.push_back("delete " + server.name);
  } else {
    if (Status replaced = run.replace_all(workers, cluster.upgrade.max_unavailable, hooks); !replaced) {
      return replaced.error().wrap("cluster " + cluster.name);
    }
    counts.replaced = static_cast<int>(workers.size());
    for (const Server& server : leaving) {
      if (Status gone = scale_down(run, server, hooks); !gone) {
        return gone.error().wrap("scaling down " + cluster.name);
      }
      ++counts.deleted;
    }
  }
  Result<std::vector<Server>> after = run.servers();
  if (!after) return after.error().wrap("observing cluster " + cluster.name);
  if (Status settled = run.settle_network(*after, render.nodes); !settled) return settled.error();
  if (!control_plane.empty()) return control_plane_refusal(cluster.name, control_plane);
  ApplyOutcome outcome = outcome_of(*after, render, counts);
  if (!held.empty()) {
    outcome.complete = false;
    outcome.held = std::move(held);
  }
  return outcome;
}

void OpenStackProvider::settle_intents(const std::string& cluster,
                                       const std::vector<const render::NodeRender*>& to_create) {
  // A crashed run's intent whose server turned out to exist is done now.
  Result<std::vector<state::Intent>> pending = state_.pending_intents(cluster);
  if (!pending) return;  // the creates below record and find their own intents
  for (const state::Intent& intent : *pending) {
    const bool still_missing = std::any_of(to_create.begin(), to_create.end(), [&](const auto* node) {
      return node->node.name == intent.target;
    });
    if (intent.kind == "create-server" && !still_missing) (void)state_.complete_intent(intent.id);
  }
}

Status OpenStackProvider::create_missing(ClusterApply& run,
                                         const std::vector<const render::NodeRender*>& to_create) {
  for (Result<Server>& result : run.create_all(to_create, options_.max_concurrent_creates)) {
    if (!result) return result.error();
  }
  return ok_status();
}

Status OpenStackProvider::scale_down(ClusterApply& run, const Server& server,
                                     const ApplyHooks& hooks) {
  if (hooks.before_delete) {
    if (Status drained = hooks.before_delete(server.name); !drained) {
      return drained.error().wrap("draining " + server.name);
    }
  }
  return run.delete_node(server);
}

Result<std::vector<ObservedNode>> OpenStackProvider::observe(const std::string& cluster) {
  Result<Keystone*> keystone = keystone_for_cluster(cluster);
  if (!keystone) return keystone.error();
  ClusterApply run(**keystone, state_, options_, cluster);
  Result<std::vector<Server>> servers = run.servers();
  if (!servers) return servers.error().wrap("observing cluster " + cluster);
  std::vector<ObservedNode> nodes;
  for (const Server& server : *servers) nodes.push_back(observed_node(server));
  std::sort(nodes.begin(), nodes.end(),
            [](const ObservedNode& a, const ObservedNode& b) { return a.name < b.name; });
  return nodes;
}

Status OpenStackProvider::remove(const std::string& cluster) {
  // A cluster this process has not applied (a restart, or a bare-metal cluster) has no known
  // cloud: every cloud of clouds.yaml is searched for its servers.
  std::vector<std::string> clouds;
  {
    std::lock_guard lock(mutex_);
    if (auto found = cluster_clouds_.find(cluster); found != cluster_clouds_.end()) {
      clouds.push_back(found->second);
    } else {
      for (const auto& [name, config] : clouds_) clouds.push_back(name);
    }
  }
  for (const std::string& cloud : clouds) {
    Result<Keystone*> keystone = keystone_for_cloud(cloud);
    if (!keystone) return keystone.error().wrap("removing cluster " + cluster);
    ClusterApply run(**keystone, state_, options_, cluster);
    Result<std::vector<Server>> servers = run.servers();
    if (!servers) return servers.error().wrap("removing cluster " + cluster + " from cloud " + cloud);
    for (const Server& server : surplus(*servers, {})) {
      if (Status gone = run.delete_node(server); !gone) {
        return gone.error().wrap("removing cluster " + cluster);
      }
    }
    if (Status gone = run.remove_network(); !gone) return gone;
  }
  return ok_status();
}

}  // namespace nkd::providers::openstack
