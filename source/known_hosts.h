// OpenSSH known_hosts checking for the SSH transport: the server's host key must be listed for
// the host (or "[host]:port" on a port other than 22), matched by key type and key blob, or by
// the blob's SHA-256 when only a fingerprint is at hand. Plain, wildcard, negated and hashed
// (|1|salt|hash) host patterns are understood; @revoked entries refuse; @cert-authority lines are
// not supported and skipped. Pure functions over the file's text; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace nkd::source {

struct HostKey {
  std::string type;           // "ssh-ed25519", "ssh-rsa", ...; empty when only sha256 is known
  std::string blob;           // the SSH wire-format public key; empty when only sha256 is known
  std::string sha256;         // raw 32-byte digest of the blob; used when `blob` is empty
};

// OK when `known_hosts_text` vouches for `key` at host:port. kPermissionDenied otherwise, with a
// message saying whether the host is unknown or its key changed, and how to fix it.
[[nodiscard]] Status check_known_host(std::string_view known_hosts_text, const std::string& host,
                                      int port, const HostKey& key,
                                      const std::string& known_hosts_path);

}  // namespace nkd::source
