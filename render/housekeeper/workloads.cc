#include "render/housekeeper/housekeeper.h"
#include "render/housekeeper/manifest_parts.h"

namespace nkd::housekeeper {
namespace {

constexpr const char* kControlPlaneLabel = "node-role.kubernetes.io/control-plane";
constexpr const char* kSocketVolume = "housekeeper-socket-dir";

void emit_labels(YAML::Emitter& out, const char* app) {
  out << YAML::Key << "labels" << YAML::Value << YAML::BeginMap << YAML::Key
      << "app.kubernetes.io/name" << YAML::Value << app << YAML::EndMap;
}

void emit_selector(YAML::Emitter& out, const char* app) {
  out << YAML::Key << "selector" << YAML::Value << YAML::BeginMap << YAML::Key << "matchLabels"
      << YAML::Value << YAML::BeginMap << YAML::Key << "app.kubernetes.io/name" << YAML::Value
      << app << YAML::EndMap << YAML::EndMap;
}

void emit_node_name_env(YAML::Emitter& out) {
  out << YAML::Key << "env" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << "NODE_NAME";
  out << YAML::Key << "valueFrom" << YAML::Value << YAML::BeginMap << YAML::Key << "fieldRef"
      << YAML::Value << YAML::BeginMap << YAML::Key << "fieldPath" << YAML::Value << "spec.nodeName"
      << YAML::EndMap << YAML::EndMap;
  out << YAML::EndMap << YAML::EndSeq;
}

void emit_operator_pod_spec(YAML::Emitter& out, const std::string& image) {
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "serviceAccountName" << YAML::Value << kServiceAccount;
  out << YAML::Key << "nodeSelector" << YAML::Value << YAML::BeginMap << YAML::Key
      << kControlPlaneLabel << YAML::Value << YAML::DoubleQuoted << "" << YAML::EndMap;
  out << YAML::Key << "tolerations" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "key" << YAML::Value << kControlPlaneLabel;
  out << YAML::Key << "operator" << YAML::Value << "Exists";
  out << YAML::Key << "effect" << YAML::Value << "NoSchedule";
  out << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "containers" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << "manager";
  emit_quoted(out, "image", image);
  emit_node_name_env(out);
  out << YAML::EndMap << YAML::EndSeq;
  out << YAML::EndMap;
}

void emit_controller_pod_spec(YAML::Emitter& out, const std::string& image) {
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "serviceAccountName" << YAML::Value << kServiceAccount;
  // Every node is upgraded, tainted or not.
  out << YAML::Key << "tolerations" << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key
      << "operator" << YAML::Value << "Exists" << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "containers" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << "controller";
  emit_quoted(out, "image", image);
  emit_node_name_env(out);
  out << YAML::Key << "volumeMounts" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << kSocketVolume;
  out << YAML::Key << "mountPath" << YAML::Value << kDaemonSocketDir;
  out << YAML::EndMap << YAML::EndSeq;
  out << YAML::EndMap << YAML::EndSeq;
  // The host daemon listens on /var/nkd/housekeeper-daemon.sock.
  out << YAML::Key << "volumes" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << kSocketVolume;
  out << YAML::Key << "hostPath" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "path" << YAML::Value << kDaemonSocketDir;
  out << YAML::Key << "type" << YAML::Value << "DirectoryOrCreate";
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
  out << YAML::EndMap;
}

}  // namespace

std::string operator_deployment_yaml(const model::Cluster& cluster) {
  const std::string image = cluster.upgrade.operator_image.empty()
                                ? std::string(kDefaultOperatorImage)
                                : cluster.upgrade.operator_image;
  YAML::Emitter out;
  out << YAML::BeginMap;
  emit_header(out, "apps/v1", "Deployment", kOperatorName, kNamespace);
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "replicas" << YAML::Value << 1;
  emit_selector(out, kOperatorName);
  out << YAML::Key << "template" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  emit_labels(out, kOperatorName);
  out << YAML::EndMap;
  emit_operator_pod_spec(out, image);
  out << YAML::EndMap << YAML::EndMap << YAML::EndMap;
  return finish(out);
}

std::string controller_daemonset_yaml(const model::Cluster& cluster) {
  const std::string image = cluster.upgrade.daemon_image.empty()
                                ? std::string(kDefaultControllerImage)
                                : cluster.upgrade.daemon_image;
  YAML::Emitter out;
  out << YAML::BeginMap;
  emit_header(out, "apps/v1", "DaemonSet", kControllerName, kNamespace);
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  emit_selector(out, kControllerName);
  out << YAML::Key << "template" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  emit_labels(out, kControllerName);
  out << YAML::EndMap;
  emit_controller_pod_spec(out, image);
  out << YAML::EndMap << YAML::EndMap << YAML::EndMap;
  return finish(out);
}

}  // namespace nkd::housekeeper
