// calico's per-cluster pieces (the calico-config ConfigMap, calico-kube-controllers and its
// PodDisruptionBudget) and the list of all its manifests.
#include "render/network/calico_parts.h"
#include "render/network/manifest_writer.h"
#include "render/network/pinned_versions.h"
#include "render/network/plugin_manifests.h"

namespace nkd::network {
namespace calico {
namespace {

// The CNI chain install-cni writes to /etc/cni/net.d: calico with its own IPAM and Kubernetes
// policy, then portmap (hostPort) and bandwidth (traffic shaping annotations). install-cni fills
// the __NAME__ placeholders on each node; the MTU stays a bare number, so this is a template,
// not JSON.
constexpr const char* kCniNetworkConfig = R"({
  "name": "k8s-pod-network",
  "cniVersion": "0.3.1",
  "plugins": [
    {
      "type": "calico",
      "log_level": "info",
      "log_file_path": "/var/log/calico/cni/cni.log",
      "datastore_type": "kubernetes",
      "nodename": "__KUBERNETES_NODE_NAME__",
      "mtu": __CNI_MTU__,
      "ipam": {"type": "calico-ipam"},
      "policy": {"type": "k8s"},
      "kubernetes": {"kubeconfig": "__KUBECONFIG_FILEPATH__"}
    },
    {"type": "portmap", "snat": true, "capabilities": {"portMappings": true}},
    {"type": "bandwidth", "capabilities": {"bandwidth": true}}
  ]
})";

const Labels kControllersLabels = {{"k8s-app", kKubeControllers}};

std::string config_map_yaml(const PluginInputs& inputs) {
  const EncapsulationSettings settings = encapsulation_settings(inputs.encapsulation);
  YAML::Emitter out;
  begin_object(out, "v1", "ConfigMap", kConfigMap, kNamespace, {});
  out << YAML::Key << "data" << YAML::Value << YAML::BeginMap;
  // No Typha: calico-node talks to the API server directly (fine below a few hundred nodes).
  emit_quoted(out, "typha_service_name", "none");
  emit_quoted(out, "calico_backend", settings.bgp ? "bird" : "vxlan");
  // 0: calico detects the MTU from the host's interfaces and the encapsulation.
  emit_quoted(out, "veth_mtu", "0");
  out << YAML::Key << "cni_network_config" << YAML::Value << YAML::Literal << kCniNetworkConfig;
  out << YAML::EndMap;
  return end_object(out);
}

void emit_controllers_pod_spec(YAML::Emitter& out, const std::string& image_repository) {
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  emit_string_map(out, "nodeSelector", {{"kubernetes.io/os", "linux"}});
  // Control-plane nodes carry the `master` taint before Kubernetes 1.24, `control-plane` after.
  out << YAML::Key << "tolerations" << YAML::Value << YAML::BeginSeq;
  out << YAML::BeginMap << YAML::Key << "key" << YAML::Value << "CriticalAddonsOnly";
  out << YAML::Key << "operator" << YAML::Value << "Exists" << YAML::EndMap;
  for (const char* key :
       {"node-role.kubernetes.io/master", "node-role.kubernetes.io/control-plane"}) {
    out << YAML::BeginMap << YAML::Key << "key" << YAML::Value << key;
    out << YAML::Key << "effect" << YAML::Value << "NoSchedule" << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "serviceAccountName" << YAML::Value << kKubeControllers;
  out << YAML::Key << "securityContext" << YAML::Value << YAML::BeginMap << YAML::Key
      << "seccompProfile" << YAML::Value << YAML::BeginMap << YAML::Key << "type" << YAML::Value
      << "RuntimeDefault" << YAML::EndMap << YAML::EndMap;
  out << YAML::Key << "priorityClassName" << YAML::Value << "system-cluster-critical";
  out << YAML::Key << "containers" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << kKubeControllers;
  emit_quoted(out, "image", image_reference(PluginImage::kCalicoKubeControllers, image_repository));
  out << YAML::Key << "imagePullPolicy" << YAML::Value << "IfNotPresent";
  out << YAML::Key << "env" << YAML::Value << YAML::BeginSeq;
  // The node controller removes IPAM and node data of deleted Kubernetes nodes.
  emit_env_value(out, "ENABLED_CONTROLLERS", "node");
  emit_env_value(out, "DATASTORE_TYPE", "kubernetes");
  out << YAML::EndSeq;
  emit_exec_probe(out, "livenessProbe", {"/usr/bin/check-status", "-l"},
                  {{"periodSeconds", 10},
                   {"initialDelaySeconds", 10},
                   {"failureThreshold", 6},
                   {"timeoutSeconds", 10}});
  emit_exec_probe(out, "readinessProbe", {"/usr/bin/check-status", "-r"}, {{"periodSeconds", 10}});
  out << YAML::Key << "securityContext" << YAML::Value << YAML::BeginMap << YAML::Key
      << "runAsNonRoot" << YAML::Value << true << YAML::EndMap;
  out << YAML::EndMap << YAML::EndSeq << YAML::EndMap;
}

std::string kube_controllers_yaml(const PluginInputs& inputs) {
  YAML::Emitter out;
  begin_object(out, "apps/v1", "Deployment", kKubeControllers, kNamespace, kControllersLabels);
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  // One active instance only; Recreate never runs two during a rollout.
  out << YAML::Key << "replicas" << YAML::Value << 1;
  emit_selector(out, kControllersLabels);
  out << YAML::Key << "strategy" << YAML::Value << YAML::BeginMap << YAML::Key << "type"
      << YAML::Value << "Recreate" << YAML::EndMap;
  out << YAML::Key << "template" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  emit_string_map(out, "labels", kControllersLabels);
  out << YAML::EndMap;
  emit_controllers_pod_spec(out, inputs.image_repository);
  out << YAML::EndMap << YAML::EndMap;
  return end_object(out);
}

// Lets a drain (housekeeper's, or the cluster autoscaler's) evict the single replica.
std::string kube_controllers_budget_yaml() {
  YAML::Emitter out;
  begin_object(out, "policy/v1", "PodDisruptionBudget", kKubeControllers, kNamespace,
               kControllersLabels);
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "maxUnavailable" << YAML::Value << 1;
  emit_selector(out, kControllersLabels);
  out << YAML::EndMap;
  return end_object(out);
}

}  // namespace

EncapsulationSettings encapsulation_settings(model::CalicoEncapsulation choice) {
  switch (choice) {
    case model::CalicoEncapsulation::kVxlan:
      return {"Never", "Always", false};
    case model::CalicoEncapsulation::kVxlanCrossSubnet:
      return {"Never", "CrossSubnet", false};
    case model::CalicoEncapsulation::kIpip:
      return {"Always", "Never", true};
    case model::CalicoEncapsulation::kIpipCrossSubnet:
      return {"CrossSubnet", "Never", true};
    // Unencapsulated pod traffic needs BGP to tell every node where each pod block lives.
    case model::CalicoEncapsulation::kNone:
      return {"Never", "Never", true};
  }
  return {"Never", "Always", false};
}

}  // namespace calico

std::vector<NetworkManifest> calico_manifests(const PluginInputs& inputs) {
  std::vector<NetworkManifest> manifests = calico::crd_manifests();
  const std::vector<NetworkManifest>& rbac = calico::rbac_manifests();
  manifests.insert(manifests.end(), rbac.begin(), rbac.end());
  manifests.push_back({manifest_file_name("40", "config-map", calico::kConfigMap),
                       calico::config_map_yaml(inputs)});
  manifests.push_back(
      {manifest_file_name("50", "daemonset", calico::kNode), calico::node_daemonset_yaml(inputs)});
  manifests.push_back({manifest_file_name("60", "deployment", calico::kKubeControllers),
                       calico::kube_controllers_yaml(inputs)});
  manifests.push_back({manifest_file_name("60", "pod-disruption-budget", calico::kKubeControllers),
                       calico::kube_controllers_budget_yaml()});
  return manifests;
}

}  // namespace nkd::network
