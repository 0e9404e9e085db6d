#include "providers/libvirt/cluster_run.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "providers/libvirt/node_machines.h"

namespace nkd::providers::libvirt {

namespace {

// Pool types whose volumes are files qemu-img can layer: a node disk is then a qcow2 overlay.
bool keeps_files(const std::string& pool_type) {
  return pool_type == "dir" || pool_type == "fs" || pool_type == "netfs";
}

// Whether `volume` (a volume of a domain's disk) is one nkd made for `node`.
bool is_node_volume(const std::string& volume, const std::string& node) {
  return volume == disk_volume_name(node) || volume == ignition_volume_name(node);
}

}  // namespace

Status ClusterRun::prepare(const model::LibvirtPlatform& platform) {
  platform_ = platform;
  const std::string what = "cluster " + cluster_;
  NKD_ASSIGN_OR_RETURN_WRAP(std::string type, host_.pool_type(platform.storage_pool), what);
  copy_on_write_ = keeps_files(type);
  NKD_ASSIGN_OR_RETURN_WRAP(std::optional<Volume> base,
                            host_.find_volume(platform.storage_pool, platform.base_volume), what);
  if (!base) {
    return Error{ErrorCode::kNotFound, what + ": base volume '" + platform.base_volume +
                                           "' is not in storage pool '" + platform.storage_pool +
                                           "' of connection '" + host_.name() +
                                           "'; upload the OS image there (virsh vol-upload) or fix "
                                           "spec.platform.libvirt.baseVolume"};
  }
  base_ = std::move(*base);
  if (base_.format.empty()) base_.format = "raw";
  return ok_status();
}

Result<std::vector<Domain>> ClusterRun::domains() {
  NKD_ASSIGN_OR_RETURN_WRAP(std::vector<Domain> found, host_.cluster_domains(cluster_),
                            "observing cluster " + cluster_);
  std::sort(found.begin(), found.end(),
            [](const Domain& a, const Domain& b) { return a.name < b.name; });
  return found;
}

Status ClusterRun::make_disk(const render::NodeRender& node) {
  const std::string& pool = platform_.storage_pool;
  const std::string name = disk_volume_name(node.node.name);
  const std::uint64_t wanted = gib_to_bytes(platform_.size_of(node.node.pool).disk_gib);
  if (wanted < base_.capacity_bytes) {
    return Error{ErrorCode::kInvalidArgument,
                 "node " + node.node.name + ": a disk of " +
                     std::to_string(platform_.size_of(node.node.pool).disk_gib) +
                     " GiB is smaller than base volume '" + base_.name + "' (" +
                     std::to_string(base_.capacity_bytes) +
                     " bytes); raise diskGiB in spec.platform.libvirt"};
  }
  // No domain has this name (the caller looked): a disk left by an earlier try may have been
  // booted, and Ignition would not run again on it, so it is made anew.
  NKD_RETURN_IF_ERROR(host_.delete_volume(pool, name));
  if (copy_on_write_) {
    return host_.create_volume(pool, overlay_volume_xml(name, wanted, base_.path, base_.format));
  }
  // Pools that size a copy as asked (logical) need no resize; the others copy the base's size.
  NKD_RETURN_IF_ERROR(
      host_.clone_volume(pool, plain_volume_xml(name, wanted, base_.format), base_.name));
  NKD_ASSIGN_OR_RETURN(std::optional<Volume> made, host_.find_volume(pool, name));
  if (made && made->capacity_bytes >= wanted) return ok_status();
  return host_.resize_volume(pool, name, wanted);
}

Result<std::string> ClusterRun::make_ignition(const render::NodeRender& node) {
  const std::string& pool = platform_.storage_pool;
  const std::string name = ignition_volume_name(node.node.name);
  NKD_RETURN_IF_ERROR(host_.delete_volume(pool, name));
  NKD_RETURN_IF_ERROR(
      host_.create_volume(pool, plain_volume_xml(name, node.ignition.size(), "raw")));
  // The test driver keeps no contents; everywhere else the upload is what the guest reads.
  if (!host_.is_test_driver()) NKD_RETURN_IF_ERROR(host_.upload(pool, name, node.ignition));
  NKD_ASSIGN_OR_RETURN(std::optional<Volume> made, host_.find_volume(pool, name));
  if (!made) {
    return Error{ErrorCode::kUnavailable,
                 "volume '" + name + "' of pool '" + pool + "' vanished right after it was made"};
  }
  return made->path;
}

Status ClusterRun::make_domain(const render::NodeRender& node) {
  NKD_RETURN_IF_ERROR(make_disk(node));
  NKD_ASSIGN_OR_RETURN(std::string ignition_path, make_ignition(node));
  const std::string disk_format = copy_on_write_ ? "qcow2" : base_.format;
  return host_.define_and_start(
      node.node.name,
      domain_xml(domain_spec(cluster_, platform_, node, disk_format, ignition_path)));
}

Status ClusterRun::create_node(const render::NodeRender& node) {
  const std::string& name = node.node.name;
  // The intent is recorded before anything is made; a pending one from a crashed run is reused.
  std::int64_t intent_id = 0;
  NKD_ASSIGN_OR_RETURN(std::vector<state::Intent> pending, intents_.pending_intents(cluster_));
  for (const state::Intent& intent : pending) {
    if (intent.kind == kCreateDomainIntent && intent.target == name) intent_id = intent.id;
  }
  if (intent_id == 0) {
    const nlohmann::json payload{{"connection", host_.name()},
                                 {"pool", platform_.storage_pool},
                                 {"digest", node.ignition_sha256}};
    NKD_ASSIGN_OR_RETURN(intent_id, intents_.add_intent(state::Intent{.cluster = cluster_,
                                                                      .kind = kCreateDomainIntent,
                                                                      .target = name,
                                                                      .payload = payload.dump()}));
  }
  const std::string what = "creating node " + name;
  // Several replicas: one that lost the cluster since its intent makes no call for it.
  NKD_RETURN_IF_ERROR_WRAP(intents_.confirm_owner(cluster_), what);
  NKD_ASSIGN_OR_RETURN_WRAP(std::optional<Domain> found, host_.find_domain(name), what);
  if (found && (!found->metadata || found->metadata->cluster != cluster_)) {
    return Error{ErrorCode::kConflict,
                 what + ": connection '" + host_.name() + "' has a domain " + name +
                     " that nkd did not make for cluster " + cluster_ +
                     " (no matching nkd metadata); rename or remove it, nkd leaves it alone"}
        .with_retry(Retry::stalled());
  }
  if (found && found->state == DomainState::kFailed) {
    NKD_RETURN_IF_ERROR_WRAP(delete_node(name), what + ": removing its failed domain");
    found.reset();
  }
  if (!found) {
    NKD_RETURN_IF_ERROR_WRAP(make_domain(node), what);
  } else if (found->state != DomainState::kRunning) {
    NKD_RETURN_IF_ERROR_WRAP(host_.start(name), what);
  }
  return intents_.complete_intent(intent_id);
}

Status ClusterRun::delete_node_volumes(const std::string& pool, const std::string& node) {
  NKD_RETURN_IF_ERROR(host_.delete_volume(pool, disk_volume_name(node)));
  return host_.delete_volume(pool, ignition_volume_name(node));
}

Status ClusterRun::delete_node(const std::string& name) {
  const std::string what = "deleting node " + name;
  NKD_ASSIGN_OR_RETURN_WRAP(std::optional<Domain> found, host_.find_domain(name), what);
  DomainVolumes volumes;
  if (found) {
    NKD_ASSIGN_OR_RETURN_WRAP(volumes, host_.domain_volumes(name), what);
    NKD_RETURN_IF_ERROR_WRAP(host_.destroy_and_undefine(name), what);
  }
  // Only the node's own volumes: a disk that names the base volume (or anything else) stays.
  for (const auto& [pool, volume] : volumes.disks) {
    if (is_node_volume(volume, name))
      NKD_RETURN_IF_ERROR_WRAP(host_.delete_volume(pool, volume), what);
  }
  if (!volumes.ignition_path.empty()) {
    NKD_RETURN_IF_ERROR_WRAP(host_.delete_volume_at(volumes.ignition_path), what);
  }
  if (!platform_.storage_pool.empty()) {
    NKD_RETURN_IF_ERROR_WRAP(delete_node_volumes(platform_.storage_pool, name), what);
  }
  return ok_status();
}

Status ClusterRun::settle_intents(const std::vector<const render::NodeRender*>& to_create) {
  NKD_ASSIGN_OR_RETURN(std::vector<state::Intent> pending, intents_.pending_intents(cluster_));
  for (const state::Intent& intent : pending) {
    if (intent.kind != kCreateDomainIntent) continue;
    const bool still_wanted =
        std::any_of(to_create.begin(), to_create.end(),
                    [&](const auto* node) { return node->node.name == intent.target; });
    if (still_wanted) continue;  // create_node() picks it up
    const nlohmann::json payload = nlohmann::json::parse(intent.payload, nullptr, false);
    if (payload.is_object() && payload.value("connection", "") != host_.name()) continue;
    NKD_ASSIGN_OR_RETURN(std::optional<Domain> found, host_.find_domain(intent.target));
    if (!found && payload.is_object()) {
      NKD_RETURN_IF_ERROR(delete_node_volumes(payload.value("pool", ""), intent.target));
    }
    NKD_RETURN_IF_ERROR(intents_.complete_intent(intent.id));
  }
  return ok_status();
}

}  // namespace nkd::providers::libvirt
