#include "source/ssh_signature.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>

#include "common/openssl_handles.h"
#include "source/ssh_wire.h"

namespace nkd::source {

namespace {

constexpr std::string_view kArmorBegin = "-----BEGIN SSH SIGNATURE-----";
constexpr std::string_view kArmorEnd = "-----END SSH SIGNATURE-----";
constexpr std::string_view kMagic = "SSHSIG";
constexpr int kMinimumRsaBits = 2048;

// The parts of an sshsig blob (PROTOCOL.sshsig §2).
struct SshSig {
  std::string_view public_key;
  std::string_view signature_namespace;
  std::string_view reserved;
  std::string_view hash_algorithm;
  std::string_view signature;
};

std::optional<std::string> dearmor(std::string_view armored) {
  const auto begin = armored.find(kArmorBegin);
  const auto end = armored.find(kArmorEnd);
  if (begin == std::string_view::npos || end == std::string_view::npos || end < begin) {
    return std::nullopt;
  }
  std::string base64;
  for (const char character :
       armored.substr(begin + kArmorBegin.size(), end - begin - kArmorBegin.size())) {
    if (character != '\n' && character != '\r' && character != ' ' && character != '\t') {
      base64 += character;
    }
  }
  return decode_base64(base64);
}

std::optional<SshSig> parse_sshsig(std::string_view blob) {
  SshWireReader reader(blob);
  const auto magic = reader.bytes(kMagic.size());
  const auto version = reader.uint32();
  if (!magic || *magic != kMagic || !version || *version != 1) return std::nullopt;
  const auto public_key = reader.string();
  const auto signature_namespace = reader.string();
  const auto reserved = reader.string();
  const auto hash_algorithm = reader.string();
  const auto signature = reader.string();
  if (!signature || !reader.at_end()) return std::nullopt;
  return SshSig{*public_key, *signature_namespace, *reserved, *hash_algorithm, *signature};
}

void append_string(std::string& out, std::string_view value) {
  const auto length = static_cast<std::uint32_t>(value.size());
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((length >> shift) & 0xff);
  out += value;
}

std::optional<std::string> digest(const EVP_MD* md, std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &length,
                 md, nullptr) != 1) {
    return std::nullopt;
  }
  out.resize(length);
  return out;
}

// What the signer signed: the magic, then namespace, reserved, hash algorithm and the hash of
// the message, each as an SSH string.
std::string signed_data(const SshSig& sig, std::string_view message_hash) {
  std::string data(kMagic);
  append_string(data, sig.signature_namespace);
  append_string(data, sig.reserved);
  append_string(data, sig.hash_algorithm);
  append_string(data, message_hash);
  return data;
}

// "SHA256:<base64>" as ssh-keygen -l prints it, to name a key in messages.
std::string fingerprint(std::string_view key_blob) {
  const auto hash = digest(EVP_sha256(), key_blob).value_or("");
  std::string text(4 * ((hash.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()),
                                     reinterpret_cast<const unsigned char*>(hash.data()),
                                     static_cast<int>(hash.size()));
  text.resize(static_cast<std::size_t>(std::max(length, 0)));
  while (text.ends_with('=')) text.pop_back();
  return "SHA256:" + text;
}

BignumPtr to_bignum(std::string_view mpint) {
  return BignumPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(mpint.data()),
                             static_cast<int>(mpint.size()), nullptr));
}

EvpPkeyPtr key_from_params(const char* algorithm, const OSSL_PARAM* params) {
  EvpPkeyCtxPtr context(EVP_PKEY_CTX_new_from_name(nullptr, algorithm, nullptr));
  EVP_PKEY* key = nullptr;
  if (!context || EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &key, EVP_PKEY_PUBLIC_KEY,
                        const_cast<OSSL_PARAM*>(params)) != 1) {
    return nullptr;
  }
  return EvpPkeyPtr(key);
}

// An OpenSSL key, the digest the signature algorithm uses (none for Ed25519) and the signature
// in the form OpenSSL verifies (DER for ECDSA); built from the key blob and the sshsig signature.
struct Verifiable {
  EvpPkeyPtr key;
  const EVP_MD* md = nullptr;
  std::string signature;
};

