#include "render/pki/certificate.h"

#include <arpa/inet.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <utility>

#include "common/crypto.h"

namespace nkd::pki {
namespace {

constexpr std::size_t kSerialBytes = 20;

// Key usage bit positions from RFC 5280 §4.2.1.3.
constexpr int kDigitalSignatureBit = 0;
constexpr int kKeyEnciphermentBit = 2;
constexpr int kKeyCertSignBit = 5;
constexpr int kCrlSignBit = 6;

Status set_random_serial(X509* certificate) {
  std::string bytes = random_bytes(kSerialBytes);
  // Clearing the top bit keeps the serial positive and within RFC 5280's 20 octets.
  bytes[0] = static_cast<char>(static_cast<unsigned char>(bytes[0]) & 0x7f);
  BignumPtr number(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                             static_cast<int>(bytes.size()), nullptr));
  if (!number || BN_to_ASN1_INTEGER(number.get(), X509_get_serialNumber(certificate)) == nullptr) {
    return openssl_error("setting the certificate serial number");
  }
  return ok_status();
}

Status set_subject(X509* certificate, const CertificateSpec& spec) {
  X509NamePtr name(X509_NAME_new());
  if (!name) return openssl_error("allocating a certificate subject");
  auto add = [&](int nid, const std::string& value) {
    return X509_NAME_add_entry_by_NID(name.get(), nid, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.c_str()),
                                      static_cast<int>(value.size()), -1, 0) == 1;
  };
  if (!spec.organization.empty() && !add(NID_organizationName, spec.organization)) {
    return openssl_error("setting O=" + spec.organization);
  }
  if (!add(NID_commonName, spec.common_name)) {
    return openssl_error("setting CN=" + spec.common_name);
  }
  if (X509_set_subject_name(certificate, name.get()) != 1) {
    return openssl_error("setting the subject of " + spec.common_name);
  }
  return ok_status();
}

Status add_extension(X509* certificate, int nid, void* value, bool critical) {
  if (X509_add1_ext_i2d(certificate, nid, value, critical ? 1 : 0, X509V3_ADD_DEFAULT) != 1) {
    return openssl_error(std::string("adding extension ") + OBJ_nid2sn(nid));
  }
  return ok_status();
}

Status add_basic_constraints(X509* certificate, bool is_authority) {
  BasicConstraintsPtr constraints(BASIC_CONSTRAINTS_new());
  if (!constraints) return openssl_error("allocating basicConstraints");
  constraints->ca = is_authority ? 0xff : 0;
  return add_extension(certificate, NID_basic_constraints, constraints.get(), true);
}

Status add_key_usage(X509* certificate, CertificateUsage usage, EVP_PKEY* subject_key) {
  Asn1BitStringPtr bits(ASN1_BIT_STRING_new());
  if (!bits) return openssl_error("allocating keyUsage");
  std::vector<int> set_bits = {kDigitalSignatureBit};
  if (usage == CertificateUsage::kAuthority) {
    set_bits.push_back(kKeyCertSignBit);
    set_bits.push_back(kCrlSignBit);
  } else if (EVP_PKEY_is_a(subject_key, "RSA") == 1) {
    // RSA key exchange in TLS 1.2 encrypts with the leaf key; ECDSA keys only ever sign.
    set_bits.push_back(kKeyEnciphermentBit);
  }
  for (int bit : set_bits) {
    if (ASN1_BIT_STRING_set_bit(bits.get(), bit, 1) != 1) return openssl_error("setting keyUsage");
  }
  return add_extension(certificate, NID_key_usage, bits.get(), true);
}

Status add_extended_key_usage(X509* certificate, CertificateUsage usage) {
  if (usage == CertificateUsage::kAuthority) return ok_status();
  ExtendedKeyUsagePtr purposes(sk_ASN1_OBJECT_new_null());
  if (!purposes) return openssl_error("allocating extendedKeyUsage");
  auto push = [&](int nid) { return sk_ASN1_OBJECT_push(purposes.get(), OBJ_nid2obj(nid)) > 0; };
  const bool server =
      usage == CertificateUsage::kServer || usage == CertificateUsage::kServerAndClient;
  const bool client =
      usage == CertificateUsage::kClient || usage == CertificateUsage::kServerAndClient;
  if ((server && !push(NID_server_auth)) || (client && !push(NID_client_auth))) {
    return openssl_error("setting extendedKeyUsage");
  }
  return add_extension(certificate, NID_ext_key_usage, purposes.get(), false);
}

