// Housekeeper manifests for one cluster, as NKD's own operator and CRD expect them
// (openeuler-mirror/nestos-kubernetes-deployer, data/data/housekeeper/; DESIGN.md §3 lists every
// deliberate difference): the updates.housekeeper.io CRD, namespace, RBAC, operator Deployment,
// controller DaemonSet(s). The Update object is not part of the render: it is an upgrade
// request whose kubeVersion depends on what the cluster runs (update_yaml). Pure; YAML text
// with a fixed field order.
#pragma once

#include <string>
#include <vector>

#include "model/cluster.h"
#include "render/manifest.h"

namespace nkd::housekeeper {

inline constexpr const char* kNamespace = "housekeeper-system";
inline constexpr const char* kOperatorName = "housekeeper-operator-manager";
inline constexpr const char* kControllerName = "housekeeper-controller-manager";
// The name NKD's `upgrade` command gives the Update (cmd/upgrade.go).
inline constexpr const char* kUpdateName = "housekeeper-upgrade";
// The label housekeeper's operator picks control-plane nodes by (pkg/constants). kubeadm stopped
// setting it in v1.24, so nkd sets it on control-plane nodes itself.
inline constexpr const char* kMasterLabel = "node-role.kubernetes.io/master";
inline constexpr const char* kImageRepository = "hub.oepkgs.net/nestos/housekeeper";
inline constexpr const char* kImageTag = "0.1.0";

using Manifest = render::Manifest;

// NKD's published images: <kImageRepository>/<arch>/<name>:<kImageTag>.
[[nodiscard]] std::string default_operator_image(model::Arch arch);
[[nodiscard]] std::string default_controller_image(model::Arch arch);
// The architectures of the cluster's nodes, the first control-plane node's first (it runs the
// operator), each once.
[[nodiscard]] std::vector<model::Arch> node_arches(const model::Cluster& cluster);

[[nodiscard]] std::vector<Manifest> manifests(const model::Cluster& cluster);

// The Update object (housekeeper.io/v1alpha1, kUpdateName in kNamespace) with exactly the
// CRD's four fields. kubeVersion is the definition's kubernetes.version when
// `upgrade_kubernetes`, else "" (an OS-only upgrade: housekeeper then checks the OS stamp, not
// the Kubernetes one). nkd's drain timeout is not part of it: nkd keeps it.
[[nodiscard]] std::string update_yaml(const model::Cluster& cluster, bool upgrade_kubernetes);

}  // namespace nkd::housekeeper
