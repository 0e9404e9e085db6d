#include "providers/libvirt/libvirt_provider.h"

#include <algorithm>
#include <stdexcept>

#include "providers/libvirt/cluster_run.h"
#include "providers/libvirt/node_machines.h"

namespace nkd::providers::libvirt {

namespace {

struct Counts {
  int created = 0;
  int replaced = 0;
  int deleted = 0;
};

ApplyOutcome outcome_of(const std::vector<Domain>& domains, const render::ClusterRender& render,
                        const Counts& counts) {
  std::map<std::string, const Domain*> by_name;
  for (const Domain& domain : domains) by_name[domain.name] = &domain;
  ApplyOutcome outcome{.complete = true};
  for (const render::NodeRender& node : render.nodes) {
    const auto found = by_name.find(node.node.name);
    if (found == by_name.end()) {
      outcome.complete = false;
      continue;
    }
    ObservedNode observed = observed_node(*found->second);
    const std::optional<plan::RecordedBoot> recorded = observed_machine(*found->second).recorded;
    outcome.complete = outcome.complete && observed.state == state::NodeState::kProvisioned &&
                       plan::boots_as_rendered(*recorded, plan::desired_node(node));
    outcome.nodes.push_back(std::move(observed));
  }
  outcome.message = "libvirt: " + std::to_string(outcome.nodes.size()) + " domains, " +
                    std::to_string(counts.created) + " created, " +
                    std::to_string(counts.replaced) + " replaced, " +
                    std::to_string(counts.deleted) + " deleted";
  return outcome;
}

}  // namespace

LibvirtProvider::LibvirtProvider(LibvirtSettings settings, const Clock& clock,
                                 state::IntentLog& intents, metrics::Metrics* metrics)
    : settings_(std::move(settings)), clock_(clock), intents_(intents), metrics_(metrics) {}

LibvirtProvider::~LibvirtProvider() = default;

Result<std::shared_ptr<LibvirtHost>> LibvirtProvider::host(const std::string& connection) {
  const auto settings = settings_.connections.find(connection);
  if (settings == settings_.connections.end()) {
    return Error{ErrorCode::kInvalidArgument,
                 "libvirt connection '" + connection +
                     "' is not configured; add it under libvirt.connections in syncd.yaml or "
                     "name one that is"};
  }
  std::lock_guard lock(mutex_);
  if (const auto open = hosts_.find(connection); open != hosts_.end() && open->second->alive()) {
    return open->second;
  }
  NKD_ASSIGN_OR_RETURN(std::unique_ptr<LibvirtHost> opened,
                       LibvirtHost::open(connection, settings->second, metrics_, clock_));
  std::shared_ptr<LibvirtHost> shared = std::move(opened);
  hosts_[connection] = shared;
  return shared;
}

Result<ApplyOutcome> LibvirtProvider::apply(const model::Cluster& cluster,
                                            const render::ClusterRender& render,
                                            const ApplyHooks& hooks) {
  const auto* platform = std::get_if<model::LibvirtPlatform>(&cluster.platform);
  if (platform == nullptr) {
    return Error{ErrorCode::kInvalidArgument,
                 "cluster " + cluster.name + " is not a libvirt cluster; wrong provider"};
  }
  NKD_ASSIGN_OR_RETURN_WRAP(std::shared_ptr<LibvirtHost> host, host(platform->connection),
                            "cluster " + cluster.name);
  {
    std::lock_guard lock(mutex_);
    cluster_connections_[cluster.name] = platform->connection;
  }
  ClusterRun run(*host, intents_, cluster.name);
  NKD_RETURN_IF_ERROR(run.prepare(*platform));
  NKD_ASSIGN_OR_RETURN(std::vector<Domain> before, run.domains());

  const plan::NodePlan decided =
      plan::plan_nodes(plan::desired_nodes(render), observed_machines(before),
                       plan::policy_for(cluster, static_cast<bool>(hooks.before_delete)));
  Counts counts;
  std::vector<const render::NodeRender*> to_create;
  for (const plan::NodeDecision* create : decided.of(plan::NodeAction::kCreate)) {
    to_create.push_back(&plan::rendered_node(render, create->name));
  }
  NKD_RETURN_IF_ERROR_WRAP(run.settle_intents(to_create), "cluster " + cluster.name);
  for (const render::NodeRender* node : to_create) {
    NKD_RETURN_IF_ERROR_WRAP(run.create_node(*node), "cluster " + cluster.name);
    ++counts.created;
  }
  // A wanted domain that is shut off (a host reboot, a person) runs again.
  for (const plan::NodeDecision* keep : decided.of(plan::NodeAction::kKeep)) {
    const auto domain = std::find_if(before.begin(), before.end(),
                                     [&](const Domain& d) { return d.name == keep->name; });
    if (domain != before.end() && domain->state == DomainState::kStopped) {
      NKD_RETURN_IF_ERROR_WRAP(run.start(domain->name), "cluster " + cluster.name);
    }
  }
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
    // One batch of maxUnavailable workers at a time, each drained first. The batch is one host's
    // work, so its nodes go one after another; the next batch starts when this one is done.
    for (const auto& batch : decided.replace_batches()) {
      for (const plan::NodeDecision* replacement : batch) {
        NKD_RETURN_IF_ERROR_WRAP(
            replace(run, plan::rendered_node(render, replacement->name), hooks),
            "cluster " + cluster.name);
        ++counts.replaced;
      }
    }
    for (const plan::NodeDecision* surplus : decided.of(plan::NodeAction::kDelete)) {
      NKD_RETURN_IF_ERROR_WRAP(scale_down(run, surplus->name, hooks),
                               "scaling down " + cluster.name);
      ++counts.deleted;
    }
  }
  NKD_ASSIGN_OR_RETURN(std::vector<Domain> after, run.domains());
  if (const auto refused = decided.of(plan::NodeAction::kRefuse); !refused.empty()) {
    return plan::control_plane_refusal(cluster.name, refused, "domain");
  }
  ApplyOutcome outcome = outcome_of(after, render, counts);
  outcome.decisions = decided.decisions;
  if (!held.empty()) {
    outcome.complete = false;
    outcome.held = std::move(held);
  }
  return outcome;
}

