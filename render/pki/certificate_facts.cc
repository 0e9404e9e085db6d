// Reads a certificate's notAfter and subjectAltName by walking its DER (RFC 5280 §4.1) with
// OpenSSL's TLV reader, decoding only those two parts; see CertificateFacts for why.
#include <arpa/inet.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <optional>

#include "render/pki/certificate.h"

namespace nkd::pki {
namespace {

// One DER element: its whole encoding [start, end) and its content [content, end).
struct DerElement {
  const unsigned char* start = nullptr;
  const unsigned char* content = nullptr;
  const unsigned char* end = nullptr;
  int tag = 0;
  int tag_class = 0;
};

// Reads the element at `cursor` and moves `cursor` past it; false on malformed or
// indefinite-length input (which DER never uses).
bool next_element(const unsigned char*& cursor, const unsigned char* limit, DerElement& element) {
  if (cursor >= limit) return false;
  element.start = cursor;
  long length = 0;
  const int flags =
      ASN1_get_object(&cursor, &length, &element.tag, &element.tag_class, limit - cursor);
  if ((flags & 0x80) != 0 || (flags & 0x01) != 0) return false;
  element.content = cursor;
  element.end = cursor + length;
  cursor = element.end;
  return true;
}

bool is_context(const DerElement& element, int tag) {
  return element.tag_class == V_ASN1_CONTEXT_SPECIFIC && element.tag == tag;
}

struct TbsParts {
  DerElement validity;
  std::optional<DerElement> extensions;  // the [3] wrapper
};

// Finds validity and extensions in TBSCertificate: [0] version, serial, signature, issuer,
// validity, subject, subjectPublicKeyInfo, [1] and [2] unique IDs, [3] extensions.
bool split_tbs(std::string_view der, TbsParts& parts) {
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* limit = cursor + der.size();
  DerElement certificate;
  DerElement tbs;
  if (!next_element(cursor, limit, certificate)) return false;
  cursor = certificate.content;
  if (!next_element(cursor, certificate.end, tbs) || tbs.tag != V_ASN1_SEQUENCE) return false;
  cursor = tbs.content;
  DerElement element;
  if (!next_element(cursor, tbs.end, element)) return false;
  if (is_context(element, 0) && !next_element(cursor, tbs.end, element)) return false;
  // `element` is the serial; skip signature and issuer, then read validity.
  for (int skipped = 0; skipped < 2; ++skipped) {
    if (!next_element(cursor, tbs.end, element)) return false;
  }
  if (!next_element(cursor, tbs.end, parts.validity) || parts.validity.tag != V_ASN1_SEQUENCE) {
    return false;
  }
  while (cursor < tbs.end) {
    if (!next_element(cursor, tbs.end, element)) return false;
    if (is_context(element, 3)) parts.extensions = element;
  }
  return true;
}

bool read_not_after(const DerElement& validity, std::int64_t& not_after_unix) {
  const unsigned char* cursor = validity.content;
  DerElement not_before;
  DerElement not_after;
  if (!next_element(cursor, validity.end, not_before) ||
      !next_element(cursor, validity.end, not_after)) {
    return false;
  }
  const unsigned char* time_der = not_after.start;
  std::unique_ptr<ASN1_TIME, OpenSslDeleter<ASN1_TIME_free>> time(
      d2i_ASN1_TIME(nullptr, &time_der, not_after.end - not_after.start));
  std::tm broken_down{};
  if (!time || ASN1_TIME_to_tm(time.get(), &broken_down) != 1) return false;
  not_after_unix = static_cast<std::int64_t>(timegm(&broken_down));
  return true;
}

bool read_alt_names(const DerElement& wrapper, std::vector<std::string>& alt_names) {
  const unsigned char* cursor = wrapper.content;
  X509ExtensionsPtr extensions(
      d2i_X509_EXTENSIONS(nullptr, &cursor, wrapper.end - wrapper.content));
  if (!extensions) return false;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509V3_get_d2i(extensions.get(), NID_subject_alt_name, nullptr, nullptr)));
  if (names) alt_names = canonical_alt_names(names.get());
  return true;
}

Result<std::string> pem_certificate_der(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long length = 0;
  const int read = bio ? PEM_read_bio(bio.get(), &name, &header, &data, &length) : 0;
  const OpenSslCharsPtr owned_name(name);
  const OpenSslCharsPtr owned_header(header);
  const OpenSslBytesPtr owned_data(data);
  if (read != 1) return openssl_error("reading a PEM certificate", ErrorCode::kParse);
  if (std::strcmp(name, PEM_STRING_X509) != 0) {
    return Error{ErrorCode::kParse, std::string("reading a PEM certificate: found a ") + name +
                                        " block instead; store certificates as CERTIFICATE PEM"};
  }
  return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
}

}  // namespace

std::vector<std::string> canonical_alt_names(const GENERAL_NAMES* names) {
  SubjectAltNames collected;
  for (int index = 0; index < sk_GENERAL_NAME_num(names); ++index) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, index);
    if (name->type == GEN_DNS) {
      const ASN1_STRING* text = name->d.dNSName;
      collected.add_dns(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                                         static_cast<std::size_t>(ASN1_STRING_length(text))));
    } else if (name->type == GEN_IPADD) {
      const ASN1_STRING* raw = name->d.iPAddress;
      const int length = ASN1_STRING_length(raw);
      if (length != 4 && length != 16) continue;
      IpAddress address;
      address.family = length == 4 ? AF_INET : AF_INET6;
      std::copy_n(ASN1_STRING_get0_data(raw), length, address.bytes.begin());
      collected.add_ip(address);
    }
  }
  return collected.canonical_list();
}

Result<CertificateFacts> read_certificate_facts(std::string_view pem) {
  NKD_ASSIGN_OR_RETURN(std::string der, pem_certificate_der(pem));
  TbsParts parts;
  CertificateFacts facts;
  if (!split_tbs(der, parts) || !read_not_after(parts.validity, facts.not_after_unix) ||
      (parts.extensions && !read_alt_names(*parts.extensions, facts.alt_names))) {
    ERR_clear_error();
    return Error{ErrorCode::kParse,
                 "reading a certificate: its DER is not an X.509 certificate; issue it again"};
  }
  return facts;
}

}  // namespace nkd::pki
