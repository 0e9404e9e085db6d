// flannel with its Kubernetes subnet manager: flanneld on every node reads the node's podCIDR
// (kube-controller-manager allocates it from podSubnet) and carries pod traffic over VXLAN.
// Learnt from the shape of flannel's kube-flannel.yml at the pinned release.
#include <nlohmann/json.hpp>

#include "render/network/manifest_writer.h"
#include "render/network/pinned_versions.h"
#include "render/network/plugin_manifests.h"

namespace nkd::network {
namespace {

constexpr const char* kNamespace = "kube-flannel";
constexpr const char* kServiceAccount = "flannel";
constexpr const char* kConfigMap = "kube-flannel-cfg";
constexpr const char* kDaemonSet = "kube-flannel-ds";
constexpr const char* kConfigDir = "/etc/kube-flannel/";
constexpr int kHealthPort = 8081;

const Labels kAppLabels = {{"k8s-app", "flannel"}};
const Labels kPodLabels = {{"app", "flannel"}, {"tier", "node"}};

std::string namespace_yaml() {
  YAML::Emitter out;
  // flanneld needs NET_ADMIN and host paths, which the baseline and restricted levels refuse.
  begin_object(out, "v1", "Namespace", kNamespace, "",
               {{"k8s-app", "flannel"}, {"pod-security.kubernetes.io/enforce", "privileged"}});
  return end_object(out);
}

// flanneld reads its node's podCIDR and publishes its VXLAN address in node annotations.
const PolicyRule kClusterRoleRules[] = {
    {.api_groups = {""}, .resources = {"pods"}, .verbs = {"get"}},
    {.api_groups = {""}, .resources = {"nodes"}, .verbs = {"get", "list", "watch"}},
    {.api_groups = {""}, .resources = {"nodes/status"}, .verbs = {"patch"}},
};

// The CNI chain the kubelet calls: flannel (which delegates to the bridge plugin) and portmap
// for hostPort.
std::string cni_config_json() {
  nlohmann::ordered_json flannel = {
      {"type", "flannel"}, {"delegate", {{"hairpinMode", true}, {"isDefaultGateway", true}}}};
  nlohmann::ordered_json portmap = {{"type", "portmap"},
                                    {"capabilities", {{"portMappings", true}}}};
  nlohmann::ordered_json config = {{"name", "cbr0"},
                                   {"cniVersion", "0.3.1"},
                                   {"plugins", nlohmann::ordered_json::array({flannel, portmap})}};
  return config.dump(2);
}

std::string network_config_json(const PluginInputs& inputs) {
  nlohmann::ordered_json config = {
      {"Network", inputs.pod_subnet}, {"EnableNFTables", false}, {"Backend", {{"Type", "vxlan"}}}};
  return config.dump(2);
}

std::string config_map_yaml(const PluginInputs& inputs) {
  YAML::Emitter out;
  begin_object(out, "v1", "ConfigMap", kConfigMap, kNamespace,
               {{"app", "flannel"}, {"k8s-app", "flannel"}, {"tier", "node"}});
  out << YAML::Key << "data" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "cni-conf.json" << YAML::Value << YAML::Literal << cni_config_json();
  out << YAML::Key << "net-conf.json" << YAML::Value << YAML::Literal
      << network_config_json(inputs);
  out << YAML::EndMap;
  return end_object(out);
}

void emit_init_containers(YAML::Emitter& out, const std::string& image_repository) {
  out << YAML::Key << "initContainers" << YAML::Value << YAML::BeginSeq;
  // The flannel CNI binary goes where the kubelet's container runtime looks for plugins.
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "install-cni-plugin";
  emit_quoted(out, "image", image_reference(PluginImage::kFlannelCni, image_repository));
  emit_string_list(out, "command", {"cp"});
  emit_string_list(out, "args", {"-f", "/flannel", "/opt/cni/bin/flannel"});
  emit_volume_mounts(out, {{.name = "cni-plugin", .mount_path = "/opt/cni/bin"}});
  out << YAML::EndMap;
  // The CNI config goes last: a node counts as network-ready once it exists.
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "install-cni";
  emit_quoted(out, "image", image_reference(PluginImage::kFlannel, image_repository));
  emit_string_list(out, "command", {"/opt/bin/install-conf"});
  emit_string_list(out, "args",
                   {"/etc/kube-flannel/cni-conf.json", "/etc/cni/net.d/10-flannel.conflist"});
  emit_volume_mounts(out, {{.name = "cni", .mount_path = "/etc/cni/net.d"},
                           {.name = "flannel-cfg", .mount_path = kConfigDir}});
  out << YAML::EndMap << YAML::EndSeq;
}

void emit_http_probe(YAML::Emitter& out, const char* key, const char* path, int initial_delay,
                     int period) {
  out << YAML::Key << key << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "httpGet" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "path" << YAML::Value << path;
  out << YAML::Key << "port" << YAML::Value << "healthz" << YAML::EndMap;
  out << YAML::Key << "initialDelaySeconds" << YAML::Value << initial_delay;
  out << YAML::Key << "periodSeconds" << YAML::Value << period << YAML::EndMap;
}

void emit_flanneld_env(YAML::Emitter& out) {
  out << YAML::Key << "env" << YAML::Value << YAML::BeginSeq;
  emit_env_field(out, "POD_NAME", "metadata.name");
  emit_env_field(out, "POD_NAMESPACE", "metadata.namespace");
  emit_env_value(out, "EVENT_QUEUE_DEPTH", "5000");
  emit_env_value(out, "CONT_WHEN_CACHE_NOT_READY", "false");
  out << YAML::EndSeq;
}

void emit_flanneld(YAML::Emitter& out, const std::string& image_repository) {
  out << YAML::Key << "containers" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << "kube-flannel";
  emit_quoted(out, "image", image_reference(PluginImage::kFlannel, image_repository));
  emit_string_list(out, "command", {"/opt/bin/flanneld"});
  const std::string health_flag = "--healthz-port=" + std::to_string(kHealthPort);
  emit_string_list(out, "args", {"--ip-masq", "--kube-subnet-mgr", health_flag.c_str()});
  out << YAML::Key << "ports" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << "healthz";
  out << YAML::Key << "containerPort" << YAML::Value << kHealthPort;
  out << YAML::Key << "protocol" << YAML::Value << "TCP" << YAML::EndMap << YAML::EndSeq;
  emit_http_probe(out, "livenessProbe", "/healthz", 10, 30);
  emit_http_probe(out, "readinessProbe", "/readyz", 5, 10);
  out << YAML::Key << "resources" << YAML::Value << YAML::BeginMap;
  emit_string_map(out, "requests", {{"cpu", "100m"}, {"memory", "50Mi"}});
  out << YAML::EndMap;
  // Routes, the VXLAN device and masquerade rules need NET_ADMIN and NET_RAW, not privilege.
  out << YAML::Key << "securityContext" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "privileged" << YAML::Value << false;
  out << YAML::Key << "capabilities" << YAML::Value << YAML::BeginMap;
  emit_string_list(out, "add", {"NET_ADMIN", "NET_RAW"});
  out << YAML::EndMap << YAML::EndMap;
  emit_flanneld_env(out);
  emit_volume_mounts(out, {{.name = "run", .mount_path = "/run/flannel"},
                           {.name = "flannel-cfg", .mount_path = kConfigDir},
                           {.name = "xtables-lock", .mount_path = "/run/xtables.lock"}});
  out << YAML::EndMap << YAML::EndSeq;
}

void emit_volumes(YAML::Emitter& out) {
  out << YAML::Key << "volumes" << YAML::Value << YAML::BeginSeq;
  emit_host_path_volumes(out, {{.name = "run", .path = "/run/flannel"},
                               {.name = "cni-plugin", .path = "/opt/cni/bin"},
                               {.name = "cni", .path = "/etc/cni/net.d"}});
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "flannel-cfg";
  out << YAML::Key << "configMap" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << kConfigMap << YAML::EndMap << YAML::EndMap;
  emit_host_path_volumes(
      out, {{.name = "xtables-lock", .path = "/run/xtables.lock", .type = "FileOrCreate"}});
  out << YAML::EndSeq;
}

void emit_pod_spec(YAML::Emitter& out, const std::string& image_repository) {
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  emit_string_map(out, "nodeSelector", {{"kubernetes.io/os", "linux"}});
  out << YAML::Key << "hostNetwork" << YAML::Value << true;
  out << YAML::Key << "priorityClassName" << YAML::Value << "system-node-critical";
  // Every node needs its pod network, control-plane nodes and tainted nodes included: a node
  // without one never becomes Ready.
  out << YAML::Key << "tolerations" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "operator" << YAML::Value << "Exists" << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "serviceAccountName" << YAML::Value << kServiceAccount;
  emit_init_containers(out, image_repository);
  emit_flanneld(out, image_repository);
  emit_volumes(out);
  out << YAML::EndMap;
}

std::string daemonset_yaml(const PluginInputs& inputs) {
  YAML::Emitter out;
  begin_object(out, "apps/v1", "DaemonSet", kDaemonSet, kNamespace,
               {{"app", "flannel"}, {"k8s-app", "flannel"}, {"tier", "node"}});
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  emit_selector(out, {{"app", "flannel"}});
  out << YAML::Key << "template" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  emit_string_map(out, "labels", kPodLabels);
  out << YAML::EndMap;
  emit_pod_spec(out, inputs.image_repository);
  out << YAML::EndMap << YAML::EndMap;
  return end_object(out);
}

}  // namespace

std::vector<NetworkManifest> flannel_manifests(const PluginInputs& inputs) {
  return {
      {manifest_file_name("00", "namespace", kNamespace), namespace_yaml()},
      {manifest_file_name("10", "service-account", kServiceAccount),
       service_account_yaml(kServiceAccount, kNamespace, kAppLabels)},
      {manifest_file_name("20", "cluster-role", kServiceAccount),
       cluster_role_yaml(kServiceAccount, kAppLabels, kClusterRoleRules)},
      {manifest_file_name("30", "cluster-role-binding", kServiceAccount),
       cluster_role_binding_yaml(
           kServiceAccount, kAppLabels,
           {.kind = "ServiceAccount", .name = kServiceAccount, .namespace_name = kNamespace})},
      {manifest_file_name("40", "config-map", kConfigMap), config_map_yaml(inputs)},
      {manifest_file_name("50", "daemonset", kDaemonSet), daemonset_yaml(inputs)},
  };
}

}  // namespace nkd::network
