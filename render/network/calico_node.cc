// The calico-node DaemonSet: on every node, init containers move old host-local IPAM data,
// install the CNI binaries and config, and mount the BPF file systems; then calico-node (Felix,
// and BIRD when BGP is on) programs routes and policy. Host paths stay under /etc, /opt, /var,
// /run, /sys and /proc: NestOS keeps /usr read-only (only /lib/modules is read, read-only).
#include "render/network/calico_parts.h"
#include "render/network/manifest_writer.h"
#include "render/network/pinned_versions.h"

namespace nkd::network::calico {
namespace {

constexpr const char* kCalicoNodeBinary = "/bin/calico-node";

void emit_optional_service_endpoint(YAML::Emitter& out) {
  // An optional ConfigMap a user may add to point calico at the API server directly (eBPF mode).
  out << YAML::Key << "envFrom" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "configMapRef" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << "kubernetes-services-endpoint";
  out << YAML::Key << "optional" << YAML::Value << true;
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
}

void emit_privileged(YAML::Emitter& out) {
  out << YAML::Key << "securityContext" << YAML::Value << YAML::BeginMap << YAML::Key
      << "privileged" << YAML::Value << true << YAML::EndMap;
}

void begin_container(YAML::Emitter& out, const char* name, const std::string& image) {
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << name;
  emit_quoted(out, "image", image);
  out << YAML::Key << "imagePullPolicy" << YAML::Value << "IfNotPresent";
}

void emit_upgrade_ipam(YAML::Emitter& out, const std::string& cni_image) {
  begin_container(out, "upgrade-ipam", cni_image);
  emit_string_list(out, "command", {"/opt/cni/bin/calico-ipam", "-upgrade"});
  emit_optional_service_endpoint(out);
  out << YAML::Key << "env" << YAML::Value << YAML::BeginSeq;
  emit_env_field(out, "KUBERNETES_NODE_NAME", "spec.nodeName");
  emit_env_config_map_key(out, "CALICO_NETWORKING_BACKEND", kConfigMap, "calico_backend");
  out << YAML::EndSeq;
  emit_volume_mounts(out, {{.name = "host-local-net-dir", .mount_path = "/var/lib/cni/networks"},
                           {.name = "cni-bin-dir", .mount_path = "/host/opt/cni/bin"}});
  emit_privileged(out);
  out << YAML::EndMap;
}

void emit_install_cni(YAML::Emitter& out, const std::string& cni_image) {
  begin_container(out, "install-cni", cni_image);
  emit_string_list(out, "command", {"/opt/cni/bin/install"});
  emit_optional_service_endpoint(out);
  out << YAML::Key << "env" << YAML::Value << YAML::BeginSeq;
  emit_env_value(out, "CNI_CONF_NAME", "10-calico.conflist");
  emit_env_config_map_key(out, "CNI_NETWORK_CONFIG", kConfigMap, "cni_network_config");
  emit_env_field(out, "KUBERNETES_NODE_NAME", "spec.nodeName");
  emit_env_config_map_key(out, "CNI_MTU", kConfigMap, "veth_mtu");
  // Exit once installed, so the pod moves on to calico-node.
  emit_env_value(out, "SLEEP", "false");
  out << YAML::EndSeq;
  emit_volume_mounts(out, {{.name = "cni-bin-dir", .mount_path = "/host/opt/cni/bin"},
                           {.name = "cni-net-dir", .mount_path = "/host/etc/cni/net.d"}});
  emit_privileged(out);
  out << YAML::EndMap;
}

void emit_mount_bpffs(YAML::Emitter& out, const std::string& node_image) {
  begin_container(out, "mount-bpffs", node_image);
  // Best effort: a failure here must not stop pods in the default iptables data plane.
  emit_string_list(out, "command", {"calico-node", "-init", "-best-effort"});
  // Bidirectional: the mounts made here must outlive the init container on the host.
  emit_volume_mounts(
      out,
      {{.name = "sys-fs", .mount_path = "/sys/fs", .propagation = "Bidirectional"},
       {.name = "var-run-calico", .mount_path = "/var/run/calico", .propagation = "Bidirectional"},
       {.name = "nodeproc", .mount_path = "/nodeproc", .read_only = true}});
  emit_privileged(out);
  out << YAML::EndMap;
}

void emit_pool_and_felix_env(YAML::Emitter& out, const PluginInputs& inputs) {
  const EncapsulationSettings settings = encapsulation_settings(inputs.encapsulation);
  // The default pool calico creates on first start; later changes here do not alter it.
  emit_env_value(out, "CALICO_IPV4POOL_CIDR", inputs.pod_subnet);
  emit_env_value(out, "CALICO_IPV4POOL_IPIP", settings.ipip_mode);
  emit_env_value(out, "CALICO_IPV4POOL_VXLAN", settings.vxlan_mode);
  // Felix sets up the tunnel devices the pool's mode needs.
  const bool ipip = std::string(settings.ipip_mode) != "Never";
  const bool vxlan = std::string(settings.vxlan_mode) != "Never";
  emit_env_value(out, "FELIX_IPINIPENABLED", ipip ? "true" : "false");
  emit_env_value(out, "FELIX_VXLANENABLED", vxlan ? "true" : "false");
  emit_env_config_map_key(out, "FELIX_IPINIPMTU", kConfigMap, "veth_mtu");
  emit_env_config_map_key(out, "FELIX_VXLANMTU", kConfigMap, "veth_mtu");
  emit_env_config_map_key(out, "FELIX_WIREGUARDMTU", kConfigMap, "veth_mtu");
}

void emit_calico_node_env(YAML::Emitter& out, const PluginInputs& inputs) {
  out << YAML::Key << "env" << YAML::Value << YAML::BeginSeq;
  emit_env_value(out, "DATASTORE_TYPE", "kubernetes");
  emit_env_value(out, "WAIT_FOR_DATASTORE", "true");
  emit_env_field(out, "NODENAME", "spec.nodeName");
  emit_env_config_map_key(out, "CALICO_NETWORKING_BACKEND", kConfigMap, "calico_backend");
  emit_env_value(out, "CLUSTER_TYPE", "k8s,bgp");
  emit_env_value(out, "IP", "autodetect");
  // The address the kubelet registered: nodes may carry a virtual IP or several interfaces.
  emit_env_value(out, "IP_AUTODETECTION_METHOD", "kubernetes-internal-ip");
  emit_pool_and_felix_env(out, inputs);
  emit_env_value(out, "CALICO_DISABLE_FILE_LOGGING", "true");
  emit_env_value(out, "FELIX_DEFAULTENDPOINTTOHOSTACTION", "ACCEPT");
  emit_env_value(out, "FELIX_IPV6SUPPORT", "false");
  emit_env_value(out, "FELIX_HEALTHENABLED", "true");
  out << YAML::EndSeq;
}

// BIRD's checks only when BIRD runs: with BGP off they would fail forever.
void emit_calico_node_probes(YAML::Emitter& out, bool bgp) {
  const std::initializer_list<std::pair<const char*, int>> liveness_settings = {
      {"periodSeconds", 10},
      {"initialDelaySeconds", 10},
      {"failureThreshold", 6},
      {"timeoutSeconds", 10}};
  const std::initializer_list<std::pair<const char*, int>> readiness_settings = {
      {"periodSeconds", 10}, {"timeoutSeconds", 10}};
  if (bgp) {
    emit_exec_probe(out, "livenessProbe", {kCalicoNodeBinary, "-felix-live", "-bird-live"},
                    liveness_settings);
    emit_exec_probe(out, "readinessProbe", {kCalicoNodeBinary, "-felix-ready", "-bird-ready"},
                    readiness_settings);
    return;
  }
  emit_exec_probe(out, "livenessProbe", {kCalicoNodeBinary, "-felix-live"}, liveness_settings);
  emit_exec_probe(out, "readinessProbe", {kCalicoNodeBinary, "-felix-ready"}, readiness_settings);
}

void emit_calico_node(YAML::Emitter& out, const PluginInputs& inputs) {
  const EncapsulationSettings settings = encapsulation_settings(inputs.encapsulation);
  begin_container(out, kNode, image_reference(PluginImage::kCalicoNode, inputs.image_repository));
  emit_optional_service_endpoint(out);
  emit_calico_node_env(out, inputs);
  emit_privileged(out);
  out << YAML::Key << "resources" << YAML::Value << YAML::BeginMap;
  emit_string_map(out, "requests", {{"cpu", "250m"}});
  out << YAML::EndMap;
  // Withdraw routes and drain BGP sessions before the pod stops.
  out << YAML::Key << "lifecycle" << YAML::Value << YAML::BeginMap << YAML::Key << "preStop"
      << YAML::Value << YAML::BeginMap << YAML::Key << "exec" << YAML::Value << YAML::BeginMap;
  emit_string_list(out, "command", {kCalicoNodeBinary, "-shutdown"});
  out << YAML::EndMap << YAML::EndMap << YAML::EndMap;
  emit_calico_node_probes(out, settings.bgp);
  emit_volume_mounts(
      out, {{.name = "cni-net-dir", .mount_path = "/host/etc/cni/net.d"},
            {.name = "lib-modules", .mount_path = "/lib/modules", .read_only = true},
            {.name = "xtables-lock", .mount_path = "/run/xtables.lock"},
            {.name = "var-run-calico", .mount_path = "/var/run/calico"},
            {.name = "var-lib-calico", .mount_path = "/var/lib/calico"},
            {.name = "policysync", .mount_path = "/var/run/nodeagent"},
            {.name = "bpffs", .mount_path = "/sys/fs/bpf"},
            {.name = "cni-log-dir", .mount_path = "/var/log/calico/cni", .read_only = true}});
  out << YAML::EndMap;
}

void emit_volumes(YAML::Emitter& out) {
  out << YAML::Key << "volumes" << YAML::Value << YAML::BeginSeq;
  emit_host_path_volumes(
      out, {{.name = "lib-modules", .path = "/lib/modules"},
            {.name = "var-run-calico", .path = "/var/run/calico", .type = "DirectoryOrCreate"},
            {.name = "var-lib-calico", .path = "/var/lib/calico", .type = "DirectoryOrCreate"},
            {.name = "xtables-lock", .path = "/run/xtables.lock", .type = "FileOrCreate"},
            {.name = "sys-fs", .path = "/sys/fs/", .type = "DirectoryOrCreate"},
            {.name = "bpffs", .path = "/sys/fs/bpf", .type = "Directory"},
            {.name = "nodeproc", .path = "/proc"},
            {.name = "cni-bin-dir", .path = "/opt/cni/bin", .type = "DirectoryOrCreate"},
            {.name = "cni-net-dir", .path = "/etc/cni/net.d"},
            {.name = "cni-log-dir", .path = "/var/log/calico/cni"},
            {.name = "host-local-net-dir", .path = "/var/lib/cni/networks"},
            // Per-pod sockets for application-layer policy.
            {.name = "policysync", .path = "/var/run/nodeagent", .type = "DirectoryOrCreate"}});
  out << YAML::EndSeq;
}

void emit_pod_spec(YAML::Emitter& out, const PluginInputs& inputs) {
  const std::string cni_image = image_reference(PluginImage::kCalicoCni, inputs.image_repository);
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  emit_string_map(out, "nodeSelector", {{"kubernetes.io/os", "linux"}});
  out << YAML::Key << "hostNetwork" << YAML::Value << true;
  // Every node needs its pod network, control-plane and tainted nodes included: a node without
  // one never becomes Ready.
  out << YAML::Key << "tolerations" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "operator" << YAML::Value << "Exists" << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "serviceAccountName" << YAML::Value << kNode;
  out << YAML::Key << "securityContext" << YAML::Value << YAML::BeginMap << YAML::Key
      << "seccompProfile" << YAML::Value << YAML::BeginMap << YAML::Key << "type" << YAML::Value
      << "RuntimeDefault" << YAML::EndMap << YAML::EndMap;
  // preStop does the orderly part; a grace period would only delay the node's new calico-node.
  out << YAML::Key << "terminationGracePeriodSeconds" << YAML::Value << 0;
  out << YAML::Key << "priorityClassName" << YAML::Value << "system-node-critical";
  out << YAML::Key << "initContainers" << YAML::Value << YAML::BeginSeq;
  emit_upgrade_ipam(out, cni_image);
  emit_install_cni(out, cni_image);
  emit_mount_bpffs(out, image_reference(PluginImage::kCalicoNode, inputs.image_repository));
  out << YAML::EndSeq;
  out << YAML::Key << "containers" << YAML::Value << YAML::BeginSeq;
  emit_calico_node(out, inputs);
  out << YAML::EndSeq;
  emit_volumes(out);
  out << YAML::EndMap;
}

}  // namespace

std::string node_daemonset_yaml(const PluginInputs& inputs) {
  YAML::Emitter out;
  begin_object(out, "apps/v1", "DaemonSet", kNode, kNamespace, {{"k8s-app", kNode}});
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  emit_selector(out, {{"k8s-app", kNode}});
  out << YAML::Key << "updateStrategy" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "type" << YAML::Value << "RollingUpdate";
  out << YAML::Key << "rollingUpdate" << YAML::Value << YAML::BeginMap << YAML::Key
      << "maxUnavailable" << YAML::Value << 1 << YAML::EndMap << YAML::EndMap;
  out << YAML::Key << "template" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  emit_string_map(out, "labels", {{"k8s-app", kNode}});
  out << YAML::EndMap;
  emit_pod_spec(out, inputs);
  out << YAML::EndMap << YAML::EndMap;
  return end_object(out);
}

}  // namespace nkd::network::calico