// Subject key identifier per RFC 5280 §4.2.1.2 method 1 (SHA-1 of the public key bits), and the
// authority key identifier pointing at the issuer's; a self-signed CA points at itself.
Status add_key_identifiers(X509* certificate, const Signer* signer) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (X509_pubkey_digest(certificate, EVP_sha1(), digest.data(), &length) != 1) {
    return openssl_error("computing the subject key identifier");
  }
  Asn1OctetStringPtr subject_id(ASN1_OCTET_STRING_new());
  if (!subject_id ||
      ASN1_OCTET_STRING_set(subject_id.get(), digest.data(), static_cast<int>(length)) != 1) {
    return openssl_error("storing the subject key identifier");
  }
  NKD_RETURN_IF_ERROR(
      add_extension(certificate, NID_subject_key_identifier, subject_id.get(), false));
  const ASN1_OCTET_STRING* issuer_id =
      signer == nullptr ? subject_id.get() : X509_get0_subject_key_id(signer->certificate);
  if (issuer_id == nullptr) return ok_status();  // an issuer without an SKI: nothing to point at
  AuthorityKeyIdPtr authority_id(AUTHORITY_KEYID_new());
  if (!authority_id) return openssl_error("allocating authorityKeyIdentifier");
  authority_id->keyid = ASN1_OCTET_STRING_dup(issuer_id);
  if (authority_id->keyid == nullptr) return openssl_error("copying the issuer key identifier");
  return add_extension(certificate, NID_authority_key_identifier, authority_id.get(), false);
}

Status push_name(GENERAL_NAMES* names, int type, const unsigned char* data, std::size_t size) {
  GeneralNamePtr name(GENERAL_NAME_new());
  Asn1StringPtr value(
      ASN1_STRING_type_new(type == GEN_DNS ? V_ASN1_IA5STRING : V_ASN1_OCTET_STRING));
  if (!name || !value || ASN1_STRING_set(value.get(), data, static_cast<int>(size)) != 1) {
    return openssl_error("building a subjectAltName entry");
  }
  GENERAL_NAME_set0_value(name.get(), type, value.release());
  if (sk_GENERAL_NAME_push(names, name.get()) <= 0) return openssl_error("adding a SAN entry");
  name.release();  // the stack owns it now
  return ok_status();
}

Status add_alt_names(X509* certificate, const SubjectAltNames& alt_names) {
  if (alt_names.dns_names().empty() && alt_names.ip_addresses().empty()) return ok_status();
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names) return openssl_error("allocating subjectAltName");
  for (const std::string& dns : alt_names.dns_names()) {
    NKD_RETURN_IF_ERROR(push_name(names.get(), GEN_DNS,
                                  reinterpret_cast<const unsigned char*>(dns.data()), dns.size()));
  }
  for (const IpAddress& address : alt_names.ip_addresses()) {
    NKD_RETURN_IF_ERROR(push_name(names.get(), GEN_IPADD, address.bytes.data(),
                                  address.family == AF_INET ? 4 : 16));
  }
  return add_extension(certificate, NID_subject_alt_name, names.get(), false);
}

Status add_extensions(X509* certificate, const CertificateSpec& spec, EVP_PKEY* subject_key,
                      const Signer* signer) {
  const bool is_authority = spec.usage == CertificateUsage::kAuthority;
  NKD_RETURN_IF_ERROR(add_basic_constraints(certificate, is_authority));
  NKD_RETURN_IF_ERROR(add_key_usage(certificate, spec.usage, subject_key));
  NKD_RETURN_IF_ERROR(add_extended_key_usage(certificate, spec.usage));
  NKD_RETURN_IF_ERROR(add_key_identifiers(certificate, signer));
  return add_alt_names(certificate, spec.alt_names);
}

