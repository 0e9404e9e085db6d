// DaemonConfig: /etc/nkd/syncd.yaml (DESIGN.md §4), parsed and checked. Problems are reported
// as `path:line:col: message`, and a config with any problem is refused as a whole (a SIGHUP
// reload keeps the running config). Each stage owns the struct of its settings (source/,
// state/, reconcile/, providers/openstack/,
// providers/libvirt/); DaemonConfig gathers them with the daemon's own
// (listener, webhooks, forge, notifications, egress), and config.cc parses them all.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/cidr.h"
#include "common/maintenance_window.h"
#include "common/result.h"
#include "providers/libvirt/libvirt_settings.h"
#include "providers/openstack/openstack_settings.h"
#include "reconcile/reconcile_settings.h"
#include "source/source_settings.h"
#include "state/state_settings.h"
#include "syncd/http/connection_table.h"
#include "syncd/notify/notification_config.h"

namespace nkd::syncd {

// Where the daemon posts a commit status for each commit it applies (empty kind: nowhere).
struct ForgeConfig {
  std::string kind;        // "github" | "gitea"
  std::string api_url;     // https://api.github.com, https://gitea.example.org/api/v1
  std::string repository;  // owner/name
  std::string token_file;
  std::string context = "nkd";  // the status's name on the pull request
  std::string target_url;       // optional link shown with the status (e.g. a dashboard)
};

// webhooks: the secret of each forge and how the rate limit groups senders.
struct WebhooksConfig {
  // The default for every forge (the original single setting).
  std::string secret_file;
  // Per forge ("github", "gitea", "gitlab", "generic"), overriding secret_file.
  std::map<std::string, std::string> secret_files;
  int rate_limit_ipv4_prefix = 24;
  int rate_limit_ipv6_prefix = 64;

  // The secret file that applies to `forge`, or "" when none does.
  [[nodiscard]] std::string secret_file_for(const std::string& forge) const;
};

// How the listener protects what it serves (http.tls / http.insecure in syncd.yaml). Bare-metal
// configs hold cluster CA keys and the service-account key, so HTTPS is the default: without
// settings nkd makes its own CA and serving certificate; plain HTTP takes http.insecure: true.
enum class ListenerSecurity { kSelfSigned, kCertificateFiles, kInsecure };

struct ListenerTlsConfig {
  ListenerSecurity security = ListenerSecurity::kSelfSigned;
  // kCertificateFiles: the serving certificate (PEM, chain allowed) and its key, read at start.
  std::string cert_file;
  std::string key_file;
  // The CA pointer configs pin (PEM); empty: the certificates of cert_file.
  std::string ca_file;
  // kSelfSigned: names and addresses the certificate carries besides publicURL's host, the
  // listen address, localhost, 127.0.0.1 and ::1.
  std::vector<std::string> hosts;
};

struct DaemonConfig {
  source::RepositorySettings repository;
  WebhooksConfig webhooks;
  state::StateSettings state;
  providers::openstack::OpenStackSettings openstack;
  providers::libvirt::LibvirtSettings libvirt;
  reconcile::ReconcileSettings reconcile;
  std::string listen = "127.0.0.1:9480";
  // The base URL nodes use to fetch Ignition configs; default https://<listen> (http:// when
  // http.insecure is set).
  std::string public_url;
  bool prune = false;
  CidrAllowList egress;
  std::string egress_text = "any";
  // How long the source loop (beyond repository.fetchTimeout while fetching) or a reconcile
  // worker may stay on one step before the daemon counts as wedged and stops feeding systemd's
  // watchdog. Above the longest step a healthy daemon takes (a server create waits up to 10m).
  std::int64_t stall_timeout_ms = 30 * 60'000;
  ForgeConfig forge;
  // notifications: where events go (none by default).
  std::vector<notify::SinkConfig> notifications;
  // http: how many connections the HTTP server keeps and how long a request may take.
  ConnectionLimits http_limits;
  ListenerTlsConfig http_tls;
  // api.operatorTokenFile: the bearer token of the operator endpoints (suspend, resume, sync);
  // empty: those endpoints refuse every request.
  std::string operator_token_file;

  // Where the daemon keeps its Git mirror: beside the state database.
  [[nodiscard]] std::string state_directory() const;
  [[nodiscard]] std::string listen_host() const;
  [[nodiscard]] int listen_port() const;
  [[nodiscard]] bool serves_https() const {
    return http_tls.security != ListenerSecurity::kInsecure;
  }
};

// Parses the YAML text of a config; `path` labels diagnostics. `egress_override` is the value
// of NKD_EGRESS_ALLOW when set (it replaces egress.allow).
[[nodiscard]] Result<DaemonConfig> parse_daemon_config(const std::string& text,
                                                       const std::string& path,
                                                       const std::string* egress_override);
[[nodiscard]] Result<DaemonConfig> load_daemon_config(const std::string& path);

}  // namespace nkd::syncd
