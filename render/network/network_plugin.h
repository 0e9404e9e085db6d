// The network plugin (CNI) manifests of one cluster: flannel or calico as the cluster's
// spec.kubernetes.networkPlugin says, none for `none` (the user installs one). Each manifest holds
// one Kubernetes object; applying them in file-name order puts CRDs and namespaces before what
// uses them. Pure: equal clusters give byte-identical YAML. Releases and images: pinned_versions.h.
#pragma once

#include <string>
#include <vector>

#include "model/cluster.h"
#include "render/manifest.h"

namespace nkd::network {

// file_name: "<order>-<kind>-<name>.yaml", e.g. "00-crd-ippools.crd.projectcalico.org.yaml".
using NetworkManifest = render::Manifest;

// Sorted by file name; empty for NetworkPlugin::kNone.
[[nodiscard]] std::vector<NetworkManifest> network_plugin_manifests(const model::Cluster& cluster);

}  // namespace nkd::network
