#include "providers/openstack/cluster_apply.h"

#include <atomic>
#include <set>

#include <nlohmann/json.hpp>

#include "providers/openstack/api_util.h"

namespace nkd::providers::openstack {

ObservedNode observed_node(const Server& server) {
  auto value = [&](const char* key) {
    auto found = server.metadata.find(key);
    return found == server.metadata.end() ? std::string() : found->second;
  };
  using state::NodeState;
  const NodeState state = server.status == "ACTIVE"  ? NodeState::kProvisioned
                          : server.status == "ERROR" ? NodeState::kError
                          : server.status == "DELETED" || server.status == "SOFT_DELETED"
                              ? NodeState::kDeleting
                              : NodeState::kProvisioning;
  return ObservedNode{.name = server.name,
                      .pool = value(kPoolKey),
                      .role = value("nkd.role"),
                      .provider_id = server.id,
                      .config_digest = value(kDigestKey),
                      .state = state};
}

namespace {

std::string metadata_value(const Server& server, const char* key) {
  const auto found = server.metadata.find(key);
  return found == server.metadata.end() ? std::string() : found->second;
}

bool from_earlier_epoch(const Server& server) {
  // Servers with a boot digest but no epoch were made by the release before epochs existed.
  const auto epoch = server.metadata.find(kEpochKey);
  if (epoch != server.metadata.end()) return epoch->second != kRenderEpoch;
  return server.metadata.contains(kBootKey);
}

}  // namespace

std::map<std::string, std::string> server_metadata(const std::string& cluster,
                                                   const render::NodeRender& node) {
  std::map<std::string, std::string> metadata = {{kClusterKey, cluster},
                                                 {kNodeKey, node.node.name},
                                                 {kDigestKey, node.ignition_sha256},
                                                 {kEpochKey, kRenderEpoch},
                                                 {kPoolKey, node.node.pool},
                                                 {kRoleKey, model::to_string(node.node.role)}};
  if (!node.boot_digest.empty()) metadata[kBootKey] = node.boot_digest.get();
  return metadata;
}

plan::ObservedMachine observed_machine(const Server& server) {
  std::optional<model::PoolRole> role;
  const std::string role_name = metadata_value(server, kRoleKey);
  if (role_name == model::to_string(model::PoolRole::kControlPlane)) {
    role = model::PoolRole::kControlPlane;
  } else if (role_name == model::to_string(model::PoolRole::kWorker)) {
    role = model::PoolRole::kWorker;
  }
  plan::RecordedBoot recorded{.config_digest = metadata_value(server, kDigestKey),
                              .from_earlier_render_epoch = from_earlier_epoch(server)};
  if (server.metadata.contains(kBootKey)) {
    recorded.boot_digest = render::LazyString::of(metadata_value(server, kBootKey));
  }
  return plan::ObservedMachine{.name = server.name,
                               .id = server.id,
                               .pool = metadata_value(server, kPoolKey),
                               .role = role,
                               .failed = server.status == "ERROR",
                               .recorded = std::move(recorded)};
}

std::vector<plan::ObservedMachine> observed_machines(const std::vector<Server>& servers) {
  std::vector<plan::ObservedMachine> machines;
  machines.reserve(servers.size());
  for (const Server& server : servers) machines.push_back(observed_machine(server));
  return machines;
}

plan::NodePlan plan_servers(const model::Cluster& cluster, const render::ClusterRender& render,
                            const std::vector<Server>& servers, bool drain_before_delete) {
  return plan::plan_nodes(plan::desired_nodes(render), observed_machines(servers),
                          plan::policy_for(cluster, drain_before_delete));
}

ClusterApply::ClusterApply(Keystone& keystone, state::IntentLog& intents,
                           const OpenStackProviderOptions& options, std::string cluster)
    : compute_(keystone),
      network_(keystone),
      ports_(network_, cluster),
      image_(keystone),
      intents_(intents),
      options_(options),
      cluster_(std::move(cluster)) {}

Status ClusterApply::check_image_arch(const std::string& image,
                                     const std::vector<render::NodeRender>& nodes) {
  NKD_ASSIGN_OR_RETURN(std::string architecture, image_.architecture(image_id_));
  if (architecture.empty()) return ok_status();  // the image does not say: nothing to check
  const std::optional<model::Arch> image_arch = model::arch_from_string(architecture);
  for (const render::NodeRender& node : nodes) {
    if (image_arch == node.node.arch) continue;
    return Error{ErrorCode::kInvalidArgument,
                 "image '" + image + "' is built for " + architecture +
                     " (its Glance architecture property), but node " + node.node.name + " (pool " +
                     node.node.pool + ") runs " + model::to_string(node.node.arch) +
                     ": its housekeeper images and OS updates would not match the machine; "
                     "set spec.os.arch (or the pool's arch) to the image's, or name an image "
                     "built for " +
                     model::to_string(node.node.arch)};
  }
  return ok_status();
}

Status ClusterApply::resolve(const model::OpenStackPlatform& platform, const std::string& virtual_ip,
                             const std::vector<render::NodeRender>& nodes) {
  platform_ = platform;
  const std::string what = "cluster " + cluster_;
  NKD_ASSIGN_OR_RETURN_WRAP(std::string image, image_.resolve_image(platform.image), what);
  image_id_ = image;
  NKD_RETURN_IF_ERROR_WRAP(check_image_arch(platform.image, nodes), what);
  ClusterNetworkSettings network{.virtual_ip = virtual_ip};
  NKD_ASSIGN_OR_RETURN_WRAP(std::string network_id, network_.resolve_network(platform.network),
                            what);
  network.network_id = network_id;
  if (!platform.external_network.empty()) {
    NKD_ASSIGN_OR_RETURN_WRAP(std::string external,
                              network_.resolve_network(platform.external_network), what);
    network.external_network_id = external;
  }
  for (const std::string& group : platform.security_groups) {
    NKD_ASSIGN_OR_RETURN_WRAP(std::string id, network_.resolve_security_group(group), what);
    network.security_group_ids.push_back(id);
  }
  for (const render::NodeRender& node : nodes) {
    if (network.first_control_plane.empty() && node.node.role == model::PoolRole::kControlPlane) {
      network.first_control_plane = node.node.name;
    }
    const std::string flavor = node.node.flavor.empty() ? platform.flavor : node.node.flavor;
    if (flavor_ids_.contains(flavor)) continue;
    NKD_ASSIGN_OR_RETURN_WRAP(std::string id, compute_.resolve_flavor(flavor), what);
    flavor_ids_[flavor] = id;
  }
  ports_.configure(std::move(network));
  return ok_status();
}

Status ClusterApply::reserve_virtual_ip() {
  const std::string target = vip_port_name(cluster_);
  NKD_ASSIGN_OR_RETURN(std::vector<state::Intent> pending, intents_.pending_intents(cluster_));
  std::vector<std::int64_t> intents;  // a crashed run's, then this run's
  for (const state::Intent& intent : pending) {
    if (intent.kind == "create-port" && intent.target == target) intents.push_back(intent.id);
  }
  const std::string& address = ports_.settings().virtual_ip;
  // The intent is recorded only when the port must be made, just before the request.
  auto record_intent = [&]() -> Status {
    if (!intents.empty()) return ok_status();
    NKD_ASSIGN_OR_RETURN(
        std::int64_t added,
        intents_.add_intent(state::Intent{.cluster = cluster_,
                                          .kind = "create-port",
                                          .target = target,
                                          .payload = nlohmann::json{{"address", address}}.dump()}));
    intents.push_back(added);
    return ok_status();
  };
  NKD_RETURN_IF_ERROR_WRAP(ports_.reserve_virtual_ip(record_intent), "cluster " + cluster_);
  // Done, or no longer wanted (the virtual IP left the definition).
  for (std::int64_t id : intents) {
    NKD_RETURN_IF_ERROR(intents_.complete_intent(id));
  }
  return ok_status();
}

Status ClusterApply::settle_network(const std::vector<Server>& servers,
                                    const std::vector<render::NodeRender>& desired) {
  std::vector<std::string> control_plane;
  std::set<std::string> keep;
  for (const Server& server : servers) {
    keep.insert(server.name);
    auto role = server.metadata.find(kRoleKey);
    if (role != server.metadata.end() && role->second == model::to_string(model::PoolRole::kControlPlane)) {
      control_plane.push_back(server.id);
    }
  }
  for (const render::NodeRender& node : desired) keep.insert(node.node.name);
  NKD_RETURN_IF_ERROR_WRAP(ports_.settle(control_plane, keep), "cluster " + cluster_ + ": network");
  return ok_status();
}

Status ClusterApply::remove_network() {
  NKD_RETURN_IF_ERROR_WRAP(ports_.remove_all(),
                           "removing the ports and floating IPs of cluster " + cluster_);
  return ok_status();
}

Result<std::vector<Server>> ClusterApply::servers() {
  return compute_.list_servers(cluster_ + "-", {{kClusterKey, cluster_}});
}

Result<std::optional<Server>> ClusterApply::find_server(const std::string& node_name) {
  NKD_ASSIGN_OR_RETURN(
      std::vector<Server> found,
      compute_.list_servers(node_name, {{kClusterKey, cluster_}, {kNodeKey, node_name}}));
  std::optional<Server> best;
  for (Server& server : found) {
    if (server.name != node_name) continue;
    // Prefer a healthy server over one in ERROR when both exist.
    if (!best || (best->status == "ERROR" && server.status != "ERROR")) best = std::move(server);
  }
  return best;
}

Result<Server> ClusterApply::create_once(const render::NodeRender& node) {
  // Several replicas: one that lost the cluster since its intent makes no call for it.
  NKD_RETURN_IF_ERROR_WRAP(intents_.confirm_owner(cluster_), "creating node " + node.node.name);
  const model::Node& target = node.node;
  ServerSpec spec{.name = target.name,
                  .flavor_id = flavor_ids_.at(target.flavor.empty() ? platform_.flavor : target.flavor),
                  .image_id = image_id_,
                  .security_groups = platform_.security_groups,
                  .availability_zone = platform_.availability_zone,
                  .metadata = server_metadata(cluster_, node),
                  .user_data = node.needs_pointer ? node.pointer_ignition : node.ignition};
  // Port first: its name and tags find it again after any crash, and the server boots on it.
  NKD_ASSIGN_OR_RETURN(Port port, ports_.node_port(target));
  spec.port_ids.push_back(port.id);
  const int attempts = std::max(1, options_.retry.max_attempts);
  Error last{ErrorCode::kInternal, "no attempt made"};
  for (int attempt = 0; attempt < attempts; ++attempt) {
    Result<Server> created = compute_.create_server(spec);
    if (created) return created;
    last = created.error();
    if (last.code == ErrorCode::kQuotaExceeded || last.code == ErrorCode::kInvalidArgument ||
        last.code == ErrorCode::kPermissionDenied) {
      return last;
    }
    // A conflict, a lost answer or a 5xx: the server may exist after all, so look before retrying;
    // when even the lookup fails, sending again could make a second server: stop here instead.
    Result<std::optional<Server>> found = find_server(target.name);
    if (!found) {
      return Error{last.code, last.message + "; looking server " + target.name +
                                  " up afterwards failed too (" + found.error().message +
                                  "); the next apply looks again before any new create",
                   last.retry_override};
    }
    if (found->has_value()) return **found;
    // After a timeout or a broken connection, Nova may still be working on the request, so a
    // lookup that finds nothing proves nothing yet: leave the resend to a later apply, which
    // looks again first. Only an answer that says the create was not done (5xx, 409) is resent.
    if (last.code == ErrorCode::kTimeout || last.code == ErrorCode::kUnavailable) {
      return Error{last.code, last.message + "; server " + target.name +
                                  " not found afterwards, but the request may still be under "
                                  "way: the next apply looks again before any new create",
                   last.retry_override};
    }
    compute_.clock().sleep_for(options_.poll_interval * (attempt + 1));
  }
  return last;
}

Result<Server> ClusterApply::create_with_recreates(const render::NodeRender& node) {
  const std::string& name = node.node.name;
  std::string last_fault;
  for (int attempt = 0; attempt <= options_.max_error_recreates; ++attempt) {
    if (attempt > 0) compute_.clock().sleep_for(options_.recreate_backoff * (1 << (attempt - 1)));
    NKD_ASSIGN_OR_RETURN(std::optional<Server> found, find_server(name));
    NKD_ASSIGN_OR_RETURN(Server server,
                         found.has_value() ? Result<Server>(*found) : create_once(node));
    if (server.status != "ACTIVE" && server.status != "ERROR") {
      NKD_ASSIGN_OR_RETURN(server, compute_.wait_for_server(server.id, options_.active_timeout,
                                                            options_.poll_interval));
    }
    if (server.status == "ACTIVE") return server;
    last_fault = server.fault.empty() ? "no fault given" : server.fault;
    NKD_RETURN_IF_ERROR(delete_node(server));
    // Creates in one burst can pass Nova's API quota check; the conductor's recheck then puts the
    // surplus into ERROR. That is a quota failure, not one to retry at once.
    if (!quota_name(last_fault).empty()) {
      return Error{ErrorCode::kQuotaExceeded, "server " + name + ": quota exceeded for " +
                                                  quota_name(last_fault) + " (" + last_fault +
                                                  "); raise the project's quota or lower the replicas"};
    }
  }
  return Error{ErrorCode::kUnavailable,
               "server " + name + " ended in ERROR " + std::to_string(options_.max_error_recreates + 1) +
                   " times (last fault: " + last_fault +
                   "); check the flavor against the cloud's capacity"};
}

Result<Server> ClusterApply::create_node(const render::NodeRender& node) {
  // The intent is recorded before any request; a pending one from a crashed run is reused.
  // Several replicas: only the owner reuses one, or records one.
  NKD_RETURN_IF_ERROR_WRAP(intents_.confirm_owner(cluster_), "creating node " + node.node.name);
  std::int64_t intent_id = 0;
  std::int64_t recorded_at_ms = 0;
  NKD_ASSIGN_OR_RETURN(std::vector<state::Intent> pending, intents_.pending_intents(cluster_));
  for (const state::Intent& intent : pending) {
    if (intent.kind == "create-server" && intent.target == node.node.name) {
      intent_id = intent.id;
      recorded_at_ms = intent.created_at_ms;
    }
  }
  const std::int64_t now_ms = compute_.clock().now_unix_ms();
  if (intent_id == 0) {
    NKD_ASSIGN_OR_RETURN(std::int64_t added,
                         intents_.add_intent(state::Intent{
                             .cluster = cluster_,
                             .kind = "create-server",
                             .target = node.node.name,
                             .payload = nlohmann::json{{"digest", node.ignition_sha256}}.dump(),
                             .created_at_ms = now_ms}));
    intent_id = added;
  } else if (recorded_at_ms > 0 &&
             now_ms - recorded_at_ms < options_.inherited_create_grace.count()) {
    NKD_RETURN_IF_ERROR(await_inherited_create(node.node.name, now_ms - recorded_at_ms));
  }
  NKD_ASSIGN_OR_RETURN_WRAP(Server server, create_with_recreates(node),
                            "creating node " + node.node.name);
  NKD_RETURN_IF_ERROR(intents_.complete_intent(intent_id));
  return server;
}

// Another run's create of `name` (one that crashed, or a replica that lost the cluster) may still
// reach Nova: until it is older than the grace, a server not found yet is waited for, not made
// again, which would give the node two servers.
Status ClusterApply::await_inherited_create(const std::string& name, std::int64_t age_ms) {
  NKD_ASSIGN_OR_RETURN(std::optional<Server> found, find_server(name));
  if (found.has_value()) return ok_status();
  const std::int64_t wait_ms = options_.inherited_create_grace.count() - age_ms;
  return Error{ErrorCode::kUnavailable,
               "node " + name + ": a create recorded " + std::to_string(age_ms / 1000) +
                   " s ago by another run may still reach Nova; looking again in " +
                   std::to_string((wait_ms + 999) / 1000) + " s before making the server",
               Retry::waiting(wait_ms)};
}

std::vector<Result<Server>> ClusterApply::create_all(
    const std::vector<const render::NodeRender*>& nodes, int limit) {
  std::vector<Result<Server>> results(nodes.size(), Error{ErrorCode::kInternal, "not attempted"});
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < nodes.size(); i = next++) results[i] = create_node(*nodes[i]);
  };
  std::vector<std::jthread> workers;
  const std::size_t count = std::min<std::size_t>(std::max(1, limit), nodes.size());
  for (std::size_t i = 0; i < count; ++i) workers.emplace_back(worker);
  workers.clear();  // joins
  return results;
}

