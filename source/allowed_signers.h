// The allowed-signers file in the format git's gpg.ssh.allowedSignersFile and `ssh-keygen -Y`
// use (ssh-keygen(1), ALLOWED SIGNERS): one key per line,
//   principals [options] key-type base64-key [comment]
// with options namespaces="...", valid-after=..., valid-before=... (times as YYYYMMDD[HHMM[SS]],
// UTC with a trailing Z, else local time). cert-authority lines and security-key (sk-*) or
// certificate key types are refused with an error naming the line: nkd verifies plain keys only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace nkd::source {

struct AllowedSigner {
  std::vector<std::string> principals;
  std::vector<std::string> namespaces;  // empty: every namespace
  std::optional<std::int64_t> valid_after_unix;
  std::optional<std::int64_t> valid_before_unix;
  std::string key_type;  // ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa
  std::string key_blob;  // the public key in SSH wire format (the base64 field decoded)
  int line = 0;

  // Whether the key may sign in `signature_namespace` at `now_unix`; when not, why.
  [[nodiscard]] std::optional<std::string> refusal(std::string_view signature_namespace,
                                                   std::int64_t now_unix) const;
};

// Parses the file's text; `origin` names it in errors (kParse, with the line number).
[[nodiscard]] Result<std::vector<AllowedSigner>> parse_allowed_signers(std::string_view text,
                                                                       std::string_view origin);

// Reads and parses the file at `path` (kIo when unreadable).
[[nodiscard]] Result<std::vector<AllowedSigner>> load_allowed_signers(const std::string& path);

// Base64 (standard alphabet, padding required) decoded with OpenSSL; nullopt when invalid.
[[nodiscard]] std::optional<std::string> decode_base64(std::string_view text);

}  // namespace nkd::source
