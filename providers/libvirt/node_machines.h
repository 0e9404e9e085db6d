// How a libvirt domain stands for a node: the names of its domain and volumes, the nkd metadata
// it carries, and what the planner and the reconciler are told about it. Pure, so it is tested
// without libvirt.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/cluster.h"
#include "plan/node_plan.h"
#include "providers/libvirt/domain_xml.h"
#include "providers/libvirt/libvirt_host.h"
#include "providers/provider.h"
#include "render/render.h"

namespace nkd::providers::libvirt {

// The volumes nkd makes for a node in the cluster's storage pool: its disk (a copy-on-write
// overlay of the base volume, or a copy of it) and the file QEMU hands the guest as Ignition.
[[nodiscard]] std::string disk_volume_name(const std::string& node);
[[nodiscard]] std::string ignition_volume_name(const std::string& node);

// libvirt's name of a node's architecture (x86_64, aarch64).
[[nodiscard]] const char* libvirt_arch(model::Arch arch);

[[nodiscard]] std::uint64_t gib_to_bytes(int gib);

// The metadata of the domain made for `node` (DESIGN.md §9).
[[nodiscard]] NodeMetadata node_metadata(const std::string& cluster,
                                         const render::NodeRender& node);

// The domain of `node`: sized by its pool, booting `disk_volume` with `ignition_path` as its
// Ignition.
[[nodiscard]] DomainSpec domain_spec(const std::string& cluster,
                                     const model::LibvirtPlatform& platform,
                                     const render::NodeRender& node, const std::string& disk_format,
                                     const std::string& ignition_path);

// What the planner needs to know of `domain` (plan/node_plan.h): its pool and role, whether it
// failed (crashed, or could not start), and what it was built from.
[[nodiscard]] plan::ObservedMachine observed_machine(const Domain& domain);
[[nodiscard]] std::vector<plan::ObservedMachine> observed_machines(
    const std::vector<Domain>& domains);
// What the reconciler records of `domain`: running is provisioned, failed is an error.
[[nodiscard]] ObservedNode observed_node(const Domain& domain);

}  // namespace nkd::providers::libvirt