Status set_validity(X509* certificate, const CertificateSpec& spec) {
  if (ASN1_TIME_set(X509_getm_notBefore(certificate), static_cast<time_t>(spec.not_before_unix)) ==
          nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(certificate), static_cast<time_t>(spec.not_after_unix)) ==
          nullptr) {
    return openssl_error("setting the validity of " + spec.common_name);
  }
  return ok_status();
}

// X509_set_pubkey round-trips the key through OpenSSL 3.0's encoder and decoder (~0.17 ms, more
// than generating and signing together). An EC SubjectPublicKeyInfo is only the curve's OID and
// the encoded point, so it is set directly; other key types take the general path.
Status set_public_key(X509* certificate, EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "EC") != 1) {
    if (X509_set_pubkey(certificate, key) != 1) return openssl_error("setting the public key");
    return ok_status();
  }
  std::array<char, 64> group{};
  std::size_t group_length = 0;
  std::array<unsigned char, 256> point{};
  std::size_t point_length = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(),
                                     &group_length) != 1 ||
      EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point.data(),
                                      point.size(), &point_length) != 1) {
    return openssl_error("reading the EC public key");
  }
  int curve = OBJ_sn2nid(group.data());
  if (curve == NID_undef) curve = EC_curve_nist2nid(group.data());
  OpenSslBytesPtr encoded(static_cast<unsigned char*>(OPENSSL_memdup(point.data(), point_length)));
  if (curve == NID_undef || !encoded) {
    return openssl_error(std::string("encoding an EC public key on curve ") + group.data());
  }
  if (X509_PUBKEY_set0_param(
          X509_get_X509_PUBKEY(certificate), OBJ_nid2obj(NID_X9_62_id_ecPublicKey), V_ASN1_OBJECT,
          OBJ_nid2obj(curve), encoded.get(), static_cast<int>(point_length)) != 1) {
    return openssl_error("setting the EC public key");
  }
  encoded.release();  // the certificate owns the point now
  return ok_status();
}

Result<std::string> bio_contents(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  if (size < 0 || (size > 0 && data == nullptr)) return openssl_error("reading a memory BIO");
  return std::string(data, static_cast<std::size_t>(size));
}

BioPtr memory_reader(std::string_view text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Only P-256 keys take the hand-assembled PKCS#8 path below; every other key takes OpenSSL's.
bool is_p256(EVP_PKEY* key) {
  std::array<char, 64> group{};
  std::size_t group_length = 0;
  const bool p256 = EVP_PKEY_is_a(key, "EC") == 1 &&
                    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group.data(),
                                                   group.size(), &group_length) == 1 &&
                    OBJ_sn2nid(group.data()) == NID_X9_62_prime256v1;
  ERR_clear_error();
  return p256;
}

Result<OpenSslBytesPtr> p256_ec_private_key_der(EVP_PKEY* key, std::size_t& length) {
  constexpr std::size_t kScalarBytes = 32;
  constexpr std::size_t kPointBytes = 65;
  static constexpr unsigned char kHead[] = {0x30, 0x6b, 0x02, 0x01, 0x01, 0x04, kScalarBytes};
  static constexpr unsigned char kPointHead[] = {0xa1, 0x44, 0x03, 0x42, 0x00};
  length = sizeof(kHead) + kScalarBytes + sizeof(kPointHead) + kPointBytes;
  OpenSslBytesPtr der(static_cast<unsigned char*>(OPENSSL_zalloc(length)));
  if (!der) return openssl_error("allocating a private key encoding");
  unsigned char* scalar_at = std::copy(std::begin(kHead), std::end(kHead), der.get());
  unsigned char* point_at =
      std::copy(std::begin(kPointHead), std::end(kPointHead), scalar_at + kScalarBytes);
  BIGNUM* scalar_raw = nullptr;
  const bool got_scalar = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &scalar_raw) == 1;
  const std::unique_ptr<BIGNUM, OpenSslDeleter<BN_clear_free>> scalar(scalar_raw);
  std::size_t point_length = 0;
  if (!got_scalar ||
      BN_bn2binpad(scalar.get(), scalar_at, kScalarBytes) != static_cast<int>(kScalarBytes) ||
      EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point_at,
                                      kPointBytes, &point_length) != 1 ||
      point_length != kPointBytes) {
    OPENSSL_cleanse(der.get(), length);
    return openssl_error("encoding a P-256 private key");
  }
  return der;
}

