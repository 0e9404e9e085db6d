// ListenerPki: the CA and serving certificate of nkd's own HTTPS listener when the operator
// brings none (http.tls.selfSigned). Bare-metal pointer configs pin this CA, so it is made once
// and kept: only the serving certificate is reissued, when its names change or it nears expiry.
// Pure apart from key generation: the caller stores the result and passes it back next time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "render/pki/cluster_pki.h"

namespace nkd::pki {

struct ListenerPki {
  CertKeyPair ca;      // CN=nkd listener CA, 10 years
  CertKeyPair server;  // CN=nkd, serverAuth, signed by `ca`, 1 year
  bool operator==(const ListenerPki&) const = default;
};

// Brings `existing` up to date for a listener reached under `hosts` (DNS names or IP addresses):
// makes what is missing, keeps the CA, and reissues the serving certificate when its names
// differ from `hosts` or it expires within 30 days of `now_unix`. A CA with half its parts, or
// one that does not parse, is an error: replacing it would strand every node that pins it.
// When nothing needs changing the result equals `existing`.
[[nodiscard]] Result<ListenerPki> ensure_listener_pki(const std::optional<ListenerPki>& existing,
                                                      const std::vector<std::string>& hosts,
                                                      std::int64_t now_unix);

}  // namespace nkd::pki
