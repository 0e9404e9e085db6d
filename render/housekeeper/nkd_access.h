// nkd's own authorization in a cluster (DESIGN.md §3 "nkd's identity"): nkd's client
// certificate is CN=nkd, O=kNkdGroup, and this RBAC grants that group exactly what nkd does —
// apply and read the housekeeper objects and the network plugin's objects by name, read, label,
// cordon and delete nodes, list pods and evict them, and manage bootstrap-token Secrets in
// kube-system. Installed once at bring-up with the cluster's admin credentials (the first
// control-plane node applies these manifests with admin.conf); deleting the bindings revokes
// nkd. Pure.
#pragma once

#include <string>
#include <vector>

#include "render/housekeeper/housekeeper.h"

namespace nkd::housekeeper {

// The Organization of nkd's client certificate: a group of its own, never system:masters.
inline constexpr const char* kNkdGroup = "nkd:controllers";
inline constexpr const char* kNkdClusterRole = "nkd:controller";
// A Role in kube-system: Secrets are granted there only.
inline constexpr const char* kNkdTokenRole = "nkd:bootstrap-tokens";

// ClusterRole + ClusterRoleBinding (kNkdClusterRole) and Role + RoleBinding (kNkdTokenRole in
// kube-system), all bound to the Group kNkdGroup, in the order to apply them.
[[nodiscard]] std::vector<Manifest> nkd_access_manifests(const model::Cluster& cluster);
// The same, with the cluster's network plugin and housekeeper manifests given (as the render has
// them already) instead of rendered again.
[[nodiscard]] std::vector<Manifest> nkd_access_manifests(const std::vector<Manifest>& network,
                                                         const std::vector<Manifest>& housekeeper);

}  // namespace nkd::housekeeper