// PEM_write_bio_PrivateKey goes through OpenSSL 3.0's encoder lookup (~60 µs a key, half of a
// new cluster's PKI time). For P-256, nkd's default, PKCS#8 is a fixed layout: an RFC 5915
// ECPrivateKey (version 1, the 32-byte scalar, [1] the 65-byte point; the curve is named in the
// algorithm identifier) inside an RFC 5208 PrivateKeyInfo, assembled here.
Status write_p256_private_key(BIO* bio, EVP_PKEY* key) {
  std::size_t length = 0;
  NKD_ASSIGN_OR_RETURN(OpenSslBytesPtr der, p256_ec_private_key_der(key, length));
  using Pkcs8Ptr = std::unique_ptr<PKCS8_PRIV_KEY_INFO, OpenSslDeleter<PKCS8_PRIV_KEY_INFO_free>>;
  Pkcs8Ptr info(PKCS8_PRIV_KEY_INFO_new());
  if (!info || PKCS8_pkey_set0(info.get(), OBJ_nid2obj(NID_X9_62_id_ecPublicKey), 0, V_ASN1_OBJECT,
                               OBJ_nid2obj(NID_X9_62_prime256v1), der.get(),
                               static_cast<int>(length)) != 1) {
    OPENSSL_cleanse(der.get(), length);
    return openssl_error("building a PKCS#8 private key");
  }
  der.release();  // `info` owns the encoding now and wipes it when freed
  if (PEM_write_bio_PKCS8_PRIV_KEY_INFO(bio, info.get()) != 1) {
    return openssl_error("encoding a private key as PKCS#8 PEM");
  }
  return ok_status();
}

// Stored keys are never encrypted; refusing a passphrase keeps OpenSSL from prompting on a tty.
int refuse_passphrase(char*, int, int, void*) { return 0; }

}  // namespace

Result<EvpPkeyPtr> KeyGenerator::generate() {
  const bool rsa = algorithm_ == model::KeyAlgorithm::kRsa2048;
  if (!context_) {
    context_.reset(EVP_PKEY_CTX_new_from_name(nullptr, rsa ? "RSA" : "EC", nullptr));
    if (!context_ || EVP_PKEY_keygen_init(context_.get()) != 1 ||
        (rsa ? EVP_PKEY_CTX_set_rsa_keygen_bits(context_.get(), 2048)
             : EVP_PKEY_CTX_set_group_name(context_.get(), "P-256")) != 1) {
      context_.reset();
      return openssl_error(std::string("preparing ") + model::to_string(algorithm_) +
                           " key generation");
    }
  }
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_generate(context_.get(), &key) != 1) {
    return openssl_error(std::string("generating a ") + model::to_string(algorithm_) + " key");
  }
  return EvpPkeyPtr(key);
}

void SubjectAltNames::add_host(std::string_view host) {
  if (auto address = parse_ip(host)) {
    add_ip(*address);
  } else {
    add_dns(host);
  }
}

void SubjectAltNames::add_dns(std::string_view name) {
  if (name.empty()) return;
  if (std::find(dns_names_.begin(), dns_names_.end(), name) != dns_names_.end()) return;
  dns_names_.emplace_back(name);
}

void SubjectAltNames::add_ip(const IpAddress& address) {
  auto same = [&](const IpAddress& other) {
    return other.family == address.family && other.bytes == address.bytes;
  };
  if (std::any_of(ip_addresses_.begin(), ip_addresses_.end(), same)) return;
  ip_addresses_.push_back(address);
}

std::vector<std::string> SubjectAltNames::canonical_list() const {
  std::vector<std::string> entries;
  entries.reserve(dns_names_.size() + ip_addresses_.size());
  for (const std::string& name : dns_names_) entries.push_back("DNS:" + name);
  for (const IpAddress& address : ip_addresses_) entries.push_back("IP:" + address.to_string());
  std::sort(entries.begin(), entries.end());
  return entries;
}

