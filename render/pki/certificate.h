// Building blocks of the cluster PKI over OpenSSL 3's EVP and X509 APIs: key generation, issuing
// one certificate, PEM encoding, and reading back what ensure_pki needs to decide whether a stored
// certificate can stay (its subject alternative names and its expiry). Internal to render/pki.
// Every function is reentrant; none keeps global state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/cidr.h"
#include "common/openssl_handles.h"
#include "common/result.h"
#include "common/secret.h"
#include "model/cluster.h"
#include "render/pki/cluster_pki.h"

namespace nkd::pki {

// Lifetimes shared by every certificate nkd issues (the clusters' and its listener's): CAs ten
// years, leaves one, renewed within their last 30 days, and valid from a little before now so
// that nodes whose clocks lag accept a certificate issued just now.
inline constexpr std::int64_t kDaySeconds = 24 * 60 * 60;
inline constexpr std::int64_t kClockSkewSeconds = 5 * 60;
inline constexpr std::int64_t kAuthorityValiditySeconds = 3650 * kDaySeconds;
inline constexpr std::int64_t kLeafValiditySeconds = 365 * kDaySeconds;
inline constexpr std::int64_t kRenewWithinSeconds = 30 * kDaySeconds;

// Makes keys of one algorithm. The keygen context is created on first use and then reused, so a
// burst of keys (a new cluster needs about twenty) skips repeated provider lookups, and a render
// that needs no key pays nothing. Not thread-safe: one generator per thread.
class KeyGenerator {
 public:
  explicit KeyGenerator(model::KeyAlgorithm algorithm) : algorithm_(algorithm) {}
  [[nodiscard]] Result<EvpPkeyPtr> generate();

 private:
  model::KeyAlgorithm algorithm_;
  EvpPkeyCtxPtr context_;
};

// Subject alternative names in insertion order, without duplicates. Its canonical form is the
// sorted list of "DNS:<name>" and "IP:<address>" entries (addresses as inet_ntop prints them),
// which is what certificate_sans and apiserver_sans return.
class SubjectAltNames {
 public:
  // Adds `host` as an IP entry when it parses as an address, else as a DNS entry.
  void add_host(std::string_view host);
  void add_dns(std::string_view name);
  void add_ip(const IpAddress& address);

  [[nodiscard]] const std::vector<std::string>& dns_names() const { return dns_names_; }
  [[nodiscard]] const std::vector<IpAddress>& ip_addresses() const { return ip_addresses_; }
  [[nodiscard]] std::vector<std::string> canonical_list() const;
  [[nodiscard]] std::string canonical() const;  // canonical_list() joined with ","

 private:
  std::vector<std::string> dns_names_;
  std::vector<IpAddress> ip_addresses_;
};

enum class CertificateUsage { kAuthority, kServer, kClient, kServerAndClient };

struct CertificateSpec {
  std::string common_name;
  std::string organization;  // empty: no O attribute
  CertificateUsage usage = CertificateUsage::kClient;
  SubjectAltNames alt_names;
  std::int64_t not_before_unix = 0;
  std::int64_t not_after_unix = 0;
};

// The issuer of a certificate: a CA's certificate and private key (both borrowed).
struct Signer {
  X509* certificate = nullptr;
  EVP_PKEY* key = nullptr;
};

// Issues a certificate for `subject_key`: signed by `signer`, or self-signed when `signer` is
// null (a CA). Random 159-bit positive serial; SHA-256 signature; extensions per `spec.usage`.
[[nodiscard]] Result<X509Ptr> issue_certificate(const CertificateSpec& spec, EVP_PKEY* subject_key,
                                                const Signer* signer);

[[nodiscard]] Result<std::string> certificate_to_pem(X509* certificate);
[[nodiscard]] Result<Secret> private_key_to_pem(EVP_PKEY* key);  // PKCS#8
// Both as PEM, as the PKI records keep them.
[[nodiscard]] Result<CertKeyPair> encode_pair(X509* certificate, EVP_PKEY* key);
[[nodiscard]] Result<std::string> public_key_to_pem(EVP_PKEY* key);
[[nodiscard]] Result<X509Ptr> certificate_from_pem(std::string_view pem);
[[nodiscard]] Result<EvpPkeyPtr> private_key_from_pem(const Secret& pem);

// What reuse decisions need from a stored certificate. Read by walking the DER instead of building
// an X509 object: OpenSSL 3.0 decodes the public key of every parsed X509 through its provider
// decoders (about 0.1 ms each), which would dominate checking an unchanged PKI.
struct CertificateFacts {
  std::int64_t not_after_unix = 0;
  std::vector<std::string> alt_names;  // canonical form (see SubjectAltNames)
};
[[nodiscard]] Result<CertificateFacts> read_certificate_facts(std::string_view pem);

// The canonical form of a decoded subjectAltName extension.
[[nodiscard]] std::vector<std::string> canonical_alt_names(const GENERAL_NAMES* names);

// Hex SHA-256 of the DER SubjectPublicKeyInfo: kubeadm's discovery CA hash without the prefix.
[[nodiscard]] Result<std::string> public_key_info_sha256_hex(const X509* certificate);

}  // namespace nkd::pki