Status ClusterApply::replace_node(const Replacement& replacement, const ApplyHooks& hooks) {
  const std::string& name = replacement.node->node.name;
  if (hooks.before_delete) {
    std::lock_guard lock(hook_mutex_);
    NKD_RETURN_IF_ERROR_WRAP(hooks.before_delete(name), "replacing node " + name + ": draining it");
  }
  NKD_RETURN_IF_ERROR_WRAP(delete_node(replacement.server),
                           "replacing node " + name + ": deleting server " + replacement.server.id);
  NKD_RETURN_IF_ERROR_WRAP(create_node(*replacement.node), "replacing node " + name);
  return ok_status();
}

Status ClusterApply::replace_all(const std::vector<Replacement>& replacements, int limit,
                                 const ApplyHooks& hooks) {
  std::vector<Status> results(replacements.size(), ok_status());
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  auto worker = [&] {
    for (std::size_t i = next++; i < replacements.size() && !failed; i = next++) {
      results[i] = replace_node(replacements[i], hooks);
      if (!results[i]) failed = true;
    }
  };
  std::vector<std::jthread> workers;
  const std::size_t count = std::min<std::size_t>(std::max(1, limit), replacements.size());
  for (std::size_t i = 0; i < count; ++i) workers.emplace_back(worker);
  workers.clear();  // joins
  for (const Status& result : results) {
    if (!result) return result;
  }
  return ok_status();
}

Status ClusterApply::delete_node(const Server& server) {
  NKD_RETURN_IF_ERROR_WRAP(intents_.confirm_owner(cluster_), "deleting node " + server.name);
  NKD_ASSIGN_OR_RETURN(std::vector<Port> ports, ports_.node_ports(server.name));
  NKD_RETURN_IF_ERROR(ports_.release_floating_ips(ports));
  NKD_RETURN_IF_ERROR(compute_.delete_server(server.id));
  NKD_RETURN_IF_ERROR(
      compute_.wait_for_deletion(server.id, options_.delete_timeout, options_.poll_interval));
  // Nova leaves a port it did not make; nkd made it, so it goes too.
  return ports_.delete_ports(ports);
}

}  // namespace nkd::providers::openstack
