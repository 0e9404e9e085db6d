#include "render/ignition/kubeadm.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <utility>
#include <vector>

#include "common/cidr.h"
#include "model/kubernetes_support.h"

namespace nkd::ignition {
namespace {

constexpr const char* kNodeTokenGroup = "system:bootstrappers:kubeadm:default-node-token";

// Model values are always double-quoted: "1.29" or "true" as a plain scalar
// would change type.
void emit_string(YAML::Emitter& out, const char* key, const std::string& value) {
  out << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << value;
}

std::string finish(const YAML::Emitter& out) { return std::string(out.c_str()) + "\n"; }

std::string bootstrap_token(const pki::ClusterPki& pki) {
  return pki.bootstrap_token_id + "." + pki.bootstrap_token_secret.reveal();
}

// The kubeadm API of the cluster's Kubernetes minor, and how it spells extra arguments: a map in
// v1beta3, a list of {name, value} in v1beta4 (which allows repeating a flag).
class KubeadmDialect {
 public:
  explicit KubeadmDialect(const model::Cluster& cluster)
      : minor_(model::kubernetes_minor(cluster.kubernetes.version)) {}

  void emit_header(YAML::Emitter& out, const char* kind) const {
    out << YAML::Key << "apiVersion" << YAML::Value
        << std::string(model::kubeadm_api_version(minor_));
    out << YAML::Key << "kind" << YAML::Value << kind;
  }

