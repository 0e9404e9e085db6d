// Housekeeper manifests for one cluster: the updates.housekeeper.io CRD, namespace, RBAC,
// operator Deployment, controller DaemonSet and the cluster's Update object (DESIGN.md §3).
// Pure; YAML text with a fixed field order.
#pragma once

#include <string>
#include <vector>

#include "render/model/cluster.h"

namespace nkd::housekeeper {

inline constexpr const char* kDefaultOperatorImage =
    "hub.oepkgs.net/nestos/housekeeper/housekeeper-operator-manager:v0.1.0";
inline constexpr const char* kDefaultControllerImage =
    "hub.oepkgs.net/nestos/housekeeper/housekeeper-controller-manager:v0.1.0";

struct Manifest {
  std::string file_name;  // "00-namespace.yaml", ...; applied in file-name order
  std::string yaml;
};

[[nodiscard]] std::vector<Manifest> manifests(const model::Cluster& cluster);

}  // namespace nkd::housekeeper
