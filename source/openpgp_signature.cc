#include "source/openpgp_signature.h"

#include <gpgme.h>

#include <filesystem>
#include <memory>
#include <mutex>

namespace nkd::source {

namespace {

struct ContextDeleter {
  void operator()(gpgme_ctx_t context) const { gpgme_release(context); }
};
struct DataDeleter {
  void operator()(gpgme_data_t data) const { gpgme_data_release(data); }
};
struct KeyDeleter {
  void operator()(gpgme_key_t key) const { gpgme_key_unref(key); }
};
using ContextPtr = std::unique_ptr<std::remove_pointer_t<gpgme_ctx_t>, ContextDeleter>;
using DataPtr = std::unique_ptr<std::remove_pointer_t<gpgme_data_t>, DataDeleter>;
using KeyPtr = std::unique_ptr<std::remove_pointer_t<gpgme_key_t>, KeyDeleter>;

std::string describe(gpgme_error_t error) { return gpgme_strerror(error); }

// A context for OpenPGP over `keyring_directory` (GPGME runs gpg with that home).
Result<ContextPtr> open_context(const std::string& keyring_directory) {
  static std::once_flag initialized;
  std::call_once(initialized, [] { gpgme_check_version(nullptr); });
  gpgme_ctx_t raw = nullptr;
  if (auto error = gpgme_new(&raw); error != 0) {
    return Error{ErrorCode::kInternal, "cannot start GPGME: " + describe(error)};
  }
  ContextPtr context(raw);
  if (auto error = gpgme_set_protocol(context.get(), GPGME_PROTOCOL_OpenPGP); error != 0) {
    return Error{ErrorCode::kInternal,
                 "GPGME has no OpenPGP engine (install gpg): " + describe(error)};
  }
  if (auto error = gpgme_ctx_set_engine_info(context.get(), GPGME_PROTOCOL_OpenPGP, nullptr,
                                             keyring_directory.c_str());
      error != 0) {
    return Error{ErrorCode::kInternal,
                 "cannot use the keyring " + keyring_directory + ": " + describe(error)};
  }
  return context;
}

Result<DataPtr> data_of(std::string_view bytes) {
  gpgme_data_t raw = nullptr;
  if (auto error = gpgme_data_new_from_mem(&raw, bytes.data(), bytes.size(), 1); error != 0) {
    return Error{ErrorCode::kInternal, "GPGME data: " + describe(error)};
  }
  return DataPtr(raw);
}

// The verdict on one signature GPGME checked.
SignatureCheck judge(gpgme_ctx_t context, const gpgme_signature_t signature) {
  const std::string key = signature->fpr != nullptr ? signature->fpr : "(unknown)";
  const auto code = gpgme_err_code(signature->status);
  if (code == GPG_ERR_NO_PUBKEY) {
    return SignatureCheck::rejected(
        Rejection::kUnknownKey, "signed by OpenPGP key " + key + ", which is not in the keyring");
  }
  if (code == GPG_ERR_KEY_EXPIRED || code == GPG_ERR_SIG_EXPIRED || code == GPG_ERR_CERT_REVOKED ||
      (signature->summary &
       (GPGME_SIGSUM_KEY_REVOKED | GPGME_SIGSUM_KEY_EXPIRED | GPGME_SIGSUM_SIG_EXPIRED)) != 0) {
    return SignatureCheck::rejected(
        Rejection::kKeyNotAllowed,
        "OpenPGP key " + key + " is expired or revoked (" + describe(signature->status) + ")");
  }
  if (code != GPG_ERR_NO_ERROR) {
    return SignatureCheck::rejected(
        Rejection::kBadSignature, "the signature by OpenPGP key " + key +
                                      " does not match the commit (" + describe(signature->status) +
                                      ")");
  }
  gpgme_key_t raw = nullptr;
  if (gpgme_get_key(context, key.c_str(), &raw, 0) != 0 || raw == nullptr) {
    return SignatureCheck::rejected(
        Rejection::kUnknownKey, "signed by OpenPGP key " + key + ", which is not in the keyring");
  }
  const KeyPtr owner(raw);
  const std::string who =
      owner->uids != nullptr && owner->uids->uid != nullptr ? owner->uids->uid : "";
  return SignatureCheck::trusted_by(who + " (" + key + ")");
}

}  // namespace

SignatureCheck verify_openpgp_signature(std::string_view armored, std::string_view payload,
                                        const std::string& keyring_directory) {
  auto context = open_context(keyring_directory);
  if (!context) return SignatureCheck::rejected(Rejection::kUnverifiable, context.error().message);
  auto signature = data_of(armored);
  auto signed_text = data_of(payload);
  if (!signature || !signed_text) {
    return SignatureCheck::rejected(Rejection::kUnverifiable, "cannot hand the signature to GPGME");
  }
  if (auto error = gpgme_op_verify(context->get(), signature->get(), signed_text->get(), nullptr);
      error != 0) {
    return SignatureCheck::rejected(
        Rejection::kMalformed,
        "the signature is not an OpenPGP signature (" + describe(error) + ")");
  }
  const gpgme_verify_result_t result = gpgme_op_verify_result(context->get());
  if (result == nullptr || result->signatures == nullptr) {
    return SignatureCheck::rejected(Rejection::kMalformed, "the OpenPGP data holds no signature");
  }
  // Git writes one signature; more than one would let an unknown signer ride along.
  if (result->signatures->next != nullptr) {
    return SignatureCheck::rejected(Rejection::kMalformed,
                                    "the commit carries more than one OpenPGP signature");
  }
  return judge(context->get(), result->signatures);
}

Status check_openpgp_keyring(const std::string& keyring_directory) {
  std::error_code error;
  if (!std::filesystem::is_directory(keyring_directory, error)) {
    return Error{ErrorCode::kInvalidArgument,
                 "the OpenPGP keyring directory " + keyring_directory + " does not exist"};
  }
  auto context = open_context(keyring_directory);
  if (!context) return context.error();
  return ok_status();
}

}  // namespace nkd::source
