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
#include "render/model/cluster.h"

namespace nkd::pki {

struct CertKeyPair {
  std::string cert_pem;
  Secret key_pem;
  bool operator==(const CertKeyPair&) const = default;
};

// The etcd certificates of one control-plane node.
struct EtcdMemberCerts {
  CertKeyPair server;
  CertKeyPair peer;
  CertKeyPair healthcheck_client;
  bool operator==(const EtcdMemberCerts&) const = default;
};

struct ClusterPki {
  model::KeyAlgorithm key_algorithm = model::KeyAlgorithm::kEcdsaP256;
  CertKeyPair ca;              // kubernetes CA: /etc/kubernetes/pki/ca.{crt,key}
  CertKeyPair front_proxy_ca;  // front-proxy-ca.{crt,key}
  CertKeyPair etcd_ca;         // etcd/ca.{crt,key}
  CertKeyPair apiserver;       // apiserver.{crt,key}; SANs follow the control plane
  CertKeyPair apiserver_kubelet_client;
  CertKeyPair apiserver_etcd_client;
  CertKeyPair front_proxy_client;
  CertKeyPair admin;                               // O=system:masters, for the user's kubeconfig
  std::map<std::string, EtcdMemberCerts> etcd_members;  // keyed by control-plane node name
  std::string service_account_public_pem;          // sa.pub
  Secret service_account_key_pem;                  // sa.key
  std::string bootstrap_token_id;                  // [a-z0-9]{6}
  Secret bootstrap_token_secret;                   // [a-z0-9]{16}
  Secret node_token_key;                           // HMAC key for per-node Ignition fetch tokens
  std::string ca_cert_hash;                        // "sha256:<hex of the CA's SubjectPublicKeyInfo>"
  std::string apiserver_sans;                      // canonical SAN list the apiserver cert was made for
  bool operator==(const ClusterPki&) const = default;
};

// Creates the PKI for `cluster`, or brings `existing` up to date: CAs and keys are kept; leaf
// certificates whose subject alternative names no longer match the cluster (control plane scaled,
// endpoint changed) or that expire within 30 days of `now_unix` are reissued; etcd member certs are
// added or dropped with the control-plane nodes. Validity: CAs 10 years, leaves 1 year. Anything
// missing from `existing` is created, except that half a CA (certificate without key or the other
// way round) or a CA that does not parse when something must be signed is an error, never
// silently replaced. The key algorithm is the one the PKI was created with: changing
// spec.kubernetes.pki.keyAlgorithm later does not rotate an existing PKI. When nothing needs
// changing the result equals `existing` field for field (so renders repeat byte for byte).
[[nodiscard]] Result<ClusterPki> ensure_pki(const model::Cluster& cluster,
                                            const std::optional<ClusterPki>& existing,
                                            std::int64_t now_unix);

// The bearer token a node presents to fetch its Ignition config: HMAC(node_token_key, node).
[[nodiscard]] Secret node_fetch_token(const ClusterPki& pki, const std::string& node_name);

// The SANs the apiserver certificate of `cluster` must carry, in the canonical form of
// ClusterPki::apiserver_sans: sorted "DNS:<name>" and "IP:<address>" entries joined with ",".
// Fails only on an unparsable serviceSubnet (which validation rejects earlier).
[[nodiscard]] Result<std::string> apiserver_sans(const model::Cluster& cluster);

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

// Serialization for the state store (the JSON holds private keys: store it, never log it).
[[nodiscard]] nlohmann::json to_json(const ClusterPki& pki);
[[nodiscard]] Result<ClusterPki> pki_from_json(const nlohmann::json& json);

}  // namespace nkd::pki
