// Verification of OpenPGP commit signatures (git's default gpg.format) through GPGME, against
// the public keys of one keyring directory (a GNUPGHOME the daemon reads). Only a good
// signature by a key in that keyring that is neither expired nor revoked is trusted; the
// keyring's owner trust is not consulted: being in the keyring is what allows a key.
// Thread-safe (each call makes its own GPGME context).
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "source/signature_check.h"

namespace nkd::source {

[[nodiscard]] SignatureCheck verify_openpgp_signature(std::string_view armored,
                                                      std::string_view payload,
                                                      const std::string& keyring_directory);

// Checks that GPGME's OpenPGP engine works and `keyring_directory` exists (for config checks).
[[nodiscard]] Status check_openpgp_keyring(const std::string& keyring_directory);

}  // namespace nkd::source
