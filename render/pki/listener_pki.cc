#include "render/pki/listener_pki.h"

#include <algorithm>
#include <utility>

#include "render/pki/certificate.h"

namespace nkd::pki {
namespace {

constexpr char kAuthorityName[] = "nkd listener CA";
constexpr char kServerName[] = "nkd";

Error damaged_authority(const std::string& detail) {
  return Error{ErrorCode::kParse,
               "the listener CA in the state directory is unusable (" + detail +
                   "); restore tls/ca.pem in the state directory from a backup, or remove it to "
                   "make a new CA and hand nodes the pointer configs rendered with it"};
}

Result<CertKeyPair> make_authority(KeyGenerator& keys, std::int64_t now_unix) {
  NKD_ASSIGN_OR_RETURN(EvpPkeyPtr key, keys.generate());
  const CertificateSpec spec{.common_name = kAuthorityName,
                             .organization = "nkd",
                             .usage = CertificateUsage::kAuthority,
                             .alt_names = {},
                             .not_before_unix = now_unix - kClockSkewSeconds,
                             .not_after_unix = now_unix + kAuthorityValiditySeconds};
  NKD_ASSIGN_OR_RETURN(X509Ptr certificate, issue_certificate(spec, key.get(), nullptr));
  return encode_pair(certificate.get(), key.get());
}

Result<CertKeyPair> issue_server(const CertKeyPair& authority, const SubjectAltNames& names,
                                 KeyGenerator& keys, std::int64_t now_unix) {
  Result<X509Ptr> ca_certificate = certificate_from_pem(authority.cert_pem);
  if (!ca_certificate) return damaged_authority(ca_certificate.error().message);
  Result<EvpPkeyPtr> ca_key = private_key_from_pem(authority.key_pem);
  if (!ca_key) return damaged_authority(ca_key.error().message);
  const Signer signer{.certificate = ca_certificate->get(), .key = ca_key->get()};
  NKD_ASSIGN_OR_RETURN(EvpPkeyPtr key, keys.generate());
  const CertificateSpec spec{.common_name = kServerName,
                             .organization = "",
                             .usage = CertificateUsage::kServer,
                             .alt_names = names,
                             .not_before_unix = now_unix - kClockSkewSeconds,
                             .not_after_unix = now_unix + kLeafValiditySeconds};
  NKD_ASSIGN_OR_RETURN(X509Ptr certificate, issue_certificate(spec, key.get(), &signer));
  return encode_pair(certificate.get(), key.get());
}

bool server_still_fits(const CertKeyPair& server, const SubjectAltNames& names,
                       std::int64_t now_unix) {
  if (server.cert_pem.empty() || server.key_pem.empty()) return false;
  Result<CertificateFacts> facts = read_certificate_facts(server.cert_pem);
  if (!facts) return false;
  return facts->alt_names == names.canonical_list() &&
         facts->not_after_unix - now_unix > kRenewWithinSeconds;
}

}  // namespace

Result<ListenerPki> ensure_listener_pki(const std::optional<ListenerPki>& existing,
                                        const std::vector<std::string>& hosts,
                                        std::int64_t now_unix) {
  ListenerPki pki = existing.value_or(ListenerPki{});
  KeyGenerator keys(model::KeyAlgorithm::kEcdsaP256);
  const bool has_cert = !pki.ca.cert_pem.empty();
  const bool has_key = !pki.ca.key_pem.empty();
  if (has_cert != has_key) {
    return damaged_authority(has_cert ? "the key is missing" : "the certificate is missing");
  }
  bool new_authority = false;
  if (!has_cert) {
    NKD_ASSIGN_OR_RETURN(CertKeyPair authority, make_authority(keys, now_unix));
    pki.ca = std::move(authority);
    new_authority = true;
  }
  SubjectAltNames names;
  for (const std::string& host : hosts) names.add_host(host);
  if (new_authority || !server_still_fits(pki.server, names, now_unix)) {
    NKD_ASSIGN_OR_RETURN(CertKeyPair server, issue_server(pki.ca, names, keys, now_unix));
    pki.server = std::move(server);
  }
  return pki;
}

}  // namespace nkd::pki
