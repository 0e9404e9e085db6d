#include "render/pki/cluster_pki.h"

#include <utility>

#include "common/cidr.h"
#include "common/crypto.h"
#include "render/pki/certificate.h"

namespace nkd::pki {
namespace {

constexpr char kMastersGroup[] = "system:masters";
constexpr std::size_t kTokenIdLength = 6;
constexpr std::size_t kTokenSecretLength = 16;
constexpr std::size_t kNodeTokenKeyBytes = 32;

// A new key from `keys` and a certificate for it per `spec` (validity included), signed by
// `signer`.
Result<CertKeyPair> issue_leaf(const CertificateSpec& spec, const Signer& signer,
                               KeyGenerator& keys) {
  NKD_ASSIGN_OR_RETURN(EvpPkeyPtr key, keys.generate());
  NKD_ASSIGN_OR_RETURN(X509Ptr certificate, issue_certificate(spec, key.get(), &signer));
  return encode_pair(certificate.get(), key.get());
}

// A CA of the cluster. Its certificate and key are parsed only when something must be signed:
// reading a private key through OpenSSL 3's decoders costs more than everything else an unchanged
// render does. Borrows the slot it manages; lives as long as one ensure_pki call.
class Authority {
 public:
  Authority(CertKeyPair& pair, std::string common_name)
      : pair_(pair), common_name_(std::move(common_name)) {}

  // Creates the CA when its slot is empty; created() then makes every leaf under it reissue.
  // Half a CA is damage, not absence: replacing it would lock every existing node out.
  Status ensure(KeyGenerator& keys, std::int64_t now_unix) {
    if (!pair_.cert_pem.empty() && !pair_.key_pem.empty()) return ok_status();
    if (!pair_.cert_pem.empty() || !pair_.key_pem.empty()) {
      return damaged(pair_.cert_pem.empty() ? "certificate" : "private key",
                     Error{ErrorCode::kParse, "it is missing"});
    }
    NKD_ASSIGN_OR_RETURN(EvpPkeyPtr key, keys.generate());
    CertificateSpec spec{.common_name = common_name_,
                         .organization = "",
                         .usage = CertificateUsage::kAuthority,
                         .alt_names = {},
                         .not_before_unix = now_unix - kClockSkewSeconds,
                         .not_after_unix = now_unix + kAuthorityValiditySeconds};
    NKD_ASSIGN_OR_RETURN(X509Ptr certificate, issue_certificate(spec, key.get(), nullptr));
    NKD_ASSIGN_OR_RETURN(CertKeyPair pair, encode_pair(certificate.get(), key.get()));
    pair_ = std::move(pair);
    certificate_ = std::move(certificate);
    key_ = std::move(key);
    created_ = true;
    return ok_status();
  }

  [[nodiscard]] bool created() const { return created_; }

  Result<X509*> certificate() {
    if (!certificate_) {
      Result<X509Ptr> parsed = certificate_from_pem(pair_.cert_pem);
      if (!parsed) return damaged("certificate", parsed.error());
      certificate_ = std::move(parsed).value();
    }
    return certificate_.get();
  }

  Result<Signer> signer() {
    NKD_ASSIGN_OR_RETURN(auto* cert, certificate());
    if (!key_) {
      Result<EvpPkeyPtr> parsed = private_key_from_pem(pair_.key_pem);
      if (!parsed) return damaged("private key", parsed.error());
      key_ = std::move(parsed).value();
    }
    return Signer{.certificate = cert, .key = key_.get()};
  }

 private:
  [[nodiscard]] Error damaged(std::string_view part, const Error& cause) const {
    return Error{ErrorCode::kParse, "the stored " + common_name_ + " CA " + std::string(part) +
                                        " is unusable (" + cause.message +
                                        "); restore the cluster's PKI from a state store backup " +
                                        "(a new CA would lock every existing node out)"};
  }

