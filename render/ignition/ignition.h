// Ignition spec 3.3.0 configs for one node: OS settings, container runtime, kubelet, kubeadm
// (init on the first control-plane node, join elsewhere), PKI files on control-plane nodes, the
// housekeeper host daemon unit, and the user's extra files and units. Pure; output is canonical
// JSON (sorted keys, no whitespace) so that digests are stable.
#pragma once

#include <span>
#include <string>

#include "model/cluster.h"
#include "render/ignition/bring_up.h"
#include "render/pki/cluster_pki.h"

namespace nkd::ignition {

inline constexpr const char* kSpecVersion = "3.3.0";

// `bring_up` is what the init node applies once its API answers (see bring_up.h); the other
// nodes ignore it.
[[nodiscard]] std::string node_config(const model::Cluster& cluster, const model::Node& node,
                                      const pki::ClusterPki& pki,
                                      std::span<const BringUpManifest> bring_up = {});

// A small config that replaces itself with the one at `url`, verified by `sha512_hex`, fetched with
// an `Authorization: Bearer <token>` header. A non-empty `ca_pem` goes into
// ignition.security.tls.certificateAuthorities as a data: URL, so Ignition trusts an https `url`
// signed by that CA (in addition to the system's CAs).
[[nodiscard]] std::string pointer_config(const std::string& url, const std::string& sha512_hex,
                                         const Secret& token, const std::string& ca_pem = "");

}  // namespace nkd::ignition