Status LibvirtProvider::replace(ClusterRun& run, const render::NodeRender& node,
                                const ApplyHooks& hooks) {
  const std::string& name = node.node.name;
  if (hooks.before_delete) {
    NKD_RETURN_IF_ERROR_WRAP(hooks.before_delete(name), "replacing node " + name + ": draining it");
  }
  NKD_RETURN_IF_ERROR_WRAP(run.delete_node(name), "replacing node " + name);
  NKD_RETURN_IF_ERROR_WRAP(run.create_node(node), "replacing node " + name);
  return ok_status();
}

Status LibvirtProvider::scale_down(ClusterRun& run, const std::string& name,
                                   const ApplyHooks& hooks) {
  if (hooks.before_delete) {
    NKD_RETURN_IF_ERROR_WRAP(hooks.before_delete(name), "draining " + name);
  }
  return run.delete_node(name);
}

Result<std::vector<ObservedNode>> LibvirtProvider::observe(const std::string& cluster) {
  std::string connection;
  {
    std::lock_guard lock(mutex_);
    if (const auto found = cluster_connections_.find(cluster);
        found != cluster_connections_.end()) {
      connection = found->second;
    } else if (settings_.connections.size() == 1) {
      connection = settings_.connections.begin()->first;
    }
  }
  if (connection.empty()) {
    return Error{ErrorCode::kNotFound,
                 "cluster " + cluster +
                     ": no libvirt connection known for it yet and syncd.yaml has several; apply "
                     "the cluster first"};
  }
  NKD_ASSIGN_OR_RETURN(std::shared_ptr<LibvirtHost> open, host(connection));
  ClusterRun run(*open, intents_, cluster);
  NKD_ASSIGN_OR_RETURN(std::vector<Domain> domains, run.domains());
  std::vector<ObservedNode> nodes;
  for (const Domain& domain : domains) nodes.push_back(observed_node(domain));
  return nodes;
}

Status LibvirtProvider::remove(const std::string& cluster) {
  for (const auto& [connection, settings] : settings_.connections) {
    NKD_ASSIGN_OR_RETURN_WRAP(std::shared_ptr<LibvirtHost> open, host(connection),
                              "removing cluster " + cluster);
    ClusterRun run(*open, intents_, cluster);
    NKD_ASSIGN_OR_RETURN_WRAP(std::vector<Domain> domains, run.domains(),
                              "removing cluster " + cluster + " from connection " + connection);
    // Nothing is wanted any more: the planner orders every domain as a scale-down would.
    const plan::NodePlan decided =
        plan::plan_nodes({}, observed_machines(domains), {.drain_before_delete = false});
    for (const plan::NodeDecision* surplus : decided.of(plan::NodeAction::kDelete)) {
      NKD_RETURN_IF_ERROR_WRAP(run.delete_node(surplus->name), "removing cluster " + cluster);
    }
    NKD_RETURN_IF_ERROR_WRAP(run.settle_intents({}), "removing cluster " + cluster);
  }
  std::lock_guard lock(mutex_);
  cluster_connections_.erase(cluster);
  return ok_status();
}

}  // namespace nkd::providers::libvirt