  CertKeyPair& pair_;
  std::string common_name_;
  bool created_ = false;
  X509Ptr certificate_;
  EvpPkeyPtr key_;
};

std::string random_token_characters(std::size_t count) {
  static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  // Bytes of 252 (= 7 * 36) and above are dropped so that every character is equally likely.
  constexpr unsigned kUnbiasedLimit = 252;
  std::string token;
  // Each round keeps ~98% of its bytes, so a second round is rare and a tenth is never needed.
  for (int round = 0; round < 64 && token.size() < count; ++round) {
    for (unsigned char byte : random_bytes(count)) {
      if (byte >= kUnbiasedLimit || token.size() == count) continue;
      token.push_back(kAlphabet[byte % kAlphabet.size()]);
    }
  }
  return token;
}

// The host part of a controlPlaneEndpoint, which kubeadm allows to carry a port.
std::string_view endpoint_host(std::string_view endpoint) {
  if (parse_ip(endpoint)) return endpoint;
  if (endpoint.starts_with('[')) {
    const auto close = endpoint.find(']');
    return close == std::string_view::npos ? endpoint : endpoint.substr(1, close - 1);
  }
  const auto colon = endpoint.find(':');
  if (colon != std::string_view::npos && endpoint.find(':', colon + 1) == std::string_view::npos) {
    return endpoint.substr(0, colon);
  }
  return endpoint;
}

Result<SubjectAltNames> apiserver_alt_names(const model::Cluster& cluster) {
  const model::KubernetesSpec& kubernetes = cluster.kubernetes;
  const std::optional<Cidr> services = parse_cidr(kubernetes.service_subnet);
  if (!services) {
    return Error{ErrorCode::kInvalidArgument,
                 "serviceSubnet \"" + kubernetes.service_subnet + "\" of cluster " + cluster.name +
                     " is not a CIDR block; fix spec.kubernetes.serviceSubnet"};
  }
  SubjectAltNames names;
  for (const model::Node& node : model::expand_nodes(cluster)) {
    if (node.role != model::PoolRole::kControlPlane) continue;
    names.add_dns(node.name);
    if (!node.ip.empty()) names.add_host(node.ip);
  }
  if (const std::string endpoint = model::control_plane_endpoint(cluster); !endpoint.empty()) {
    names.add_host(endpoint_host(endpoint));
  }
  if (!kubernetes.virtual_ip.address.empty()) names.add_host(kubernetes.virtual_ip.address);
  for (const std::string& extra : kubernetes.api_server_cert_sans) names.add_host(extra);
  // The `kubernetes` Service always takes the first address of the service range.
  names.add_ip(services->network.plus(1));
  names.add_dns("kubernetes");
  names.add_dns("kubernetes.default");
  names.add_dns("kubernetes.default.svc");
  if (!kubernetes.dns_domain.empty()) {
    names.add_dns("kubernetes.default.svc." + kubernetes.dns_domain);
  }
  return names;
}

CertificateSpec leaf_spec(std::string common_name, std::string organization, CertificateUsage usage,
                          SubjectAltNames alt_names = {}) {
  return CertificateSpec{.common_name = std::move(common_name),
                         .organization = std::move(organization),
                         .usage = usage,
                         .alt_names = std::move(alt_names),
                         .not_before_unix = 0,
                         .not_after_unix = 0};
}

// Brings one ClusterPki up to date with one cluster; see ensure_pki. Single use, not copyable
// (the authorities borrow slots of pki_).
class PkiBuilder {
 public:
  PkiBuilder(ClusterPki pki, std::int64_t now_unix)
      : pki_(std::move(pki)),
        now_unix_(now_unix),
        keys_(pki_.key_algorithm),
        kubernetes_ca_(pki_.ca, "kubernetes"),
        front_proxy_ca_(pki_.front_proxy_ca, "front-proxy-ca"),
        etcd_ca_(pki_.etcd_ca, "etcd-ca") {}
  PkiBuilder(const PkiBuilder&) = delete;
  PkiBuilder& operator=(const PkiBuilder&) = delete;

