// RAII owners for the OpenSSL objects nkd creates (the PKI, the listener's TLS, signature
// checks), and a helper that turns OpenSSL's thread-local error queue into an Error. Every OpenSSL
// object is held by one of these; nothing is freed by hand.
#pragma once

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace nkd {

template <auto Free>
struct OpenSslDeleter {
  template <typename T>
  void operator()(T* handle) const {
    if (handle != nullptr) Free(handle);
  }
};

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpenSslDeleter<EVP_PKEY_CTX_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpenSslDeleter<EVP_MD_CTX_free>>;
using EvpCipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, OpenSslDeleter<EVP_CIPHER_CTX_free>>;
using ParamBuildPtr = std::unique_ptr<OSSL_PARAM_BLD, OpenSslDeleter<OSSL_PARAM_BLD_free>>;
using ParamsPtr = std::unique_ptr<OSSL_PARAM, OpenSslDeleter<OSSL_PARAM_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OpenSslDeleter<ECDSA_SIG_free>>;
using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<X509_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, OpenSslDeleter<X509_NAME_free>>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, OpenSslDeleter<X509_EXTENSION_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpenSslDeleter<BN_free>>;
using Asn1OctetStringPtr =
    std::unique_ptr<ASN1_OCTET_STRING, OpenSslDeleter<ASN1_OCTET_STRING_free>>;
using Asn1BitStringPtr = std::unique_ptr<ASN1_BIT_STRING, OpenSslDeleter<ASN1_BIT_STRING_free>>;
using Asn1StringPtr = std::unique_ptr<ASN1_STRING, OpenSslDeleter<ASN1_STRING_free>>;
using BasicConstraintsPtr =
    std::unique_ptr<BASIC_CONSTRAINTS, OpenSslDeleter<BASIC_CONSTRAINTS_free>>;
using ExtendedKeyUsagePtr =
    std::unique_ptr<EXTENDED_KEY_USAGE, OpenSslDeleter<EXTENDED_KEY_USAGE_free>>;
using AuthorityKeyIdPtr = std::unique_ptr<AUTHORITY_KEYID, OpenSslDeleter<AUTHORITY_KEYID_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, OpenSslDeleter<GENERAL_NAME_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, OpenSslDeleter<GENERAL_NAMES_free>>;
using X509PubkeyPtr = std::unique_ptr<X509_PUBKEY, OpenSslDeleter<X509_PUBKEY_free>>;

// Memory OpenSSL allocated for us (PEM_read_bio's name, header and data).
struct OpenSslMemoryDeleter {
  void operator()(void* memory) const { OPENSSL_free(memory); }
};
using OpenSslCharsPtr = std::unique_ptr<char, OpenSslMemoryDeleter>;
using OpenSslBytesPtr = std::unique_ptr<unsigned char, OpenSslMemoryDeleter>;

// A decoded extensions list owns its entries as well as the stack.
struct X509ExtensionsDeleter {
  void operator()(X509_EXTENSIONS* extensions) const {
    sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
  }
};
using X509ExtensionsPtr = std::unique_ptr<X509_EXTENSIONS, X509ExtensionsDeleter>;

// Drains this thread's OpenSSL error queue into one Error: "<doing>: <openssl reasons>". The queue
// is always emptied, so a stale reason never leaks into a later, unrelated failure.
inline Error openssl_error(std::string_view doing, ErrorCode code = ErrorCode::kInternal) {
  std::string reasons;
  while (const unsigned long packed = ERR_get_error()) {
    char text[256] = {};
    ERR_error_string_n(packed, text, sizeof(text));
    if (!reasons.empty()) reasons += "; ";
    reasons += text;
  }
  if (reasons.empty()) reasons = "no reason reported by OpenSSL";
  return Error{code, std::string(doing) + ": " + reasons};
}

}  // namespace nkd
