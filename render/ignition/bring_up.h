// The cluster-wide objects the first control-plane node applies once its API answers: the network
// plugin (no node becomes Ready without one) and nkd's own RBAC identity. The node does it itself,
// with the admin.conf kubeadm init wrote, so a cluster comes up whether or not nkd can reach it;
// nkd, when it has cluster access, applies the same objects with the same field manager, so the
// two never conflict.
#pragma once

#include <span>
#include <string>

#include "model/cluster.h"
#include "render/ignition/config_builder.h"

namespace nkd::ignition {

inline constexpr const char* kBringUpUnit = "nkd-bring-up.service";
inline constexpr const char* kBringUpDir = "/etc/kubernetes/nkd/bring-up";
inline constexpr const char* kBringUpDoneMarker = "/var/lib/nkd/bring-up.done";

// One manifest file; `path` is relative ("network/10-calico-crds.yaml") and lands under
// kBringUpDir.
struct BringUpManifest {
  std::string path;
  std::string yaml;
};

// On the init node, when `manifests` is not empty: the files and the one-shot unit that waits for
// the API (bounded by the unit's start timeout) and applies them with server-side apply.
void add_bring_up(ConfigBuilder& builder, const model::Cluster& cluster, const model::Node& node,
                  std::span<const BringUpManifest> manifests);

}  // namespace nkd::ignition