  Result<ClusterPki> build() {
    for (Authority* authority : {&kubernetes_ca_, &front_proxy_ca_, &etcd_ca_}) {
      NKD_RETURN_IF_ERROR(authority->ensure(keys_, now_unix_));
    }
    NKD_RETURN_IF_ERROR_WRAP(
        ensure_leaf(pki_.admin, kubernetes_ca_,
                    leaf_spec("kubernetes-admin", kMastersGroup, CertificateUsage::kClient)),
        "issuing kubernetes-admin");
    NKD_RETURN_IF_ERROR(ensure_service_account());
    NKD_RETURN_IF_ERROR(ensure_ca_cert_hash());
    ensure_tokens();
    return std::move(pki_);
  }

 private:
  // A stored leaf stays while its CA is the stored one, it parses, it is outside the renewal
  // window and its SANs are still the wanted ones.
  bool reusable(const CertKeyPair& slot, const Authority& authority,
                const CertificateSpec& spec) const {
    if (authority.created() || slot.cert_pem.empty() || slot.key_pem.empty()) return false;
    Result<CertificateFacts> stored = read_certificate_facts(slot.cert_pem);
    if (!stored) return false;  // unreadable leaves are simply issued again
    if (stored->not_after_unix < now_unix_ + kRenewWithinSeconds) return false;
    return stored->alt_names == spec.alt_names.canonical_list();
  }

  Status ensure_leaf(CertKeyPair& slot, Authority& authority, CertificateSpec spec) {
    if (reusable(slot, authority, spec)) return ok_status();
    NKD_ASSIGN_OR_RETURN(Signer signer, authority.signer());
    spec.not_before_unix = now_unix_ - kClockSkewSeconds;
    spec.not_after_unix = now_unix_ + kLeafValiditySeconds;
    NKD_ASSIGN_OR_RETURN(CertKeyPair issued, issue_leaf(spec, signer, keys_));
    slot = std::move(issued);
    return ok_status();
  }

  Status ensure_service_account() {
    if (!pki_.service_account_key_pem.empty() && !pki_.service_account_public_pem.empty()) {
      return ok_status();
    }
    NKD_ASSIGN_OR_RETURN_WRAP(EvpPkeyPtr key,
                              pki_.service_account_key_pem.empty()
                                  ? keys_.generate()
                                  : private_key_from_pem(pki_.service_account_key_pem),
                              "preparing the service-account key");
    NKD_ASSIGN_OR_RETURN(std::string public_pem, public_key_to_pem(key.get()));
    if (pki_.service_account_key_pem.empty()) {
      NKD_ASSIGN_OR_RETURN(Secret key_pem, private_key_to_pem(key.get()));
      pki_.service_account_key_pem = std::move(key_pem);
    }
    pki_.service_account_public_pem = std::move(public_pem);
    return ok_status();
  }

  Status ensure_ca_cert_hash() {
    if (!kubernetes_ca_.created() && !pki_.ca_cert_hash.empty()) return ok_status();
    NKD_ASSIGN_OR_RETURN(auto* certificate, kubernetes_ca_.certificate());
    NKD_ASSIGN_OR_RETURN(std::string hash, public_key_info_sha256_hex(certificate));
    pki_.ca_cert_hash = "sha256:" + hash;
    return ok_status();
  }

  void ensure_tokens() {
    if (pki_.bootstrap_token_id.empty() || pki_.bootstrap_token_secret.empty()) {
      pki_ = with_new_bootstrap_token(std::move(pki_), now_unix_);
    }
    if (pki_.node_token_key.empty()) {
      pki_.node_token_key = Secret(to_hex(random_bytes(kNodeTokenKeyBytes)));
    }
  }

