#include "render/ignition/kube_vip.h"

#include <yaml-cpp/yaml.h>

#include <utility>
#include <vector>

#include "model/kubernetes_support.h"
#include "render/ignition/kubeadm.h"

namespace nkd::ignition {
namespace {

constexpr int kFirstSuperAdminMinor = 29;

std::vector<std::pair<std::string, std::string>> kube_vip_environment(
    const model::Cluster& cluster) {
  const model::VirtualIp& vip = cluster.kubernetes.virtual_ip;
  std::vector<std::pair<std::string, std::string>> environment = {
      {"vip_arp", "true"},
      {"port", std::to_string(kApiServerPort)},
      {"vip_cidr", vip.address.find(':') == std::string::npos ? "32" : "128"},
      {"cp_enable", "true"},
      {"cp_namespace", "kube-system"},
      {"svc_enable", "false"},
      {"vip_leaderelection", "true"},
      {"vip_leasename", "plndr-cp-lock"},
      {"vip_leaseduration", "5"},
      {"vip_renewdeadline", "3"},
      {"vip_retryperiod", "1"},
      {"address", vip.address},
  };
  // Without an interface kube-vip takes the one that holds the default route.
  if (!vip.interface.empty()) environment.emplace_back("vip_interface", vip.interface);
  return environment;
}

std::string kube_vip_pod(const model::Cluster& cluster, const model::Node& node) {
  const std::string image =
      cluster.kubernetes.virtual_ip.image.empty() ? kKubeVipImage : cluster.kubernetes.virtual_ip.image;
  const std::string kubeconfig =
      kube_vip_needs_super_admin(cluster, node) ? kSuperAdminKubeconfig : kAdminKubeconfig;
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << "v1";
  out << YAML::Key << "kind" << YAML::Value << "Pod";
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap << YAML::Key << "name"
      << YAML::Value << "kube-vip" << YAML::Key << "namespace" << YAML::Value << "kube-system"
      << YAML::EndMap;
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "containers" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << "kube-vip";
  out << YAML::Key << "image" << YAML::Value << image;
  out << YAML::Key << "imagePullPolicy" << YAML::Value << "IfNotPresent";
  out << YAML::Key << "args" << YAML::Value << YAML::Flow << YAML::BeginSeq << "manager"
      << YAML::EndSeq;
  out << YAML::Key << "env" << YAML::Value << YAML::BeginSeq;
  for (const auto& [name, value] : kube_vip_environment(cluster)) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << name << YAML::Key << "value"
        << YAML::Value << YAML::DoubleQuoted << value << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "securityContext" << YAML::Value << YAML::BeginMap << YAML::Key
      << "capabilities" << YAML::Value << YAML::BeginMap << YAML::Key << "add" << YAML::Value
      << YAML::Flow << YAML::BeginSeq << "NET_ADMIN" << "NET_RAW" << YAML::EndSeq << YAML::EndMap
      << YAML::EndMap;
  out << YAML::Key << "volumeMounts" << YAML::Value << YAML::BeginSeq << YAML::BeginMap
      << YAML::Key << "name" << YAML::Value << "kubeconfig" << YAML::Key << "mountPath"
      << YAML::Value << kAdminKubeconfig << YAML::EndMap << YAML::EndSeq;
  out << YAML::EndMap << YAML::EndSeq;
  // kube-vip reaches the API as https://kubernetes:6443, the local apiserver, so that it can
  // elect a leader before the address it is about to hold answers.
  out << YAML::Key << "hostAliases" << YAML::Value << YAML::BeginSeq << YAML::BeginMap
      << YAML::Key << "ip" << YAML::Value << "127.0.0.1" << YAML::Key << "hostnames"
      << YAML::Value << YAML::Flow << YAML::BeginSeq << "kubernetes" << YAML::EndSeq
      << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "hostNetwork" << YAML::Value << true;
  out << YAML::Key << "volumes" << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key
      << "name" << YAML::Value << "kubeconfig" << YAML::Key << "hostPath" << YAML::Value
      << YAML::BeginMap << YAML::Key << "path" << YAML::Value << kubeconfig << YAML::EndMap
      << YAML::EndMap << YAML::EndSeq;
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace

bool kube_vip_needs_super_admin(const model::Cluster& cluster, const model::Node& node) {
  return !cluster.kubernetes.virtual_ip.address.empty() && is_init_node(cluster, node) &&
         model::kubernetes_minor(cluster.kubernetes.version) >= kFirstSuperAdminMinor;
}

void add_kube_vip(ConfigBuilder& builder, const model::Cluster& cluster, const model::Node& node) {
  if (cluster.kubernetes.virtual_ip.address.empty()) return;
  if (node.role != model::PoolRole::kControlPlane) return;
  builder.add_file(kKubeVipManifestPath, kModePrivate, kube_vip_pod(cluster, node));
}

}  // namespace nkd::ignition