std::string SubjectAltNames::canonical() const {
  std::string joined;
  for (const std::string& entry : canonical_list()) {
    if (!joined.empty()) joined += ',';
    joined += entry;
  }
  return joined;
}

Result<X509Ptr> issue_certificate(const CertificateSpec& spec, EVP_PKEY* subject_key,
                                  const Signer* signer) {
  X509Ptr certificate(X509_new());
  if (!certificate) return openssl_error("allocating a certificate");
  X509* cert = certificate.get();
  if (X509_set_version(cert, X509_VERSION_3) != 1) {
    return openssl_error("starting certificate " + spec.common_name);
  }
  NKD_RETURN_IF_ERROR(set_public_key(cert, subject_key));
  NKD_RETURN_IF_ERROR(set_random_serial(cert));
  NKD_RETURN_IF_ERROR(set_subject(cert, spec));
  NKD_RETURN_IF_ERROR(set_validity(cert, spec));
  const X509_NAME* issuer_name =
      signer == nullptr ? X509_get_subject_name(cert) : X509_get_subject_name(signer->certificate);
  if (X509_set_issuer_name(cert, issuer_name) != 1) {
    return openssl_error("setting the issuer of " + spec.common_name);
  }
  NKD_RETURN_IF_ERROR_WRAP(add_extensions(cert, spec, subject_key, signer),
                           "building certificate " + spec.common_name);
  EVP_PKEY* signing_key = signer == nullptr ? subject_key : signer->key;
  if (X509_sign(cert, signing_key, EVP_sha256()) <= 0) {
    return openssl_error("signing certificate " + spec.common_name);
  }
  return certificate;
}

Result<std::string> certificate_to_pem(X509* certificate) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), certificate) != 1) {
    return openssl_error("encoding a certificate as PEM");
  }
  return bio_contents(bio.get());
}

Result<Secret> private_key_to_pem(EVP_PKEY* key) {
  // A secure-memory BIO wipes its buffer when freed, so no copy of the key lingers in the heap.
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio) return openssl_error("allocating a memory BIO");
  if (is_p256(key)) {
    NKD_RETURN_IF_ERROR(write_p256_private_key(bio.get(), key));
  } else if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return openssl_error("encoding a private key as PKCS#8 PEM");
  }
  NKD_ASSIGN_OR_RETURN(std::string text, bio_contents(bio.get()));
  return Secret(std::move(text));
}

Result<std::string> public_key_to_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    return openssl_error("encoding a public key as PEM");
  }
  return bio_contents(bio.get());
}

Result<X509Ptr> certificate_from_pem(std::string_view pem) {
  BioPtr bio = memory_reader(pem);
  X509Ptr certificate(bio ? PEM_read_bio_X509(bio.get(), nullptr, refuse_passphrase, nullptr)
                          : nullptr);
  if (!certificate) return openssl_error("reading a PEM certificate", ErrorCode::kParse);
  return certificate;
}

Result<EvpPkeyPtr> private_key_from_pem(const Secret& pem) {
  BioPtr bio = memory_reader(pem.reveal());
  EvpPkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr)
                     : nullptr);
  if (!key) return openssl_error("reading a PEM private key", ErrorCode::kParse);
  return key;
}

Result<std::string> public_key_info_sha256_hex(const X509* certificate) {
  X509_PUBKEY* public_key = X509_get_X509_PUBKEY(certificate);
  const int length = i2d_X509_PUBKEY(public_key, nullptr);
  if (length <= 0) return openssl_error("encoding the SubjectPublicKeyInfo");
  std::string der(static_cast<std::size_t>(length), '\0');
  auto* cursor = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_X509_PUBKEY(public_key, &cursor) != length) {
    return openssl_error("encoding the SubjectPublicKeyInfo");
  }
  return sha256_hex(der);
}

Result<CertKeyPair> encode_pair(X509* certificate, EVP_PKEY* key) {
  NKD_ASSIGN_OR_RETURN(std::string cert_pem, certificate_to_pem(certificate));
  NKD_ASSIGN_OR_RETURN(Secret key_pem, private_key_to_pem(key));
  return CertKeyPair{.cert_pem = std::move(cert_pem), .key_pem = std::move(key_pem)};
}

}  // namespace nkd::pki
