// ClusterPki: every certificate, key and token a cluster's nodes need, as PEM text.
// Created once per cluster (ensure_pki), kept in the state store (never in Git), and passed to the
// renderer as an input, so rendering itself stays pure and repeatable.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "common/secret.h"
#include "model/cluster.h"

namespace nkd::pki {

struct CertKeyPair {
  std::string cert_pem;
  Secret key_pem;
  bool operator==(const CertKeyPair&) const = default;
};

// What nkd keeps for a cluster: the three CAs and the service-account key pair that every
// control-plane node must share, the admin identity for users' kubeconfigs, and the tokens. Leaf
// certificates of the control plane (apiserver, etcd server/peer, clients) are not here: kubeadm
// issues them on each control-plane node from the pre-placed CAs, with the subject alternative
// names it computes from that node's own address, so they are right by construction and a render
// never depends on an address nkd cannot know (see docs/DESIGN.md §3).
struct ClusterPki {
  model::KeyAlgorithm key_algorithm = model::KeyAlgorithm::kEcdsaP256;
  CertKeyPair ca;              // kubernetes CA: /etc/kubernetes/pki/ca.{crt,key}
  CertKeyPair front_proxy_ca;  // front-proxy-ca.{crt,key}
  CertKeyPair etcd_ca;         // etcd/ca.{crt,key}
  CertKeyPair admin;           // O=system:masters, for the user's kubeconfig
  std::string service_account_public_pem;  // sa.pub
  Secret service_account_key_pem;          // sa.key
  std::string bootstrap_token_id;          // [a-z0-9]{6}
  Secret bootstrap_token_secret;           // [a-z0-9]{16}
  // When the current bootstrap token was made (Unix seconds; 0: unknown, a record from before
  // tokens expired). Its expiry counts from here: the cluster cannot have created it earlier.
  std::int64_t bootstrap_token_issued_unix = 0;
  Secret node_token_key;                   // HMAC key for per-node Ignition fetch tokens
  std::string ca_cert_hash;                // "sha256:<hex of the CA's SubjectPublicKeyInfo>"
  // The generation of the per-node fetch tokens; each rotation adds one, so every earlier token
  // stops working while the key and every certificate stay. 0: never rotated (every record from
  // before rotations existed), whose tokens are the ones nkd always issued.
  std::int64_t node_token_epoch = 0;
  std::int64_t node_tokens_rotated_unix = 0;  // when the epoch last changed (0: never)
  // Until when (Unix seconds) the tokens of epoch node_token_epoch - 1 are still accepted, so
  // that a machine already booting with one can finish; 0: not at all.
  std::int64_t previous_node_tokens_valid_until_unix = 0;
  bool operator==(const ClusterPki&) const = default;
};

// Creates the PKI for `cluster`, or brings `existing` up to date: CAs and keys are kept; the admin
// certificate is reissued when it expires within 30 days of `now_unix`. Validity: CAs 10 years,
// the admin certificate 1 year. Anything
// missing from `existing` is created, except that half a CA (certificate without key or the other
// way round) or a CA that does not parse when something must be signed is an error, never
// silently replaced. The key algorithm is the one the PKI was created with: changing
// spec.kubernetes.pki.keyAlgorithm later does not rotate an existing PKI. When nothing needs
// changing the result equals `existing` field for field (so renders repeat byte for byte).
[[nodiscard]] Result<ClusterPki> ensure_pki(const model::Cluster& cluster,
                                            const std::optional<ClusterPki>& existing,
                                            std::int64_t now_unix);

// The bearer token a node presents to fetch its Ignition config, of the current epoch:
// HMAC(node_token_key, node) at epoch 0, HMAC(node_token_key, node + "/" + epoch) after.
[[nodiscard]] Secret node_fetch_token(const ClusterPki& pki, const std::string& node_name);

// The tokens that open `node_name`'s config at `now_unix`: the current one, and the previous
// epoch's while a rotation's grace period lasts (it ends at previous_node_tokens_valid_until_unix).
[[nodiscard]] std::vector<Secret> accepted_node_fetch_tokens(const ClusterPki& pki,
                                                             const std::string& node_name,
                                                             std::int64_t now_unix);

// `pki` with the next node token epoch, rotated at `now_unix`: every node's fetch token changes,
// nothing else does. The previous tokens stay accepted for `grace_seconds` (0: refused at once).
[[nodiscard]] ClusterPki with_rotated_node_tokens(ClusterPki pki, std::int64_t now_unix,
                                                  std::int64_t grace_seconds);

// A fresh bootstrap token (new id and secret) issued at `now_unix`; everything else of `pki` kept.
[[nodiscard]] ClusterPki with_new_bootstrap_token(ClusterPki pki, std::int64_t now_unix);

// When the cluster's current bootstrap token lapses (Unix seconds), counting the cluster's TTL from
// when nkd made the token; nullopt when it never does (TTL 0s).
[[nodiscard]] std::optional<std::int64_t> bootstrap_token_expiry_unix(
    const ClusterPki& pki, const model::Cluster& cluster);

// The names and addresses the apiserver certificate of `cluster` carries when kubeadm issues it
// on a control-plane node, apart from that node's own address: node names and fixed IPs of the
// control plane, the endpoint host, the virtual IP, spec.kubernetes.apiServerCertSANs, the first
// service address and the kubernetes.default names. Canonical form: sorted "DNS:<name>" and
// "IP:<address>" entries. Fails only on an unparsable serviceSubnet (validation rejects it).
[[nodiscard]] Result<std::vector<std::string>> apiserver_sans(const model::Cluster& cluster);

// The SANs of a PEM certificate in the same canonical form, as a list.
[[nodiscard]] Result<std::vector<std::string>> certificate_sans(std::string_view cert_pem);

// A new client certificate (fresh key of pki.key_algorithm, extendedKeyUsage clientAuth) signed by
// the cluster's kubernetes CA, valid from five minutes before `now_unix` for `validity_seconds`.
// `organization` becomes the O attribute (the Kubernetes group) unless empty. For short-lived
// identities of nkd itself; nothing of it is stored in the PKI.
[[nodiscard]] Result<CertKeyPair> issue_client_cert(const ClusterPki& pki,
                                                   const std::string& common_name,
                                                   const std::string& organization,
                                                   std::int64_t validity_seconds,
                                                   std::int64_t now_unix);

// A serving certificate for the cluster's API signed by its kubernetes CA, with the SANs of
// apiserver_sans plus 127.0.0.1 and localhost: what a test stand-in for the API server or a
// local tunnel presents. Valid from five minutes before `now_unix` for `validity_seconds`.
[[nodiscard]] Result<CertKeyPair> issue_apiserver_cert(const ClusterPki& pki,
                                                       const model::Cluster& cluster,
                                                       std::int64_t validity_seconds,
                                                       std::int64_t now_unix);

// Serialization for the state store (the JSON holds private keys: store it, never log it).
[[nodiscard]] nlohmann::json to_json(const ClusterPki& pki);
[[nodiscard]] Result<ClusterPki> pki_from_json(const nlohmann::json& json);

}  // namespace nkd::pki
