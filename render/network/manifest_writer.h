// Internal to render/network: the YAML emitter helpers the flannel and calico manifests share.
// Every helper writes one key (or one sequence item) into an open block map, so a manifest reads
// top to bottom like the object it renders. Strings that Kubernetes reads as strings are
// double-quoted: "true" or "0" as plain scalars would arrive as a bool or a number.
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <span>
#include <string>
#include <utility>

namespace nkd::network {

using Labels = std::initializer_list<std::pair<const char*, const char*>>;
using Strings = std::initializer_list<const char*>;

inline constexpr const char* kRbacApiVersion = "rbac.authorization.k8s.io/v1";

// Opens the object's map and writes apiVersion, kind and metadata (name, namespace unless empty,
// `labels` plus nkd's managed-by label, and `annotations` when given).
void begin_object(YAML::Emitter& out, const char* api_version, const char* kind,
                  const std::string& name, const std::string& namespace_name, Labels labels,
                  Labels annotations = {});
// Closes the object's map; the document text with a final newline.
[[nodiscard]] std::string end_object(YAML::Emitter& out);

void emit_quoted(YAML::Emitter& out, const char* key, const std::string& value);
void emit_string_map(YAML::Emitter& out, const char* key, Labels entries);
void emit_string_list(YAML::Emitter& out, const char* key, Strings values);
// selector.matchLabels, and the pod template's metadata.labels.
void emit_selector(YAML::Emitter& out, Labels match_labels);

// Items of a container's env sequence.
void emit_env_value(YAML::Emitter& out, const char* name, const std::string& value);
void emit_env_field(YAML::Emitter& out, const char* name, const char* field_path);
void emit_env_config_map_key(YAML::Emitter& out, const char* name, const char* config_map,
                             const char* key);

struct VolumeMount {
  const char* name;
  const char* mount_path;
  bool read_only = false;
  const char* propagation = nullptr;  // mountPropagation; null: the default
};
void emit_volume_mounts(YAML::Emitter& out, std::initializer_list<VolumeMount> mounts);

struct HostPathVolume {
  const char* name;
  const char* path;
  const char* type = nullptr;  // hostPath.type; null: no check
};
// Items of a pod's volumes sequence.
void emit_host_path_volumes(YAML::Emitter& out, std::initializer_list<HostPathVolume> volumes);

// An exec probe: command, then the integer settings in the order given.
void emit_exec_probe(YAML::Emitter& out, const char* key, Strings command,
                     std::initializer_list<std::pair<const char*, int>> settings);

// One rule of a ClusterRole.
struct PolicyRule {
  Strings api_groups;
  Strings resources;
  Strings verbs;
  Strings resource_names = {};
};

[[nodiscard]] std::string service_account_yaml(const std::string& name,
                                               const std::string& namespace_name, Labels labels);
[[nodiscard]] std::string cluster_role_yaml(const std::string& name, Labels labels,
                                            std::span<const PolicyRule> rules);
// Who a ClusterRoleBinding grants to: a ServiceAccount (with its namespace) or a User.
struct Subject {
  const char* kind;
  std::string name;
  std::string namespace_name;  // ServiceAccount only
};
// Binds ClusterRole `name` (the binding has the same name) to `subject`.
[[nodiscard]] std::string cluster_role_binding_yaml(const std::string& name, Labels labels,
                                                    const Subject& subject);

// "<order>-<kind>-<name>.yaml": manifests sort by order, then kind and name.
[[nodiscard]] std::string manifest_file_name(const char* order, const char* kind,
                                             const std::string& name);

}  // namespace nkd::network
