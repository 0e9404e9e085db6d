// SignatureCheck: the verdict on one commit's signature (commit_verifier.h), as a value. Either
// trusted (with who signed) or rejected with a reason from a small fixed set, which labels
// nkd_source_verification_failures_total, and a message that says what to fix.
#pragma once

#include <optional>
#include <string>

namespace nkd::source {

enum class Rejection {
  kUnsigned,       // the commit carries no signature
  kUnknownKey,     // signed by a key that is not allowed (or not in the keyring)
  kBadSignature,   // the signature does not verify over the commit (tampered, other namespace)
  kKeyNotAllowed,  // the key is listed but not for this use (namespaces, valid-after/-before)
  kMalformed,      // the signature cannot be parsed, or uses an algorithm nkd refuses
  kUnverifiable,   // the trust configuration cannot be read, or the repository not walked
};

// The metric label of `reason`: unsigned, unknown_key, bad_signature, key_not_allowed,
// malformed, unverifiable.
[[nodiscard]] const char* rejection_label(Rejection reason);

struct SignatureCheck {
  std::optional<Rejection> rejection;  // unset: trusted
  std::string detail;                  // who signed when trusted, else why not

  [[nodiscard]] bool trusted() const { return !rejection.has_value(); }
  static SignatureCheck trusted_by(std::string signer) { return {std::nullopt, std::move(signer)}; }
  static SignatureCheck rejected(Rejection reason, std::string why) {
    return {reason, std::move(why)};
  }
};

}  // namespace nkd::source
