// Verification of SSH signatures in the sshsig format (OpenSSH's PROTOCOL.sshsig), as git writes
// them with gpg.format=ssh: the armored "SSH SIGNATURE" block over the commit's signed payload.
// The signed data is rebuilt as the format defines it (magic, namespace, reserved, hash
// algorithm, H(payload)) and checked with OpenSSL for ssh-ed25519, ecdsa-sha2-nistp256/384/521
// and RSA keys with rsa-sha2-256/512 (SHA-1 "ssh-rsa" signatures are refused). Pure: no files,
// no clock; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "source/allowed_signers.h"
#include "source/signature_check.h"

namespace nkd::source {

// Git signs commits in this namespace.
inline constexpr std::string_view kGitSignatureNamespace = "git";

// Trusted when `armored` is a valid signature over `payload` in namespace "git" by a key of
// `signers` that allows that namespace at `now_unix`.
[[nodiscard]] SignatureCheck verify_ssh_signature(std::string_view armored,
                                                  std::string_view payload,
                                                  const std::vector<AllowedSigner>& signers,
                                                  std::int64_t now_unix);

}  // namespace nkd::source
