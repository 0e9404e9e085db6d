// The operator Deployment and the controller DaemonSet(s), field for field as NKD's templates
// (data/data/housekeeper/5deployment.yaml.template, 6daemonset.yaml.template), plus the
// differences DESIGN.md §3 lists: the control-plane taint tolerated (kubeadm >= 1.24 sets it
// instead of the master one) and, on clusters whose nodes differ in architecture, one
// DaemonSet per architecture pinned by kubernetes.io/arch.
#include "render/housekeeper/housekeeper.h"
#include "render/housekeeper/manifest_parts.h"

namespace nkd::housekeeper {
namespace {

constexpr const char* kControlPlaneRole = "node-role.kubernetes.io/control-plane";
constexpr const char* kWorkerRole = "node-role.kubernetes.io/worker";
constexpr const char* kArchLabel = "kubernetes.io/arch";
constexpr const char* kSocketVolume = "upgrade-daemon";

void emit_selector_labels(YAML::Emitter& out, const std::string& name) {
  out << YAML::Key << "matchLabels" << YAML::Value << YAML::BeginMap << YAML::Key << kSelectorLabel
      << YAML::Value << name << YAML::EndMap;
}

void emit_toleration(YAML::Emitter& out, const char* key, bool no_schedule) {
  out << YAML::BeginMap;
  out << YAML::Key << "key" << YAML::Value << key;
  out << YAML::Key << "operator" << YAML::Value << "Exists";
  if (no_schedule) out << YAML::Key << "effect" << YAML::Value << "NoSchedule";
  out << YAML::EndMap;
}

// Pins a pod to one architecture, only where the cluster has more than one (NKD's templates have
// no node selector for it).
void emit_arch_selector(YAML::Emitter& out, bool mixed, model::Arch arch) {
  if (mixed) out << YAML::Key << kArchLabel << YAML::Value << model::to_string(arch);
}

void emit_template_metadata(YAML::Emitter& out, const std::string& name) {
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "labels" << YAML::Value << YAML::BeginMap << YAML::Key << kSelectorLabel
      << YAML::Value << name << YAML::EndMap;
  out << YAML::EndMap;
}

void emit_operator_container(YAML::Emitter& out, const std::string& image) {
  out << YAML::BeginMap;
  out << YAML::Key << "command" << YAML::Value << YAML::BeginSeq
      << std::string("/") + kOperatorName << YAML::EndSeq;
  emit_quoted(out, "image", image);
  out << YAML::Key << "imagePullPolicy" << YAML::Value << "Always";
  out << YAML::Key << "name" << YAML::Value << kOperatorName;
  out << YAML::Key << "securityContext" << YAML::Value << YAML::BeginMap << YAML::Key
      << "allowPrivilegeEscalation" << YAML::Value << false << YAML::EndMap;
  out << YAML::Key << "resources" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "limits" << YAML::Value << YAML::BeginMap << YAML::Key << "cpu" << YAML::Value
      << "100m" << YAML::Key << "memory" << YAML::Value << "30Mi" << YAML::EndMap;
  out << YAML::Key << "requests" << YAML::Value << YAML::BeginMap << YAML::Key << "cpu"
      << YAML::Value << "100m" << YAML::Key << "memory" << YAML::Value << "20Mi" << YAML::EndMap;
  out << YAML::EndMap;
  out << YAML::EndMap;
}

void emit_controller_container(YAML::Emitter& out, const std::string& image) {
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << kControllerName;
  out << YAML::Key << "command" << YAML::Value << YAML::BeginSeq
      << std::string("/") + kControllerName << YAML::EndSeq;
  emit_quoted(out, "image", image);
  out << YAML::Key << "imagePullPolicy" << YAML::Value << "Always";
  // The host daemon listens on /var/nkd/housekeeper-daemon.sock.
  out << YAML::Key << "volumeMounts" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << kSocketVolume;
  out << YAML::Key << "mountPath" << YAML::Value << kDaemonSocketDir;
  out << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "env" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << "NODE_NAME";
  out << YAML::Key << "valueFrom" << YAML::Value << YAML::BeginMap << YAML::Key << "fieldRef"
      << YAML::Value << YAML::BeginMap << YAML::Key << "apiVersion" << YAML::Value << "v1"
      << YAML::Key << "fieldPath" << YAML::Value << "spec.nodeName" << YAML::EndMap << YAML::EndMap;
  out << YAML::EndMap << YAML::EndSeq;
  out << YAML::EndMap;
}

std::string controller_daemonset_yaml(const std::string& name, const std::string& image,
                                      bool mixed, model::Arch arch) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  emit_header(out, "apps/v1", "DaemonSet", name, kNamespace, name);
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "selector" << YAML::Value << YAML::BeginMap;
  emit_selector_labels(out, name);
  out << YAML::EndMap;
  out << YAML::Key << "template" << YAML::Value << YAML::BeginMap;
  emit_template_metadata(out, name);
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  if (mixed) {
    out << YAML::Key << "nodeSelector" << YAML::Value << YAML::BeginMap;
    emit_arch_selector(out, mixed, arch);
    out << YAML::EndMap;
  }
  out << YAML::Key << "tolerations" << YAML::Value << YAML::BeginSeq;
  emit_toleration(out, kMasterLabel, true);
  emit_toleration(out, kWorkerRole, true);
  emit_toleration(out, kControlPlaneRole, true);
  out << YAML::EndSeq;
  out << YAML::Key << "containers" << YAML::Value << YAML::BeginSeq;
  emit_controller_container(out, image);
  out << YAML::EndSeq;
  out << YAML::Key << "volumes" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << kSocketVolume;
  out << YAML::Key << "hostPath" << YAML::Value << YAML::BeginMap << YAML::Key << "path"
      << YAML::Value << kDaemonSocketDir << YAML::EndMap;
  out << YAML::EndMap << YAML::EndSeq;
  out << YAML::EndMap << YAML::EndMap << YAML::EndMap << YAML::EndMap;
  return finish(out);
}

}  // namespace

