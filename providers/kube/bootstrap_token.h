// The Secret that makes a bootstrap token valid in a running cluster (kube-system/
// bootstrap-token-<id>, type bootstrap.kubernetes.io/token), as `kubeadm token create` writes it:
// usable for discovery signing and node authentication, in kubeadm's default node group, with an
// expiration. nkd applies it when nodes must join after the token kubeadm init made has lapsed.
#pragma once

#include <cstdint>
#include <string>

#include "render/pki/cluster_pki.h"

namespace nkd::kube {

// The manifest for `pki`'s current token, expiring at `expires_unix` (0: never).
[[nodiscard]] std::string bootstrap_token_secret_yaml(const pki::ClusterPki& pki,
                                                      std::int64_t expires_unix);

}  // namespace nkd::kube
