// calico's service accounts and what each may do. calico-node programs the host and reads
// policy; the CNI plugin, running on the host with a token calico-node mints for it, assigns pod
// addresses; calico-kube-controllers garbage-collects IPAM and node data. The tier getter lets
// kube-controller-manager's garbage collector read tiers.
#include "render/network/calico_parts.h"
#include "render/network/manifest_writer.h"

namespace nkd::network::calico {
namespace {

constexpr const char* kCrdGroup = "crd.projectcalico.org";
constexpr const char* kTierGetter = "calico-tier-getter";

// calico-node, for itself and for the CNI plugin's token.
const PolicyRule kNodeRules[] = {
    {.api_groups = {""}, .resources = {"pods", "namespaces"}, .verbs = {"get", "list", "watch"}},
    {.api_groups = {""}, .resources = {"serviceaccounts"}, .verbs = {"list", "watch"}},
    {.api_groups = {""}, .resources = {"nodes"}, .verbs = {"get", "list", "watch"}},
    // Clearing NetworkUnavailable, and calico's own node annotations.
    {.api_groups = {""}, .resources = {"nodes/status"}, .verbs = {"patch", "update"}},
    {.api_groups = {""}, .resources = {"pods/status"}, .verbs = {"patch"}},
    {.api_groups = {""}, .resources = {"endpoints", "services"}, .verbs = {"get", "list", "watch"}},
    // kubeadm's ClusterConfiguration, for pod CIDR detection.
    {.api_groups = {""}, .resources = {"configmaps"}, .verbs = {"get"}},
    {.api_groups = {""},
     .resources = {"serviceaccounts/token"},
     .verbs = {"create"},
     .resource_names = {kCniPlugin}},
    {.api_groups = {"discovery.k8s.io"},
     .resources = {"endpointslices"},
     .verbs = {"list", "watch"}},
    {.api_groups = {"networking.k8s.io"},
     .resources = {"networkpolicies"},
     .verbs = {"list", "watch"}},
    {.api_groups = {"policy.networking.k8s.io"},
     .resources = {"adminnetworkpolicies"},
     .verbs = {"list", "watch"}},
    // The move from host-local IPAM looks for the DaemonSet that still uses it.
    {.api_groups = {"apps"}, .resources = {"daemonsets"}, .verbs = {"get"}},
    {.api_groups = {kCrdGroup},
     .resources = {"globalfelixconfigs", "felixconfigurations", "bgppeers", "bgpfilters",
                   "globalbgpconfigs", "bgpconfigurations", "ippools", "ipreservations",
                   "ipamblocks", "globalnetworkpolicies", "globalnetworksets", "networkpolicies",
                   "networksets", "clusterinformations", "hostendpoints", "blockaffinities",
                   "caliconodestatuses", "tiers"},
     .verbs = {"get", "list", "watch"}},
    // Created on first start: the default pool, Felix and cluster information, tiers.
    {.api_groups = {kCrdGroup},
     .resources = {"ippools", "felixconfigurations", "clusterinformations", "bgpconfigurations",
                   "bgppeers"},
     .verbs = {"create", "update"}},
    {.api_groups = {kCrdGroup}, .resources = {"tiers"}, .verbs = {"create"}},
    {.api_groups = {kCrdGroup}, .resources = {"caliconodestatuses"}, .verbs = {"update"}},
    {.api_groups = {kCrdGroup},
     .resources = {"blockaffinities", "ipamblocks", "ipamhandles"},
     .verbs = {"get", "list", "create", "update", "delete"}},
    {.api_groups = {kCrdGroup}, .resources = {"ipamconfigs"}, .verbs = {"get", "create"}},
};

// The CNI plugin assigns and releases pod addresses.
const PolicyRule kCniPluginRules[] = {
    {.api_groups = {""}, .resources = {"pods", "nodes", "namespaces"}, .verbs = {"get"}},
    {.api_groups = {""}, .resources = {"pods/status"}, .verbs = {"patch"}},
    {.api_groups = {kCrdGroup},
     .resources = {"blockaffinities", "ipamblocks", "ipamhandles", "clusterinformations", "ippools",
                   "ipreservations", "ipamconfigs"},
     .verbs = {"get", "list", "create", "update", "delete"}},
};

// calico-kube-controllers frees the addresses and host endpoints of deleted nodes.
const PolicyRule kKubeControllersRules[] = {
    {.api_groups = {""}, .resources = {"nodes", "pods"}, .verbs = {"get", "list", "watch"}},
    {.api_groups = {kCrdGroup}, .resources = {"ipreservations"}, .verbs = {"list"}},
    {.api_groups = {kCrdGroup},
     .resources = {"blockaffinities", "ipamblocks", "ipamhandles", "tiers"},
     .verbs = {"get", "list", "watch", "create", "update", "delete"}},
    {.api_groups = {kCrdGroup}, .resources = {"ippools"}, .verbs = {"list", "watch"}},
    {.api_groups = {kCrdGroup},
     .resources = {"hostendpoints"},
     .verbs = {"get", "list", "create", "update", "delete"}},
    {.api_groups = {kCrdGroup},
     .resources = {"clusterinformations", "kubecontrollersconfigurations"},
     .verbs = {"get", "list", "watch", "create", "update"}},
};

const PolicyRule kTierGetterRules[] = {
    {.api_groups = {"projectcalico.org"}, .resources = {"tiers"}, .verbs = {"get"}},
};

NetworkManifest cluster_role(const char* name, std::span<const PolicyRule> rules) {
  return {manifest_file_name("20", "cluster-role", name), cluster_role_yaml(name, {}, rules)};
}

NetworkManifest service_account(const char* name) {
  return {manifest_file_name("10", "service-account", name),
          service_account_yaml(name, kNamespace, {})};
}

NetworkManifest binding_to_own_account(const char* name) {
  return {manifest_file_name("30", "cluster-role-binding", name),
          cluster_role_binding_yaml(
              name, {}, {.kind = "ServiceAccount", .name = name, .namespace_name = kNamespace})};
}

std::vector<NetworkManifest> render_rbac() {
  return {
      service_account(kNode),
      service_account(kCniPlugin),
      service_account(kKubeControllers),
      cluster_role(kNode, kNodeRules),
      cluster_role(kCniPlugin, kCniPluginRules),
      cluster_role(kKubeControllers, kKubeControllersRules),
      cluster_role(kTierGetter, kTierGetterRules),
      binding_to_own_account(kNode),
      binding_to_own_account(kCniPlugin),
      binding_to_own_account(kKubeControllers),
      {manifest_file_name("30", "cluster-role-binding", kTierGetter),
       cluster_role_binding_yaml(
           kTierGetter, {},
           {.kind = "User", .name = "system:kube-controller-manager", .namespace_name = ""})},
  };
}

}  // namespace

const std::vector<NetworkManifest>& rbac_manifests() {
  static const std::vector<NetworkManifest> manifests = render_rbac();
  return manifests;
}

}  // namespace nkd::network::calico