std::string operator_deployment_yaml(const model::Cluster& cluster) {
  const auto arches = node_arches(cluster);
  const model::Arch arch = arches.front();
  const std::string image = cluster.upgrade.operator_image.empty()
                                ? default_operator_image(arch)
                                : cluster.upgrade.operator_image;
  YAML::Emitter out;
  out << YAML::BeginMap;
  emit_header(out, "apps/v1", "Deployment", kOperatorName, kNamespace, kOperatorName);
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "selector" << YAML::Value << YAML::BeginMap;
  emit_selector_labels(out, kOperatorName);
  out << YAML::EndMap;
  out << YAML::Key << "replicas" << YAML::Value << 1;
  out << YAML::Key << "template" << YAML::Value << YAML::BeginMap;
  emit_template_metadata(out, kOperatorName);
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "containers" << YAML::Value << YAML::BeginSeq;
  emit_operator_container(out, image);
  out << YAML::EndSeq;
  out << YAML::Key << "terminationGracePeriodSeconds" << YAML::Value << 10;
  out << YAML::Key << "nodeSelector" << YAML::Value << YAML::BeginMap << YAML::Key
      << kControlPlaneRole << YAML::Value << YAML::DoubleQuoted << "";
  emit_arch_selector(out, arches.size() > 1, arch);
  out << YAML::EndMap;
  out << YAML::Key << "tolerations" << YAML::Value << YAML::BeginSeq;
  emit_toleration(out, kMasterLabel, false);
  emit_toleration(out, kControlPlaneRole, true);
  out << YAML::EndSeq;
  out << YAML::EndMap << YAML::EndMap << YAML::EndMap << YAML::EndMap;
  return finish(out);
}

std::vector<Manifest> controller_daemonsets(const model::Cluster& cluster) {
  const auto arches = node_arches(cluster);
  const bool mixed = arches.size() > 1;
  std::vector<Manifest> daemonsets;
  for (std::size_t i = 0; i < arches.size(); ++i) {
    const model::Arch arch = arches[i];
    const std::string suffix = i == 0 ? "" : std::string("-") + model::to_string(arch);
    const std::string image = cluster.upgrade.daemon_image.empty()
                                  ? default_controller_image(arch)
                                  : cluster.upgrade.daemon_image;
    daemonsets.push_back({"05-controller-daemonset" + suffix + ".yaml",
                          controller_daemonset_yaml(kControllerName + suffix, image, mixed, arch)});
  }
  return daemonsets;
}

}  // namespace nkd::housekeeper
