#include "providers/libvirt/node_machines.h"

namespace nkd::providers::libvirt {

std::string disk_volume_name(const std::string& node) { return node + "-disk"; }

std::string ignition_volume_name(const std::string& node) { return node + "-ignition"; }

const char* libvirt_arch(model::Arch arch) {
  return arch == model::Arch::kArm64 ? "aarch64" : "x86_64";
}

std::uint64_t gib_to_bytes(int gib) { return static_cast<std::uint64_t>(gib) << 30U; }

NodeMetadata node_metadata(const std::string& cluster, const render::NodeRender& node) {
  return NodeMetadata{.cluster = cluster,
                      .node = node.node.name,
                      .pool = node.node.pool,
                      .role = model::to_string(node.node.role),
                      .digest = node.ignition_sha256,
                      .boot = node.boot_digest.empty() ? "" : node.boot_digest.get(),
                      .epoch = kRenderEpoch};
}

DomainSpec domain_spec(const std::string& cluster, const model::LibvirtPlatform& platform,
                       const render::NodeRender& node, const std::string& disk_format,
                       const std::string& ignition_path) {
  const model::LibvirtMachineSize& size = platform.size_of(node.node.pool);
  return DomainSpec{.name = node.node.name,
                    .domain_type = platform.domain_type,
                    .arch = libvirt_arch(node.node.arch),
                    .vcpus = size.vcpus,
                    .memory_mib = size.memory_mib,
                    .disk_pool = platform.storage_pool,
                    .disk_volume = disk_volume_name(node.node.name),
                    .disk_format = disk_format,
                    .ignition_path = ignition_path,
                    .network = platform.network,
                    .metadata = node_metadata(cluster, node)};
}

plan::ObservedMachine observed_machine(const Domain& domain) {
  const NodeMetadata metadata = domain.metadata.value_or(NodeMetadata{});
  std::optional<model::PoolRole> role;
  if (metadata.role == model::to_string(model::PoolRole::kControlPlane)) {
    role = model::PoolRole::kControlPlane;
  } else if (metadata.role == model::to_string(model::PoolRole::kWorker)) {
    role = model::PoolRole::kWorker;
  }
  plan::RecordedBoot recorded{
      .config_digest = metadata.digest,
      .from_earlier_render_epoch = !metadata.epoch.empty() && metadata.epoch != kRenderEpoch};
  if (!metadata.boot.empty()) recorded.boot_digest = render::LazyString::of(metadata.boot);
  return plan::ObservedMachine{.name = domain.name,
                               .id = domain.uuid,
                               .pool = metadata.pool,
                               .role = role,
                               .failed = domain.state == DomainState::kFailed,
                               .recorded = std::move(recorded)};
}

std::vector<plan::ObservedMachine> observed_machines(const std::vector<Domain>& domains) {
  std::vector<plan::ObservedMachine> machines;
  machines.reserve(domains.size());
  for (const Domain& domain : domains) machines.push_back(observed_machine(domain));
  return machines;
}

ObservedNode observed_node(const Domain& domain) {
  const NodeMetadata metadata = domain.metadata.value_or(NodeMetadata{});
  using state::NodeState;
  const NodeState state = domain.state == DomainState::kRunning  ? NodeState::kProvisioned
                          : domain.state == DomainState::kFailed ? NodeState::kError
                                                                 : NodeState::kProvisioning;
  return ObservedNode{.name = domain.name,
                      .pool = metadata.pool,
                      .role = metadata.role,
                      .provider_id = domain.uuid,
                      .config_digest = metadata.digest,
                      .state = state};
}

}  // namespace nkd::providers::libvirt
