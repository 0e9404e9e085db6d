#include "providers/openstack/openstack_provider.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "providers/openstack/cluster_apply.h"

namespace nkd::providers::openstack {
namespace {

const Server& server_with_id(const std::vector<Server>& servers, const std::string& id) {
  const auto found = std::find_if(servers.begin(), servers.end(),
                                  [&](const Server& server) { return server.id == id; });
  if (found == servers.end()) throw std::logic_error("planner named an unknown server " + id);
  return *found;
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
    const std::optional<plan::RecordedBoot> recorded = observed_machine(*found->second).recorded;
    outcome.complete = outcome.complete && observed.state == state::NodeState::kProvisioned &&
                       plan::boots_as_rendered(*recorded, plan::desired_node(node));
    outcome.nodes.push_back(std::move(observed));
  }
  outcome.message = "openstack: " + std::to_string(outcome.nodes.size()) + " servers, " +
                    std::to_string(counts.created) + " created, " + std::to_string(counts.replaced) +
                    " replaced, " + std::to_string(counts.deleted) + " deleted";
  return outcome;
}

}  // namespace

OpenStackProvider::OpenStackProvider(Clouds clouds, HttpClient& http, const Clock& clock,
                                     state::IntentLog& intents, metrics::Metrics* metrics,
                                     OpenStackProviderOptions options)
    : clouds_(std::move(clouds)),
      http_(http),
      clock_(clock),
      intents_(intents),
      metrics_(metrics),
      options_(std::move(options)) {}

OpenStackProvider::~OpenStackProvider() = default;

Result<Keystone*> OpenStackProvider::keystone_for_cloud(const std::string& cloud) {
  std::lock_guard lock(mutex_);
  if (auto found = sessions_.find(cloud); found != sessions_.end()) return found->second.get();
  NKD_ASSIGN_OR_RETURN(CloudConfig config, find_cloud(clouds_, cloud));
  auto made = std::make_unique<Keystone>(config, http_, clock_, metrics_, options_.retry);
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
  NKD_ASSIGN_OR_RETURN_WRAP(auto* keystone, keystone_for_cloud(platform->cloud),
                            "cluster " + cluster.name);
  {
    std::lock_guard lock(mutex_);
    cluster_clouds_[cluster.name] = platform->cloud;
  }
  ClusterApply run(*keystone, intents_, options_, cluster.name);
  NKD_RETURN_IF_ERROR(run.resolve(*platform, cluster.kubernetes.virtual_ip.address, render.nodes));
  NKD_RETURN_IF_ERROR(run.reserve_virtual_ip());
  NKD_ASSIGN_OR_RETURN_WRAP(std::vector<Server> before, run.servers(),
                            "observing cluster " + cluster.name);

  const plan::NodePlan decided =
      plan_servers(cluster, render, before, static_cast<bool>(hooks.before_delete));
  Counts counts;
  std::vector<const render::NodeRender*> to_create;
  for (const plan::NodeDecision* create : decided.of(plan::NodeAction::kCreate)) {
    to_create.push_back(&plan::rendered_node(render, create->name));
  }
  settle_intents(cluster.name, to_create);
  NKD_RETURN_IF_ERROR_WRAP(create_missing(run, to_create), "cluster " + cluster.name);
  counts.created = static_cast<int>(to_create.size());
  // Outside a maintenance window replaces and deletes wait; creates above went ahead.
  std::vector<std::string> held;
  if (!hooks.disturbing_allowed()) {
    for (const plan::NodeDecision* replace : decided.of(plan::NodeAction::kReplace)) {
      held.push_back("replace " + replace->name);
    }
    for (const plan::NodeDecision* surplus : decided.of(plan::NodeAction::kDelete)) {
      held.push_back("delete " + surplus->name);
    }
  } else {
    // One batch of maxUnavailable workers at a time, each drained first.
    for (const auto& batch : decided.replace_batches()) {
      std::vector<Replacement> replacements;
      for (const plan::NodeDecision* replace : batch) {
        replacements.push_back(Replacement{.node = &plan::rendered_node(render, replace->name),
                                           .server = server_with_id(before, replace->machine_id)});
      }
      const int limit = static_cast<int>(replacements.size());
      NKD_RETURN_IF_ERROR_WRAP(run.replace_all(replacements, limit, hooks),
                               "cluster " + cluster.name);
      counts.replaced += limit;
    }
    for (const plan::NodeDecision* surplus : decided.of(plan::NodeAction::kDelete)) {
      NKD_RETURN_IF_ERROR_WRAP(scale_down(run, server_with_id(before, surplus->machine_id), hooks),
                               "scaling down " + cluster.name);
      ++counts.deleted;
    }
  }
  NKD_ASSIGN_OR_RETURN_WRAP(std::vector<Server> after, run.servers(),
                            "observing cluster " + cluster.name);
  NKD_RETURN_IF_ERROR(run.settle_network(after, render.nodes));
  if (const auto refused = decided.of(plan::NodeAction::kRefuse); !refused.empty()) {
    return plan::control_plane_refusal(cluster.name, refused, "server");
  }
  ApplyOutcome outcome = outcome_of(after, render, counts);
  outcome.decisions = decided.decisions;
  if (!held.empty()) {
    outcome.complete = false;
    outcome.held = std::move(held);
  }
  return outcome;
}

