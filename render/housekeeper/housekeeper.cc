#include "render/housekeeper/housekeeper.h"

#include <initializer_list>

#include "common/duration.h"
#include "render/housekeeper/manifest_parts.h"

namespace nkd::housekeeper {
namespace {

struct Rule {
  const char* api_group;
  std::initializer_list<const char*> resources;
  std::initializer_list<const char*> verbs;
};

std::string namespace_yaml() {
  YAML::Emitter out;
  out << YAML::BeginMap;
  emit_header(out, "v1", "Namespace", kNamespace, "");
  out << YAML::EndMap;
  return finish(out);
}

std::string service_account_yaml() {
  YAML::Emitter out;
  out << YAML::BeginMap;
  emit_header(out, "v1", "ServiceAccount", kServiceAccount, kNamespace);
  out << YAML::EndMap;
  return finish(out);
}

std::string cluster_role_yaml() {
  // The operator watches nodes and labels them; the controller drains (evicts
  // or deletes pods, skipping DaemonSet pods) and cordons its own node.
  const Rule rules[] = {
      {"", {"nodes"}, {"get", "list", "watch", "patch", "update"}},
      {"", {"pods"}, {"get", "list", "watch", "delete"}},
      {"", {"pods/eviction"}, {"create"}},
      {"apps", {"daemonsets"}, {"get", "list"}},
      {"housekeeper.io", {"updates", "updates/status"}, {"*"}},
  };
  YAML::Emitter out;
  out << YAML::BeginMap;
  emit_header(out, "rbac.authorization.k8s.io/v1", "ClusterRole", kClusterRole, "");
  out << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
  for (const Rule& rule : rules) {
    out << YAML::BeginMap;
    out << YAML::Key << "apiGroups" << YAML::Value << YAML::BeginSeq << rule.api_group
        << YAML::EndSeq;
    out << YAML::Key << "resources" << YAML::Value << YAML::BeginSeq;
    for (const char* resource : rule.resources) out << resource;
    out << YAML::EndSeq << YAML::Key << "verbs" << YAML::Value << YAML::BeginSeq;
    for (const char* verb : rule.verbs) out << verb;
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return finish(out);
}

std::string cluster_role_binding_yaml() {
  YAML::Emitter out;
  out << YAML::BeginMap;
  emit_header(out, "rbac.authorization.k8s.io/v1", "ClusterRoleBinding", kClusterRole, "");
  out << YAML::Key << "roleRef" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "apiGroup" << YAML::Value << "rbac.authorization.k8s.io";
  out << YAML::Key << "kind" << YAML::Value << "ClusterRole";
  out << YAML::Key << "name" << YAML::Value << kClusterRole << YAML::EndMap;
  out << YAML::Key << "subjects" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "kind" << YAML::Value << "ServiceAccount";
  out << YAML::Key << "name" << YAML::Value << kServiceAccount;
  out << YAML::Key << "namespace" << YAML::Value << kNamespace;
  out << YAML::EndMap << YAML::EndSeq << YAML::EndMap;
  return finish(out);
}

std::string update_yaml(const model::Cluster& cluster) {
  const model::UpgradePolicy& upgrade = cluster.upgrade;
  YAML::Emitter out;
  out << YAML::BeginMap;
  emit_header(out, "housekeeper.io/v1alpha1", "Update", kUpdateName, kNamespace);
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  emit_quoted(out, "osImageURL", cluster.os.image_url);
  emit_quoted(out, "osVersion", cluster.os.version);
  emit_quoted(out, "kubeVersion", cluster.kubernetes.version);
  out << YAML::Key << "evictPodForce" << YAML::Value << upgrade.evict_pod_force;
  out << YAML::Key << "maxUnavailable" << YAML::Value << upgrade.max_unavailable;
  // Go's canonical duration form ("10m0s"), as metav1.Duration prints it.
  emit_quoted(out, "drainTimeout",
              format_duration_ms(static_cast<std::int64_t>(upgrade.drain_timeout_seconds) * 1000));
  out << YAML::EndMap << YAML::EndMap;
  return finish(out);
}

}  // namespace

void emit_quoted(YAML::Emitter& out, const char* key, const std::string& value) {
  out << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << value;
}

void emit_header(YAML::Emitter& out, const char* api_version, const char* kind,
                 const std::string& name, const std::string& namespace_name) {
  out << YAML::Key << "apiVersion" << YAML::Value << api_version;
  out << YAML::Key << "kind" << YAML::Value << kind;
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << name;
  if (!namespace_name.empty()) {
    out << YAML::Key << "namespace" << YAML::Value << namespace_name;
  }
  out << YAML::Key << "labels" << YAML::Value << YAML::BeginMap << YAML::Key
      << "app.kubernetes.io/managed-by" << YAML::Value << "nkd" << YAML::EndMap;
  out << YAML::EndMap;
}

std::string finish(const YAML::Emitter& out) { return std::string(out.c_str()) + "\n"; }

std::vector<Manifest> manifests(const model::Cluster& cluster) {
  return {
      {"00-namespace.yaml", namespace_yaml()},
      {"01-crd.yaml", crd_yaml()},
      {"02-service-account.yaml", service_account_yaml()},
      {"03-cluster-role.yaml", cluster_role_yaml()},
      {"04-cluster-role-binding.yaml", cluster_role_binding_yaml()},
      {"05-operator-deployment.yaml", operator_deployment_yaml(cluster)},
      {"06-controller-daemonset.yaml", controller_daemonset_yaml(cluster)},
      {"07-update.yaml", update_yaml(cluster)},
  };
}

}  // namespace nkd::housekeeper
