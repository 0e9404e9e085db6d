// Ignition spec 3.3.0 configs for one node: OS settings, container runtime, kubelet, kubeadm
// (init on the first control-plane node, join elsewhere), PKI files on control-plane nodes, the
// housekeeper host daemon unit, and the user's extra files and units. Pure; output is canonical
// JSON (sorted keys, no whitespace) so that digests are stable.
#pragma once

#include <string>

#include "render/model/cluster.h"
#include "render/pki/cluster_pki.h"

namespace nkd::ignition {

inline constexpr const char* kSpecVersion = "3.3.0";

[[nodiscard]] std::string node_config(const model::Cluster& cluster, const model::Node& node,
                                      const pki::ClusterPki& pki);

// A small config that replaces itself with the one at `url`, verified by `sha512_hex`, fetched with
// an `Authorization: Bearer <token>` header.
[[nodiscard]] std::string pointer_config(const std::string& url, const std::string& sha512_hex,
                                         const Secret& token);

}  // namespace nkd::ignition