  void emit_arguments(YAML::Emitter& out, const char* key,
                      const std::vector<std::pair<std::string, std::string>>& arguments) const {
    if (arguments.empty()) return;
    out << YAML::Key << key << YAML::Value;
    if (!model::uses_kubeadm_v1beta4(minor_)) {
      out << YAML::BeginMap;
      for (const auto& [name, value] : arguments) emit_string(out, name.c_str(), value);
      out << YAML::EndMap;
      return;
    }
    out << YAML::BeginSeq;
    for (const auto& [name, value] : arguments) {
      out << YAML::BeginMap;
      emit_string(out, "name", name);
      emit_string(out, "value", value);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }

 private:
  int minor_;
};

// "24h0m0s" as kubeadm prints a metav1.Duration; "0s" for a token that never expires.
std::string token_ttl(const model::Cluster& cluster) {
  const std::int64_t seconds = cluster.kubernetes.bootstrap_token_ttl_seconds;
  if (seconds <= 0) return "0s";
  return std::to_string(seconds / 3600) + "h" + std::to_string(seconds % 3600 / 60) + "m" +
         std::to_string(seconds % 60) + "s";
}

void emit_node_registration(YAML::Emitter& out, const KubeadmDialect& dialect,
                            const model::Cluster& cluster, const model::Node& node) {
  out << YAML::Key << "nodeRegistration" << YAML::Value << YAML::BeginMap;
  emit_string(out, "name", node.name);
  emit_string(out, "criSocket", cri_socket(cluster.kubernetes.container_runtime));
  if (!node.ip.empty()) dialect.emit_arguments(out, "kubeletExtraArgs", {{"node-ip", node.ip}});
  out << YAML::EndMap;
}

void emit_local_endpoint(YAML::Emitter& out, const model::Node& node) {
  if (node.ip.empty()) return;
  out << YAML::Key << "localAPIEndpoint" << YAML::Value << YAML::BeginMap;
  emit_string(out, "advertiseAddress", node.ip);
  out << YAML::Key << "bindPort" << YAML::Value << kApiServerPort << YAML::EndMap;
}

std::string init_configuration(const model::Cluster& cluster, const model::Node& node,
                               const pki::ClusterPki& pki) {
  const KubeadmDialect dialect(cluster);
  YAML::Emitter out;
  out << YAML::BeginMap;
  dialect.emit_header(out, "InitConfiguration");
  out << YAML::Key << "bootstrapTokens" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  emit_string(out, "token", bootstrap_token(pki));
  // Nodes that join after the TTL get a fresh token that nkd creates through the API.
  emit_string(out, "ttl", token_ttl(cluster));
  out << YAML::Key << "usages" << YAML::Value << YAML::BeginSeq << "signing"
      << "authentication" << YAML::EndSeq;
  out << YAML::Key << "groups" << YAML::Value << YAML::BeginSeq << kNodeTokenGroup << YAML::EndSeq;
  out << YAML::EndMap << YAML::EndSeq;
  emit_local_endpoint(out, node);
  emit_node_registration(out, dialect, cluster, node);
  out << YAML::EndMap;
  return finish(out);
}

std::string cluster_configuration(const model::Cluster& cluster) {
  const model::KubernetesSpec& kubernetes = cluster.kubernetes;
  const KubeadmDialect dialect(cluster);
  YAML::Emitter out;
  out << YAML::BeginMap;
  dialect.emit_header(out, "ClusterConfiguration");
  emit_string(out, "clusterName", cluster.name);
  emit_string(out, "kubernetesVersion", kubernetes.version);
  emit_string(out, "controlPlaneEndpoint", api_server_endpoint(cluster));
  emit_string(out, "imageRepository", kubernetes.image_repository);
  out << YAML::Key << "networking" << YAML::Value << YAML::BeginMap;
  emit_string(out, "dnsDomain", kubernetes.dns_domain);
  emit_string(out, "podSubnet", kubernetes.pod_subnet);
  emit_string(out, "serviceSubnet", kubernetes.service_subnet);
  out << YAML::EndMap;
  // kubeadm adds the node's own name and address, the first service address and the
  // kubernetes.default names itself; the endpoint and VIP it learns only from here.
  out << YAML::Key << "apiServer" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "certSANs" << YAML::Value << YAML::BeginSeq;
  for (const std::string& name : api_server_extra_sans(cluster)) out << YAML::DoubleQuoted << name;
  out << YAML::EndSeq << YAML::EndMap;
  // NestOS keeps /usr read-only: the FlexVolume directory must be writable.
  out << YAML::Key << "controllerManager" << YAML::Value << YAML::BeginMap;
  dialect.emit_arguments(out, "extraArgs", {{"flex-volume-plugin-dir", kFlexVolumeDir}});
  out << YAML::EndMap;
  out << YAML::EndMap;
  return finish(out);
}

std::string join_configuration(const model::Cluster& cluster, const model::Node& node,
                               const pki::ClusterPki& pki) {
  const KubeadmDialect dialect(cluster);
  YAML::Emitter out;
  out << YAML::BeginMap;
  dialect.emit_header(out, "JoinConfiguration");
  if (node.role == model::PoolRole::kControlPlane) {
    // The CAs are pre-placed by Ignition, so no certificateKey: kubeadm issues this node's
    // certificates from them. Without an address the map stays empty (`controlPlane: {}`):
    // kubeadm then advertises the address of the default route.
    out << YAML::Key << "controlPlane" << YAML::Value;
    if (node.ip.empty()) out << YAML::Flow;
    out << YAML::BeginMap;
    emit_local_endpoint(out, node);
    out << YAML::EndMap;
  }
  out << YAML::Key << "discovery" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "bootstrapToken" << YAML::Value << YAML::BeginMap;
  emit_string(out, "apiServerEndpoint", api_server_endpoint(cluster));
  out << YAML::Key << "caCertHashes" << YAML::Value << YAML::BeginSeq << YAML::DoubleQuoted
      << pki.ca_cert_hash << YAML::EndSeq;
  emit_string(out, "token", bootstrap_token(pki));
  out << YAML::EndMap << YAML::EndMap;
  emit_node_registration(out, dialect, cluster, node);
  out << YAML::EndMap;
  return finish(out);
}

}  // namespace

bool is_init_node(const model::Cluster& cluster, const model::Node& node) {
  for (const model::Node& candidate : model::expand_nodes(cluster)) {
    if (candidate.role == model::PoolRole::kControlPlane) return candidate.name == node.name;
  }
  return false;
}

std::string api_server_endpoint(const model::Cluster& cluster) {
  const std::string host = model::control_plane_endpoint(cluster);
  const std::string port = ":" + std::to_string(kApiServerPort);
  if (auto address = parse_ip(host); address && address->family != 0) {
    const bool ipv6 = host.find(':') != std::string::npos;
    return ipv6 ? "[" + host + "]" + port : host + port;
  }
  // A name or "[v6]:port" that already carries its port stays as written.
  if (host.find(':') != std::string::npos) return host;
  return host + port;
}

const char* cri_socket(model::ContainerRuntime runtime) {
  switch (runtime) {
    case model::ContainerRuntime::kContainerd: return "unix:///run/containerd/containerd.sock";
    case model::ContainerRuntime::kIsulad: return "unix:///var/run/isulad.sock";
    case model::ContainerRuntime::kCrio: return "unix:///var/run/crio/crio.sock";
  }
  return "unix:///run/containerd/containerd.sock";
}

std::string sandbox_image(const model::Cluster& cluster) {
  const int minor = model::kubernetes_minor(cluster.kubernetes.version);
  return cluster.kubernetes.image_repository + "/pause:" +
         std::string(model::pause_image_tag(minor));
}

std::vector<std::string> api_server_extra_sans(const model::Cluster& cluster) {
  std::vector<std::string> names;
  auto add = [&names](std::string name) {
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(std::move(name));
    }
  };
  add(endpoint_host(model::control_plane_endpoint(cluster)));
  add(cluster.kubernetes.virtual_ip.address);
  for (const std::string& name : cluster.kubernetes.api_server_cert_sans) add(name);
  return names;
}

std::string endpoint_host(const std::string& endpoint) {
  if (parse_ip(endpoint)) return endpoint;
  if (endpoint.starts_with('[')) return endpoint.substr(1, endpoint.find(']') - 1);
  const auto colon = endpoint.find(':');
  return colon == std::string::npos ? endpoint : endpoint.substr(0, colon);
}

std::string cluster_dns_address(const model::Cluster& cluster) {
  const auto subnet = parse_cidr(cluster.kubernetes.service_subnet);
  if (!subnet) return "";
  return subnet->network.plus(10).to_string();
}

std::string kubelet_config_yaml(const model::Cluster& cluster) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << "kubelet.config.k8s.io/v1beta1";
  out << YAML::Key << "kind" << YAML::Value << "KubeletConfiguration";
  out << YAML::Key << "authentication" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "anonymous" << YAML::Value << YAML::BeginMap << YAML::Key << "enabled"
      << YAML::Value << false << YAML::EndMap;
  out << YAML::Key << "webhook" << YAML::Value << YAML::BeginMap << YAML::Key << "enabled"
      << YAML::Value << true << YAML::EndMap;
  out << YAML::Key << "x509" << YAML::Value << YAML::BeginMap << YAML::Key << "clientCAFile"
      << YAML::Value << "/etc/kubernetes/pki/ca.crt" << YAML::EndMap;
  out << YAML::EndMap;
  out << YAML::Key << "authorization" << YAML::Value << YAML::BeginMap << YAML::Key << "mode"
      << YAML::Value << "Webhook" << YAML::EndMap;
  out << YAML::Key << "cgroupDriver" << YAML::Value << "systemd";
  out << YAML::Key << "clusterDNS" << YAML::Value << YAML::BeginSeq << YAML::DoubleQuoted
      << cluster_dns_address(cluster) << YAML::EndSeq;
  emit_string(out, "clusterDomain", cluster.kubernetes.dns_domain);
  out << YAML::Key << "rotateCertificates" << YAML::Value << true;
  out << YAML::Key << "staticPodPath" << YAML::Value << "/etc/kubernetes/manifests";
  // NestOS keeps /usr read-only: kubelet's FlexVolume default under /usr/libexec is unwritable.
  out << YAML::Key << "volumePluginDir" << YAML::Value << kFlexVolumeDir;
  out << YAML::EndMap;
  return finish(out);
}

std::string kubeadm_config_yaml(const model::Cluster& cluster, const model::Node& node,
                                const pki::ClusterPki& pki) {
  if (is_init_node(cluster, node)) {
    // The KubeletConfiguration document becomes the cluster-wide kubelet-config
    // ConfigMap that every joining node downloads, so joins inherit the systemd
    // cgroup driver and cluster DNS.
    return init_configuration(cluster, node, pki) + "---\n" + cluster_configuration(cluster) +
           "---\n" + kubelet_config_yaml(cluster);
  }
  return join_configuration(cluster, node, pki);
}

}  // namespace nkd::ignition