  ClusterPki pki_;
  std::int64_t now_unix_;
  KeyGenerator keys_;
  Authority kubernetes_ca_;
  Authority front_proxy_ca_;
  Authority etcd_ca_;
};

// A certificate per `spec` from the kubernetes CA of `pki`, valid from five minutes before
// `now_unix` for `validity_seconds`. Nothing of it is stored in the PKI.
Result<CertKeyPair> issue_from_kubernetes_ca(const ClusterPki& pki, CertificateSpec spec,
                                             std::int64_t validity_seconds, std::int64_t now_unix) {
  CertKeyPair ca = pki.ca;  // Authority manages a slot; this copy keeps `pki` untouched
  Authority authority(ca, "kubernetes");
  NKD_ASSIGN_OR_RETURN_WRAP(Signer signer, authority.signer(),
                            "issuing certificate " + spec.common_name);
  KeyGenerator keys(pki.key_algorithm);
  spec.not_before_unix = now_unix - kClockSkewSeconds;
  spec.not_after_unix = now_unix + validity_seconds;
  return issue_leaf(spec, signer, keys);
}

}  // namespace

Result<ClusterPki> ensure_pki(const model::Cluster& cluster,
                              const std::optional<ClusterPki>& existing, std::int64_t now_unix) {
  ClusterPki start = existing.value_or(ClusterPki{});
  if (!existing || existing->ca.cert_pem.empty()) {
    start.key_algorithm = cluster.kubernetes.pki.key_algorithm;
  }
  PkiBuilder builder(std::move(start), now_unix);
  NKD_ASSIGN_OR_RETURN_WRAP(ClusterPki built, builder.build(),
                            "ensuring the PKI of cluster " + cluster.name);
  return built;
}

ClusterPki with_new_bootstrap_token(ClusterPki pki, std::int64_t now_unix) {
  pki.bootstrap_token_id = random_token_characters(kTokenIdLength);
  pki.bootstrap_token_secret = Secret(random_token_characters(kTokenSecretLength));
  pki.bootstrap_token_issued_unix = now_unix;
  return pki;
}

std::optional<std::int64_t> bootstrap_token_expiry_unix(const ClusterPki& pki,
                                                        const model::Cluster& cluster) {
  const std::int64_t ttl = cluster.kubernetes.bootstrap_token_ttl_seconds;
  if (ttl <= 0) return std::nullopt;
  return pki.bootstrap_token_issued_unix + ttl;
}

Result<std::vector<std::string>> apiserver_sans(const model::Cluster& cluster) {
  NKD_ASSIGN_OR_RETURN(SubjectAltNames names, apiserver_alt_names(cluster));
  return names.canonical_list();
}

Result<std::vector<std::string>> certificate_sans(std::string_view cert_pem) {
  NKD_ASSIGN_OR_RETURN(CertificateFacts facts, read_certificate_facts(cert_pem));
  return std::move(facts).alt_names;
}

Result<CertKeyPair> issue_client_cert(const ClusterPki& pki, const std::string& common_name,
                                      const std::string& organization,
                                      std::int64_t validity_seconds, std::int64_t now_unix) {
  if (common_name.empty() || validity_seconds <= 0) {
    return Error{ErrorCode::kInvalidArgument,
                 "issuing a client certificate: the common name must be non-empty and the "
                 "validity positive; pass both"};
  }
  return issue_from_kubernetes_ca(
      pki, leaf_spec(common_name, organization, CertificateUsage::kClient), validity_seconds,
      now_unix);
}

Result<CertKeyPair> issue_apiserver_cert(const ClusterPki& pki, const model::Cluster& cluster,
                                         std::int64_t validity_seconds, std::int64_t now_unix) {
  NKD_ASSIGN_OR_RETURN(SubjectAltNames names, apiserver_alt_names(cluster));
  names.add_dns("localhost");
  names.add_host("127.0.0.1");
  return issue_from_kubernetes_ca(
      pki, leaf_spec("kube-apiserver", "", CertificateUsage::kServer, std::move(names)),
      validity_seconds, now_unix);
}

}  // namespace nkd::pki