void OpenStackProvider::settle_intents(const std::string& cluster,
                                       const std::vector<const render::NodeRender*>& to_create) {
  // A crashed run's intent whose server turned out to exist is done now.
  Result<std::vector<state::Intent>> pending = intents_.pending_intents(cluster);
  if (!pending) return;  // the creates below record and find their own intents
  for (const state::Intent& intent : *pending) {
    const bool still_missing = std::any_of(to_create.begin(), to_create.end(), [&](const auto* node) {
      return node->node.name == intent.target;
    });
    if (intent.kind == "create-server" && !still_missing) (void)intents_.complete_intent(intent.id);
  }
}

Status OpenStackProvider::create_missing(ClusterApply& run,
                                         const std::vector<const render::NodeRender*>& to_create) {
  for (Result<Server>& result : run.create_all(to_create, options_.max_concurrent_creates)) {
    NKD_RETURN_IF_ERROR(result);
  }
  return ok_status();
}

Status OpenStackProvider::scale_down(ClusterApply& run, const Server& server,
                                     const ApplyHooks& hooks) {
  if (hooks.before_delete) {
    NKD_RETURN_IF_ERROR_WRAP(hooks.before_delete(server.name), "draining " + server.name);
  }
  return run.delete_node(server);
}

Result<std::vector<ObservedNode>> OpenStackProvider::observe(const std::string& cluster) {
  NKD_ASSIGN_OR_RETURN(auto* keystone, keystone_for_cluster(cluster));
  ClusterApply run(*keystone, intents_, options_, cluster);
  NKD_ASSIGN_OR_RETURN_WRAP(std::vector<Server> servers, run.servers(),
                            "observing cluster " + cluster);
  std::vector<ObservedNode> nodes;
  for (const Server& server : servers) nodes.push_back(observed_node(server));
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
    NKD_ASSIGN_OR_RETURN_WRAP(auto* keystone, keystone_for_cloud(cloud),
                              "removing cluster " + cluster);
    ClusterApply run(*keystone, intents_, options_, cluster);
    NKD_ASSIGN_OR_RETURN_WRAP(std::vector<Server> servers, run.servers(),
                              "removing cluster " + cluster + " from cloud " + cloud);
    // Nothing is wanted any more: the planner orders every server as a scale-down would.
    const plan::NodePlan decided =
        plan::plan_nodes({}, observed_machines(servers), {.drain_before_delete = false});
    for (const plan::NodeDecision* surplus : decided.of(plan::NodeAction::kDelete)) {
      NKD_RETURN_IF_ERROR_WRAP(run.delete_node(server_with_id(servers, surplus->machine_id)),
                               "removing cluster " + cluster);
    }
    NKD_RETURN_IF_ERROR(run.remove_network());
  }
  return ok_status();
}

}  // namespace nkd::providers::openstack
