#include "render/ignition/kubeadm.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>

#include "common/cidr.h"

namespace nkd::ignition {
namespace {

constexpr const char* kKubeadmApiVersion = "kubeadm.k8s.io/v1beta3";
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

void emit_node_registration(YAML::Emitter& out, const model::Cluster& cluster,
                            const model::Node& node) {
  out << YAML::Key << "nodeRegistration" << YAML::Value << YAML::BeginMap;
  emit_string(out, "name", node.name);
  emit_string(out, "criSocket", cri_socket(cluster.kubernetes.container_runtime));
  if (!node.ip.empty()) {
    out << YAML::Key << "kubeletExtraArgs" << YAML::Value << YAML::BeginMap;
    emit_string(out, "node-ip", node.ip);
    out << YAML::EndMap;
  }
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
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << kKubeadmApiVersion;
  out << YAML::Key << "kind" << YAML::Value << "InitConfiguration";
  out << YAML::Key << "bootstrapTokens" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  emit_string(out, "token", bootstrap_token(pki));
  // Nodes added by a later scale-up join with the same token, so it must not
  // expire.
  emit_string(out, "ttl", "0s");
  out << YAML::Key << "usages" << YAML::Value << YAML::BeginSeq << "signing"
      << "authentication" << YAML::EndSeq;
  out << YAML::Key << "groups" << YAML::Value << YAML::BeginSeq << kNodeTokenGroup << YAML::EndSeq;
  out << YAML::EndMap << YAML::EndSeq;
  emit_local_endpoint(out, node);
  emit_node_registration(out, cluster, node);
  out << YAML::EndMap;
  return finish(out);
}

std::string cluster_configuration(const model::Cluster& cluster) {
  const model::KubernetesSpec& kubernetes = cluster.kubernetes;
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << kKubeadmApiVersion;
  out << YAML::Key << "kind" << YAML::Value << "ClusterConfiguration";
  emit_string(out, "clusterName", cluster.name);
  emit_string(out, "kubernetesVersion", kubernetes.version);
  emit_string(out, "controlPlaneEndpoint", api_server_endpoint(cluster));
  emit_string(out, "imageRepository", kubernetes.image_repository);
  out << YAML::Key << "networking" << YAML::Value << YAML::BeginMap;
  emit_string(out, "dnsDomain", kubernetes.dns_domain);
  emit_string(out, "podSubnet", kubernetes.pod_subnet);
  emit_string(out, "serviceSubnet", kubernetes.service_subnet);
  out << YAML::EndMap;
  out << YAML::EndMap;
  return finish(out);
}

std::string join_configuration(const model::Cluster& cluster, const model::Node& node,
                               const pki::ClusterPki& pki) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << kKubeadmApiVersion;
  out << YAML::Key << "kind" << YAML::Value << "JoinConfiguration";
  if (node.role == model::PoolRole::kControlPlane) {
    // Without an address the map stays empty (`controlPlane: {}`): kubeadm then
    // advertises the address of the default route.
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
  emit_node_registration(out, cluster, node);
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
  // "v1.29.1" -> 29; the loader has already checked the version's shape.
  const std::string& version = cluster.kubernetes.version;
  const std::size_t dot = version.find('.');
  const int minor = dot == std::string::npos ? 0 : std::atoi(version.c_str() + dot + 1);
  const char* tag = minor >= 31   ? "3.10"
                    : minor >= 27 ? "3.9"
                    : minor >= 25 ? "3.8"
                    : minor >= 23 ? "3.6"
                                  : "3.5";
  return cluster.kubernetes.image_repository + "/pause:" + tag;
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
