#include "render/network/manifest_writer.h"

namespace nkd::network {

void begin_object(YAML::Emitter& out, const char* api_version, const char* kind,
                  const std::string& name, const std::string& namespace_name, Labels labels,
                  Labels annotations) {
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << api_version;
  out << YAML::Key << "kind" << YAML::Value << kind;
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << name;
  if (!namespace_name.empty()) out << YAML::Key << "namespace" << YAML::Value << namespace_name;
  out << YAML::Key << "labels" << YAML::Value << YAML::BeginMap;
  for (const auto& [key, value] : labels) {
    out << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << value;
  }
  out << YAML::Key << "app.kubernetes.io/managed-by" << YAML::Value << "nkd" << YAML::EndMap;
  if (annotations.size() > 0) emit_string_map(out, "annotations", annotations);
  out << YAML::EndMap;
}

std::string end_object(YAML::Emitter& out) {
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

void emit_quoted(YAML::Emitter& out, const char* key, const std::string& value) {
  out << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << value;
}

void emit_string_map(YAML::Emitter& out, const char* key, Labels entries) {
  out << YAML::Key << key << YAML::Value << YAML::BeginMap;
  for (const auto& [name, value] : entries) {
    out << YAML::Key << name << YAML::Value << YAML::DoubleQuoted << value;
  }
  out << YAML::EndMap;
}

void emit_string_list(YAML::Emitter& out, const char* key, Strings values) {
  out << YAML::Key << key << YAML::Value << YAML::BeginSeq;
  for (const char* value : values) out << YAML::DoubleQuoted << value;
  out << YAML::EndSeq;
}

void emit_selector(YAML::Emitter& out, Labels match_labels) {
  out << YAML::Key << "selector" << YAML::Value << YAML::BeginMap;
  emit_string_map(out, "matchLabels", match_labels);
  out << YAML::EndMap;
}

void emit_env_value(YAML::Emitter& out, const char* name, const std::string& value) {
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << name;
  emit_quoted(out, "value", value);
  out << YAML::EndMap;
}

void emit_env_field(YAML::Emitter& out, const char* name, const char* field_path) {
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << name;
  out << YAML::Key << "valueFrom" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "fieldRef" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "fieldPath" << YAML::Value << field_path;
  out << YAML::EndMap << YAML::EndMap << YAML::EndMap;
}

void emit_env_config_map_key(YAML::Emitter& out, const char* name, const char* config_map,
                             const char* key) {
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << name;
  out << YAML::Key << "valueFrom" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "configMapKeyRef" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << config_map;
  out << YAML::Key << "key" << YAML::Value << key;
  out << YAML::EndMap << YAML::EndMap << YAML::EndMap;
}

void emit_volume_mounts(YAML::Emitter& out, std::initializer_list<VolumeMount> mounts) {
  out << YAML::Key << "volumeMounts" << YAML::Value << YAML::BeginSeq;
  for (const VolumeMount& mount : mounts) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << mount.name;
    out << YAML::Key << "mountPath" << YAML::Value << mount.mount_path;
    if (mount.read_only) out << YAML::Key << "readOnly" << YAML::Value << true;
    if (mount.propagation != nullptr) {
      out << YAML::Key << "mountPropagation" << YAML::Value << mount.propagation;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

void emit_host_path_volumes(YAML::Emitter& out, std::initializer_list<HostPathVolume> volumes) {
  for (const HostPathVolume& volume : volumes) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << volume.name;
    out << YAML::Key << "hostPath" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "path" << YAML::Value << volume.path;
    if (volume.type != nullptr) out << YAML::Key << "type" << YAML::Value << volume.type;
    out << YAML::EndMap << YAML::EndMap;
  }
}

void emit_exec_probe(YAML::Emitter& out, const char* key, Strings command,
                     std::initializer_list<std::pair<const char*, int>> settings) {
  out << YAML::Key << key << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "exec" << YAML::Value << YAML::BeginMap;
  emit_string_list(out, "command", command);
  out << YAML::EndMap;
  for (const auto& [name, value] : settings) out << YAML::Key << name << YAML::Value << value;
  out << YAML::EndMap;
}

std::string service_account_yaml(const std::string& name, const std::string& namespace_name,
                                 Labels labels) {
  YAML::Emitter out;
  begin_object(out, "v1", "ServiceAccount", name, namespace_name, labels);
  return end_object(out);
}

std::string cluster_role_yaml(const std::string& name, Labels labels,
                              std::span<const PolicyRule> rules) {
  YAML::Emitter out;
  begin_object(out, kRbacApiVersion, "ClusterRole", name, "", labels);
  out << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
  for (const PolicyRule& rule : rules) {
    out << YAML::BeginMap;
    emit_string_list(out, "apiGroups", rule.api_groups);
    emit_string_list(out, "resources", rule.resources);
    if (rule.resource_names.size() > 0) emit_string_list(out, "resourceNames", rule.resource_names);
    emit_string_list(out, "verbs", rule.verbs);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  return end_object(out);
}

std::string cluster_role_binding_yaml(const std::string& name, Labels labels,
                                      const Subject& subject) {
  YAML::Emitter out;
  begin_object(out, kRbacApiVersion, "ClusterRoleBinding", name, "", labels);
  out << YAML::Key << "roleRef" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "apiGroup" << YAML::Value << "rbac.authorization.k8s.io";
  out << YAML::Key << "kind" << YAML::Value << "ClusterRole";
  out << YAML::Key << "name" << YAML::Value << name << YAML::EndMap;
  out << YAML::Key << "subjects" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "kind" << YAML::Value << subject.kind;
  // A User lives in the RBAC group; a ServiceAccount in the core group, named with its namespace.
  if (subject.namespace_name.empty()) {
    out << YAML::Key << "apiGroup" << YAML::Value << "rbac.authorization.k8s.io";
  }
  out << YAML::Key << "name" << YAML::Value << subject.name;
  if (!subject.namespace_name.empty()) {
    out << YAML::Key << "namespace" << YAML::Value << subject.namespace_name;
  }
  out << YAML::EndMap << YAML::EndSeq;
  return end_object(out);
}

std::string manifest_file_name(const char* order, const char* kind, const std::string& name) {
  return std::string(order) + "-" + kind + "-" + name + ".yaml";
}

}  // namespace nkd::network
