// Internal to the housekeeper manifests: one function per Kubernetes object,
// and the emitter helpers they share. Each returns one YAML document;
// manifests() decides files and order.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "render/model/cluster.h"

namespace nkd::housekeeper {

inline constexpr const char* kNamespace = "housekeeper-system";
inline constexpr const char* kServiceAccount = "housekeeper";
inline constexpr const char* kClusterRole = "housekeeper-manager";
inline constexpr const char* kOperatorName = "housekeeper-operator-manager";
inline constexpr const char* kControllerName = "housekeeper-controller-manager";
inline constexpr const char* kUpdateName = "nkd-update";
inline constexpr const char* kDaemonSocketDir = "/var/nkd";

// Strings from the model are double-quoted: "22.03" as a plain scalar would
// become a number.
void emit_quoted(YAML::Emitter& out, const char* key, const std::string& value);
// apiVersion, kind and metadata (name, namespace unless empty, nkd's managed-by
// label).
void emit_header(YAML::Emitter& out, const char* api_version, const char* kind,
                 const std::string& name, const std::string& namespace_name);
std::string finish(const YAML::Emitter& out);

std::string crd_yaml();
std::string operator_deployment_yaml(const model::Cluster& cluster);
std::string controller_daemonset_yaml(const model::Cluster& cluster);

}  // namespace nkd::housekeeper
