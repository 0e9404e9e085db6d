// Internal to the housekeeper manifests: one function per Kubernetes object, and the emitter
// helpers they share. Each returns one YAML document; manifests() decides files and order.
#pragma once

#include <yaml-cpp/yaml.h>

#include <set>
#include <string>
#include <vector>

#include "render/housekeeper/housekeeper.h"

namespace nkd::housekeeper {

// NKD's names (data/data/housekeeper/*, cmd/upgrade.go): objects NKD installed are taken over
// as they are, and their immutable selectors match.
inline constexpr const char* kClusterRole = "update-manager-role";
inline constexpr const char* kClusterRoleBinding = "update-manager-rolebinding";
// NKD binds the operator's role to the namespace's default ServiceAccount.
inline constexpr const char* kServiceAccount = "default";
inline constexpr const char* kSelectorLabel = "control-plane";
inline constexpr const char* kDaemonSocketDir = "/var/nkd";

// Strings from the model are double-quoted: "22.03" as a plain scalar would become a number.
void emit_quoted(YAML::Emitter& out, const char* key, const std::string& value);
// apiVersion, kind and metadata (name, namespace unless empty, labels: nkd's managed-by label
// and `selector_value` under kSelectorLabel unless empty).
void emit_header(YAML::Emitter& out, const char* api_version, const char* kind,
                 const std::string& name, const std::string& namespace_name,
                 const std::string& selector_value = "");
std::string finish(const YAML::Emitter& out);

// One rule of a Role or ClusterRole.
struct RbacRule {
  std::string api_group;
  std::string resource;
  std::vector<std::string> verbs;
  std::set<std::string> names;  // resourceNames; empty: every object
};
// `rules:` with each rule's verbs in `verb_style` (NKD writes its role's verbs as a block list;
// nkd's own roles use the compact flow form).
void emit_rbac_rules(YAML::Emitter& out, const std::vector<RbacRule>& rules,
                     YAML::EMITTER_MANIP verb_style);

std::string crd_yaml();
std::string operator_deployment_yaml(const model::Cluster& cluster);
// One DaemonSet per node architecture; the first (the operator's architecture) keeps NKD's name.
std::vector<Manifest> controller_daemonsets(const model::Cluster& cluster);

}  // namespace nkd::housekeeper