Result<Verifiable> build_ed25519(SshWireReader& key, std::string_view signature) {
  const auto raw = key.string();
  if (!raw || raw->size() != 32 || signature.size() != 64) {
    return Error{ErrorCode::kParse, "a malformed Ed25519 key or signature"};
  }
  EvpPkeyPtr pkey(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw->data()), raw->size()));
  if (!pkey) return Error{ErrorCode::kParse, "an Ed25519 key OpenSSL refuses"};
  return Verifiable{std::move(pkey), nullptr, std::string(signature)};
}

Result<Verifiable> build_ecdsa(std::string_view type, SshWireReader& key,
                               std::string_view signature) {
  const std::string_view curve = type.substr(type.rfind('-') + 1);
  const char* group = curve == "nistp256"   ? "prime256v1"
                      : curve == "nistp384" ? "secp384r1"
                                            : "secp521r1";
  const EVP_MD* md = curve == "nistp256"   ? EVP_sha256()
                     : curve == "nistp384" ? EVP_sha384()
                                           : EVP_sha512();
  const auto key_curve = key.string();
  const auto point = key.string();
  SshWireReader sig(signature);
  const auto r = sig.string();
  const auto s = sig.string();
  if (!point || *key_curve != curve || !s) {
    return Error{ErrorCode::kParse, "a malformed ECDSA key or signature"};
  }
  std::string point_bytes(*point);
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point_bytes.data(),
                                        point_bytes.size()),
      OSSL_PARAM_construct_end()};
  EvpPkeyPtr pkey = key_from_params("EC", params);
  if (!pkey)
    return Error{ErrorCode::kParse,
                 "an ECDSA key OpenSSL refuses (not a point on " + std::string(curve) + ")"};
  BignumPtr r_number = to_bignum(*r);
  BignumPtr s_number = to_bignum(*s);
  EcdsaSigPtr der_sig(ECDSA_SIG_new());
  if (!r_number || !s_number || !der_sig ||
      ECDSA_SIG_set0(der_sig.get(), r_number.get(), s_number.get()) != 1) {
    return Error{ErrorCode::kInternal, "cannot hold an ECDSA signature"};
  }
  // ECDSA_SIG_set0 took both numbers.
  (void)r_number.release();
  (void)s_number.release();
  const int length = i2d_ECDSA_SIG(der_sig.get(), nullptr);
  if (length <= 0) return Error{ErrorCode::kParse, "cannot encode the ECDSA signature"};
  std::string der(static_cast<std::size_t>(length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_ECDSA_SIG(der_sig.get(), &out);
  return Verifiable{std::move(pkey), md, std::move(der)};
}

Result<Verifiable> build_rsa(std::string_view signature_type, SshWireReader& key,
                             std::string_view signature) {
  const EVP_MD* md = signature_type == "rsa-sha2-256"   ? EVP_sha256()
                     : signature_type == "rsa-sha2-512" ? EVP_sha512()
                                                        : nullptr;
  if (md == nullptr) {
    return Error{ErrorCode::kInvalidArgument,
                 "RSA signature algorithm " + std::string(signature_type) +
                     " is refused (only rsa-sha2-256 and rsa-sha2-512)"};
  }
  const auto exponent = key.string();
  const auto modulus = key.string();
  BignumPtr e = exponent ? to_bignum(*exponent) : nullptr;
  BignumPtr n = modulus ? to_bignum(*modulus) : nullptr;
  if (!e || !n) return Error{ErrorCode::kParse, "a malformed RSA key"};
  if (BN_num_bits(n.get()) < kMinimumRsaBits) {
    return Error{ErrorCode::kInvalidArgument,
                 "RSA keys shorter than " + std::to_string(kMinimumRsaBits) + " bits are refused"};
  }
  ParamBuildPtr build(OSSL_PARAM_BLD_new());
  if (!build || OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return Error{ErrorCode::kInternal, "cannot build RSA parameters"};
  }
  ParamsPtr params(OSSL_PARAM_BLD_to_param(build.get()));
  EvpPkeyPtr pkey = params ? key_from_params("RSA", params.get()) : nullptr;
  if (!pkey) return Error{ErrorCode::kParse, "an RSA key OpenSSL refuses"};
  return Verifiable{std::move(pkey), md, std::string(signature)};
}

// The key and signature ready for OpenSSL; a refused or malformed pair is an error.
Result<Verifiable> build_verifiable(std::string_view key_blob, std::string_view sshsig_signature) {
  SshWireReader key(key_blob);
  SshWireReader sig(sshsig_signature);
  const auto key_type = key.string();
  const auto signature_type = sig.string();
  const auto signature = sig.string();
  if (!key_type || !signature) return Error{ErrorCode::kParse, "a malformed signature"};
  if (*key_type == "ssh-rsa") return build_rsa(*signature_type, key, *signature);
  if (*signature_type != *key_type) {
    return Error{ErrorCode::kParse, "a " + std::string(*signature_type) + " signature from a " +
                                        std::string(*key_type) + " key"};
  }
  if (*key_type == "ssh-ed25519") return build_ed25519(key, *signature);
  if (key_type->starts_with("ecdsa-sha2-nistp")) return build_ecdsa(*key_type, key, *signature);
  return Error{ErrorCode::kInvalidArgument,
               "key type " + std::string(*key_type) + " is not supported"};
}

bool verifies(const Verifiable& verifiable, std::string_view data) {
  EvpMdCtxPtr context(EVP_MD_CTX_new());
  return context &&
         EVP_DigestVerifyInit(context.get(), nullptr, verifiable.md, nullptr,
                              verifiable.key.get()) == 1 &&
         EVP_DigestVerify(context.get(),
                          reinterpret_cast<const unsigned char*>(verifiable.signature.data()),
                          verifiable.signature.size(),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
}

// The first signer line for `key_blob` that allows the git namespace now; else why none does.
SignatureCheck find_signer(const std::vector<AllowedSigner>& signers, std::string_view key_blob,
                           std::int64_t now_unix) {
  std::optional<std::string> refusal;
  for (const AllowedSigner& signer : signers) {
    if (signer.key_blob != key_blob) continue;
    refusal = signer.refusal(kGitSignatureNamespace, now_unix);
    if (!refusal) {
      std::string who = signer.principals.empty() ? "" : signer.principals.front() + " ";
      return SignatureCheck::trusted_by(who + "(" + fingerprint(key_blob) + ")");
    }
  }
  if (refusal) return SignatureCheck::rejected(Rejection::kKeyNotAllowed, *refusal);
  return SignatureCheck::rejected(Rejection::kUnknownKey,
                                  "signed by SSH key " + fingerprint(key_blob) +
                                      ", which the allowed signers file does not list");
}

}  // namespace

SignatureCheck verify_ssh_signature(std::string_view armored, std::string_view payload,
                                    const std::vector<AllowedSigner>& signers,
                                    std::int64_t now_unix) {
  const auto blob = dearmor(armored);
  const auto sig = blob ? parse_sshsig(*blob) : std::nullopt;
  if (!sig) {
    return SignatureCheck::rejected(Rejection::kMalformed, "the signature is not an SSH signature");
  }
  if (sig->signature_namespace != kGitSignatureNamespace) {
    return SignatureCheck::rejected(Rejection::kBadSignature,
                                    "the signature is for namespace \"" +
                                        std::string(sig->signature_namespace) + "\", not \"git\"");
  }
  SignatureCheck signer = find_signer(signers, sig->public_key, now_unix);
  if (!signer.trusted()) return signer;
  const EVP_MD* md = sig->hash_algorithm == "sha512"   ? EVP_sha512()
                     : sig->hash_algorithm == "sha256" ? EVP_sha256()
                                                       : nullptr;
  if (md == nullptr) {
    return SignatureCheck::rejected(Rejection::kMalformed, "the signature hashes with \"" +
                                                               std::string(sig->hash_algorithm) +
                                                               "\" (sha256 or sha512 expected)");
  }
  auto verifiable = build_verifiable(sig->public_key, sig->signature);
  if (!verifiable)
    return SignatureCheck::rejected(Rejection::kMalformed, verifiable.error().message);
  const auto message_hash = digest(md, payload);
  if (!message_hash || !verifies(*verifiable, signed_data(*sig, *message_hash))) {
    return SignatureCheck::rejected(Rejection::kBadSignature,
                                    "the signature by " + signer.detail +
                                        " does not match the commit (altered after signing?)");
  }
  return signer;
}

}  // namespace nkd::source
