// The HTTPS listener's certificate and the CA that bare-metal pointer configs pin, prepared once
// at start from syncd.yaml's http.tls (DESIGN.md §6):
// - certFile/keyFile: the operator's files, used as they are (read again on restart);
// - selfSigned (the default): a CA and serving certificate nkd makes on first start and keeps
//   in <state directory>/tls/ (0700; ca.pem and server.pem hold their keys and are 0600, sealed
//   with the state key when there is one, and sealed again at start when they are not sealed
//   with the current key; ca.crt is the CA certificate alone, for clients such as curl
//   --cacert). The CA is never replaced; the serving certificate is reissued when the names it
//   must cover change or it expires within 30 days (checked at each start).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/secret.h"
#include "state/secret_sealer.h"
#include "syncd/config.h"

namespace nkd::syncd {

struct ListenerTlsFiles {
  std::string cert_file;  // PEM: the serving certificate, then any chain
  std::string key_file;   // PEM: its private key (may be the same file as cert_file)
  // The self-signed pair, read and unsealed: serve these rather than the files (which may be
  // sealed). Empty for the operator's own files.
  std::string cert_pem;
  Secret key_pem;
  std::string ca_pem;     // what pointer configs pin in ignition.security.tls
  std::string ca_file;    // where ca_pem can be read by clients (curl --cacert, nkd --ca-file)
};

// The names a self-signed serving certificate covers: publicURL's host, the listen host (unless
// it is a wildcard address), http.tls.hosts, localhost, 127.0.0.1 and ::1; without duplicates.
[[nodiscard]] std::vector<std::string> listener_hosts(const DaemonConfig& config);

// Precondition: config.serves_https(). Errors say which file is wrong and what to do.
// Seals the self-signed pair's files under `state_directory`/tls again when they are not sealed
// with `sealer`'s current key (`nkd state rotate-key`); returns how many it rewrote.
[[nodiscard]] Result<int> reseal_listener_files(const std::string& state_directory,
                                                const state::SecretSealer& sealer);

// `sealer` seals and opens the self-signed pair's files.
[[nodiscard]] Result<ListenerTlsFiles> prepare_listener_tls(const DaemonConfig& config,
                                                            std::int64_t now_unix,
                                                            const state::SecretSealer& sealer);

}  // namespace nkd::syncd
