#include "syncd/config.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/duration.h"
#include "common/egress.h"
#include "model/maintenance_parser.h"
#include "model/yaml_fields.h"

namespace nkd::syncd {

namespace {

// The default replica id: one per machine, which is how replicas are usually spread.
std::string host_name() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0) return "";
  return std::string(name.data());
}

std::string join(const std::vector<model::Diagnostic>& diagnostics) {
  std::string text;
  for (const auto& diagnostic : diagnostics) {
    if (!text.empty()) text += "\n";
    text += model::format(diagnostic);
  }
  return text;
}

// repository.verify: a mode and the trust it needs (an allowed signers file or a keyring).
void parse_verify(model::YamlFields& fields, const YAML::Node& node,
                  source::VerifySettings& verify) {
  constexpr std::string_view kWhere = "repository.verify";
  if (!fields.expect_map(node, kWhere, {"mode", "allowedSignersFile", "keyring", "allCommits"}))
    return;
  const std::string mode = fields.string(node, "mode", kWhere, true).value_or("");
  verify.allowed_signers_file =
      fields.string(node, "allowedSignersFile", kWhere, false).value_or("");
  verify.keyring_directory = fields.string(node, "keyring", kWhere, false).value_or("");
  verify.all_commits = fields.boolean(node, "allCommits", kWhere).value_or(false);
  if (mode == "ssh") {
    verify.mode = source::VerifySettings::Mode::kSsh;
    if (verify.allowed_signers_file.empty()) {
      fields.error_at(
          node,
          "repository.verify mode ssh needs allowedSignersFile (git's allowed signers format)");
    }
  } else if (mode == "openpgp") {
    verify.mode = source::VerifySettings::Mode::kOpenPgp;
    if (verify.keyring_directory.empty()) {
      fields.error_at(node,
                      "repository.verify mode openpgp needs keyring (a GnuPG home directory "
                      "holding the allowed public keys)");
    }
  } else if (!mode.empty()) {
    fields.error_at(node["mode"],
                    "repository.verify.mode must be ssh or openpgp, got '" + mode + "'");
  }
}

void parse_repository(model::YamlFields& fields, const YAML::Node& node, source::RepositorySettings& repository) {
  if (!fields.expect_map(node, "repository",
                         {"url", "ref", "pollInterval", "fetchTimeout", "auth", "verify"})) {
    return;
  }
  repository.url = fields.string(node, "url", "repository", true).value_or("");
  repository.ref = fields.string(node, "ref", "repository", false).value_or(repository.ref);
  if (const auto interval = fields.string(node, "pollInterval", "repository", false)) {
    const auto milliseconds = parse_duration_ms(*interval);
    if (!milliseconds || *milliseconds < 1000) {
      fields.error_at(node["pollInterval"], "repository.pollInterval '" + *interval + "' is not a duration of at least 1s (e.g. 60s)");
    } else {
      repository.poll_interval_ms = *milliseconds;
    }
  }
  if (const auto timeout = fields.string(node, "fetchTimeout", "repository", false)) {
    const auto milliseconds = parse_duration_ms(*timeout);
    if (!milliseconds || *milliseconds < 1000) {
      fields.error_at(node["fetchTimeout"], "repository.fetchTimeout '" + *timeout +
                                                "' is not a duration of at least 1s (e.g. 2m)");
    } else {
      repository.fetch_timeout_ms = *milliseconds;
    }
  }
  const YAML::Node auth = node["auth"];
  if (auth.IsDefined() &&
      fields.expect_map(auth, "repository.auth", {"tokenFile", "username", "passwordFile",
                                                  "sshKeyFile", "knownHostsFile", "caFile"})) {
    constexpr std::string_view kWhere = "repository.auth";
    repository.auth.token_file = fields.string(auth, "tokenFile", kWhere, false).value_or("");
    repository.auth.username = fields.string(auth, "username", kWhere, false).value_or("");
    repository.auth.password_file = fields.string(auth, "passwordFile", kWhere, false).value_or("");
    repository.auth.ssh_key_file = fields.string(auth, "sshKeyFile", kWhere, false).value_or("");
    repository.auth.known_hosts_file = fields.string(auth, "knownHostsFile", kWhere, false).value_or("");
    repository.auth.ca_file = fields.string(auth, "caFile", kWhere, false).value_or("");
    if (!repository.auth.ssh_key_file.empty() && repository.auth.known_hosts_file.empty()) {
      fields.error_at(auth, "repository.auth.sshKeyFile needs knownHostsFile: nkd never accepts an unknown SSH host key");
    }
  }
  if (node["verify"].IsDefined()) parse_verify(fields, node["verify"], repository.verify);
}

// A prefix length in [minimum, maximum] at node[key], into `target` when present.
void parse_prefix_field(model::YamlFields& fields, const YAML::Node& node, const char* key,
                        int minimum, int maximum, int& target) {
  const auto value = fields.integer(node, key, "webhooks.rateLimitPrefix", false);
  if (!value) return;
  if (*value < minimum || *value > maximum) {
    fields.error_at(node[key], std::string("webhooks.rateLimitPrefix.") + key +
                                   " must be between " + std::to_string(minimum) + " and " +
                                   std::to_string(maximum));
  } else {
    target = static_cast<int>(*value);
  }
}

void parse_webhooks(model::YamlFields& fields, const YAML::Node& node, WebhooksConfig& webhooks) {
  if (!fields.expect_map(node, "webhooks", {"secretFile", "secretFiles", "rateLimitPrefix"})) {
    return;
  }
  webhooks.secret_file = fields.string(node, "secretFile", "webhooks", false).value_or("");
  const YAML::Node files = node["secretFiles"];
  if (files.IsDefined() &&
      fields.expect_map(files, "webhooks.secretFiles", {"github", "gitea", "gitlab", "generic"})) {
    for (const char* forge : {"github", "gitea", "gitlab", "generic"}) {
      if (auto file = fields.string(files, forge, "webhooks.secretFiles", false)) {
        webhooks.secret_files[forge] = *file;
      }
    }
  }
  const YAML::Node prefix = node["rateLimitPrefix"];
  if (prefix.IsDefined() &&
      fields.expect_map(prefix, "webhooks.rateLimitPrefix", {"ipv4", "ipv6"})) {
    parse_prefix_field(fields, prefix, "ipv4", 8, 32, webhooks.rate_limit_ipv4_prefix);
    parse_prefix_field(fields, prefix, "ipv6", 16, 128, webhooks.rate_limit_ipv6_prefix);
  }
}

// Each endpoint is an http(s) URL, all https with state.etcd.tls and none without it.
void check_etcd_endpoints(model::YamlFields& fields, const YAML::Node& node,
                          const std::vector<std::string>& endpoints) {
  const bool tls = node["tls"].IsDefined();
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    const std::string& url = endpoints[i];
    const std::string where = "state.etcd.endpoints[" + std::to_string(i) + "] '" + url + "'";
    const bool https = url.starts_with("https://");
    if (!https && !url.starts_with("http://")) {
      fields.error_at(node["endpoints"][i], where + " is not an http:// or https:// URL");
    } else if (tls && !https) {
      fields.error_at(node["endpoints"][i], where + " must be https:// when state.etcd.tls is set");
    } else if (!tls && https) {
      fields.error_at(node["endpoints"][i], where +
                                                " is https://: set state.etcd.tls.ca to the CA "
                                                "that signed the members' certificates");
    }
  }
}

// This replica's part in sharding (state.etcd.replicaId, leaseTtlSeconds, advertiseUrl).
void parse_replica(model::YamlFields& fields, const YAML::Node& node, state::EtcdSettings& etcd) {
  constexpr std::string_view kWhere = "state.etcd";
  etcd.replica_id = fields.string(node, "replicaId", kWhere, false).value_or(host_name());
  const bool id_ok = !etcd.replica_id.empty() && etcd.replica_id.size() <= 63 &&
                     etcd.replica_id.find_first_not_of(
                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "0123456789._-") == std::string::npos;
  if (!id_ok) {
    fields.error_at(node["replicaId"].IsDefined() ? node["replicaId"] : node,
                    "state.etcd.replicaId '" + etcd.replica_id +
                        "' must be 1-63 letters, digits, '.', '_' or '-', unique among the "
                        "replicas (default: the host name)");
  }
  if (auto seconds = fields.integer(node, "leaseTtlSeconds", kWhere, false)) {
    if (*seconds < 2 || *seconds > 300) {
      fields.error_at(node["leaseTtlSeconds"],
                      "state.etcd.leaseTtlSeconds must be between 2 and 300");
    } else {
      etcd.lease_ttl_seconds = *seconds;
    }
  }
  if (auto url = fields.string(node, "advertiseUrl", kWhere, false)) {
    if (!url->starts_with("https://") && !url->starts_with("http://")) {
      fields.error_at(node["advertiseUrl"],
                      "state.etcd.advertiseUrl '" + *url + "' must be an http:// or https:// URL");
    }
    etcd.advertise_url = *url;
  }
}

void parse_etcd(model::YamlFields& fields, const YAML::Node& node, state::EtcdSettings& etcd) {
  constexpr std::string_view kWhere = "state.etcd";
  if (!fields.expect_map(node, "state.etcd",
                         {"endpoints", "prefix", "tls", "timeoutSeconds", "replicaId",
                          "leaseTtlSeconds", "advertiseUrl"})) {
    return;
  }
  parse_replica(fields, node, etcd);
  etcd.endpoints = fields.string_list(node, "endpoints", kWhere);
  if (etcd.endpoints.empty()) {
    fields.error_at(node, "state.etcd.endpoints must list at least one member's client URL");
  }
  check_etcd_endpoints(fields, node, etcd.endpoints);
  if (auto prefix = fields.string(node, "prefix", kWhere, false)) {
    if (!prefix->starts_with("/") || prefix->find_first_not_of('/') == std::string::npos) {
      fields.error_at(node["prefix"], "state.etcd.prefix '" + *prefix +
                                          "' must start with '/' and name a folder, e.g. /nkd");
    }
    etcd.prefix = *prefix;
  }
  if (auto seconds = fields.integer(node, "timeoutSeconds", kWhere, false)) {
    if (*seconds < 1 || *seconds > 300) {
      fields.error_at(node["timeoutSeconds"],
                      "state.etcd.timeoutSeconds must be between 1 and 300");
    } else {
      etcd.timeout_ms = *seconds * 1000;
    }
  }
  const YAML::Node tls = node["tls"];
  if (tls.IsDefined() && fields.expect_map(tls, "state.etcd.tls", {"ca", "cert", "key"})) {
    etcd.ca_file = fields.string(tls, "ca", "state.etcd.tls", true).value_or("");
    etcd.cert_file = fields.string(tls, "cert", "state.etcd.tls", false).value_or("");
    etcd.key_file = fields.string(tls, "key", "state.etcd.tls", false).value_or("");
    if (etcd.cert_file.empty() != etcd.key_file.empty()) {
      fields.error_at(
          tls, "state.etcd.tls.cert and state.etcd.tls.key go together; give both or neither");
    }
  }
}

void parse_state(model::YamlFields& fields, const YAML::Node& node, DaemonConfig& config) {
  if (!fields.expect_map(node, "state", {"sqlite", "etcd", "encryption"})) return;
  if (const auto sqlite = fields.string(node, "sqlite", "state", false)) config.state.sqlite_path = *sqlite;
  const YAML::Node encryption = node["encryption"];
  if (encryption.IsDefined() &&
      fields.expect_map(encryption, "state.encryption", {"keyFile", "previousKeyFiles"})) {
    auto& settings = config.state.encryption;
    settings.key_file = fields.string(encryption, "keyFile", "state.encryption", true).value_or("");
    settings.previous_key_files =
        fields.string_list(encryption, "previousKeyFiles", "state.encryption");
  }
  const YAML::Node etcd = node["etcd"];
  if (!etcd.IsDefined()) return;
  parse_etcd(fields, etcd, config.state.etcd.emplace());
}

void parse_egress(model::YamlFields& fields, const YAML::Node& node, DaemonConfig& config) {
  if (!fields.expect_map(node, "egress", {"allow"})) return;
  std::vector<Cidr> blocks;
  const auto allow = fields.string_list(node, "allow", "egress");
  for (std::size_t i = 0; i < allow.size(); ++i) {
    if (const auto block = parse_cidr(allow[i], /*strict=*/false)) {
      blocks.push_back(*block);
    } else {
      fields.error_at(node["allow"][i], "egress.allow[" + std::to_string(i) + "] '" + allow[i] + "' is not a CIDR block such as 127.0.0.0/8");
    }
  }
  config.egress = CidrAllowList(std::move(blocks));
  config.egress_text = config.egress.to_string();
}

void parse_forge(model::YamlFields& fields, const YAML::Node& node, ForgeConfig& forge) {
  constexpr std::string_view kWhere = "forge";
  if (!fields.expect_map(node, "forge", {"kind", "url", "repository", "tokenFile", "context", "targetURL"})) {
    return;
  }
  forge.kind = fields.string(node, "kind", kWhere, true).value_or("");
  forge.api_url = fields.string(node, "url", kWhere, true).value_or("");
  forge.repository = fields.string(node, "repository", kWhere, true).value_or("");
  forge.token_file = fields.string(node, "tokenFile", kWhere, true).value_or("");
  forge.context = fields.string(node, "context", kWhere, false).value_or(forge.context);
  forge.target_url = fields.string(node, "targetURL", kWhere, false).value_or("");
  if (!forge.kind.empty() && forge.kind != "github" && forge.kind != "gitea") {
    fields.error_at(node["kind"], "forge.kind must be 'github' or 'gitea', got '" + forge.kind + "'");
  }
  const auto slash = forge.repository.find('/');
  if (!forge.repository.empty() && (slash == std::string::npos || slash == 0 ||
                                    slash + 1 == forge.repository.size() ||
                                    forge.repository.find('/', slash + 1) != std::string::npos)) {
    fields.error_at(node["repository"], "forge.repository must be OWNER/NAME, got '" + forge.repository + "'");
  }
  if (!forge.api_url.empty() && !forge.api_url.starts_with("http://") && !forge.api_url.starts_with("https://")) {
    fields.error_at(node["url"], "forge.url must be the forge's API base URL, e.g. https://api.github.com");
  }
}

// A duration of at least one second at root[key] (e.g. "10m"), into `target` when present.
void parse_duration_field(model::YamlFields& fields, const YAML::Node& root, const char* key,
                          const char* example, std::int64_t& target) {
  const auto text = fields.string(root, key, "", false);
  if (!text) return;
  const auto milliseconds = parse_duration_ms(*text);
  if (!milliseconds || *milliseconds < 1000) {
    fields.error_at(root[key], std::string(key) + " '" + *text + "' is not a duration such as " + example);
  } else {
    target = *milliseconds;
  }
}

// A whole number in [1, maximum] at node[key], into `target` when present.
void parse_count_field(model::YamlFields& fields, const YAML::Node& node, const char* key,
                       std::int64_t maximum, std::size_t& target) {
  const auto value = fields.integer(node, key, "http", false);
  if (!value) return;
  if (*value < 1 || *value > maximum) {
    fields.error_at(node[key], std::string("http.") + key + " must be between 1 and " +
                                   std::to_string(maximum));
  } else {
    target = static_cast<std::size_t>(*value);
  }
}

void parse_listener_tls(model::YamlFields& fields, const YAML::Node& node, ListenerTlsConfig& tls) {
  constexpr std::string_view kWhere = "http.tls";
  if (!fields.expect_map(node, "http.tls",
                         {"certFile", "keyFile", "caFile", "selfSigned", "hosts"})) {
    return;
  }
  tls.cert_file = fields.string(node, "certFile", kWhere, false).value_or("");
  tls.key_file = fields.string(node, "keyFile", kWhere, false).value_or("");
  tls.ca_file = fields.string(node, "caFile", kWhere, false).value_or("");
  tls.hosts = fields.string_list(node, "hosts", kWhere);
  const bool self_signed =
      fields.boolean(node, "selfSigned", kWhere).value_or(tls.cert_file.empty());
  if (self_signed) {
    if (!tls.cert_file.empty() || !tls.key_file.empty() || !tls.ca_file.empty()) {
      fields.error_at(node,
                      "http.tls: selfSigned: true makes its own certificate; drop certFile, "
                      "keyFile and caFile, or set selfSigned: false");
    }
    return;
  }
  tls.security = ListenerSecurity::kCertificateFiles;
  if (tls.cert_file.empty() || tls.key_file.empty()) {
    fields.error_at(node,
                    "http.tls needs both certFile and keyFile (PEM), or selfSigned: true for a "
                    "certificate nkd makes");
  }
  if (!tls.hosts.empty()) {
    fields.error_at(node["hosts"],
                    "http.tls.hosts names what a self-signed certificate covers; with certFile, "
                    "the certificate's own names count");
  }
}

void parse_http(model::YamlFields& fields, const YAML::Node& node, DaemonConfig& config) {
  if (!fields.expect_map(node, "http",
                         {"maxConnections", "maxConnectionsPerAddress", "headerTimeout",
                          "requestTimeout", "handshakeTimeout", "tls", "insecure"})) {
    return;
  }
  ConnectionLimits& limits = config.http_limits;
  parse_count_field(fields, node, "maxConnections", 1024, limits.max_connections);
  parse_count_field(fields, node, "maxConnectionsPerAddress", 1024,
                    limits.max_connections_per_address);
  std::int64_t header_ms = limits.header_timeout.count();
  std::int64_t request_ms = limits.request_timeout.count();
  std::int64_t handshake_ms = limits.handshake_timeout.count();
  parse_duration_field(fields, node, "headerTimeout", "10s", header_ms);
  parse_duration_field(fields, node, "requestTimeout", "30s", request_ms);
  parse_duration_field(fields, node, "handshakeTimeout", "10s", handshake_ms);
  limits.header_timeout = std::chrono::milliseconds(header_ms);
  limits.request_timeout = std::chrono::milliseconds(request_ms);
  limits.handshake_timeout = std::chrono::milliseconds(handshake_ms);
  if (node["tls"].IsDefined()) parse_listener_tls(fields, node["tls"], config.http_tls);
  if (fields.boolean(node, "insecure", "http").value_or(false)) {
    if (node["tls"].IsDefined()) {
      fields.error_at(node["insecure"],
                      "http.insecure: true serves plain HTTP; it cannot go with http.tls");
    }
    config.http_tls.security = ListenerSecurity::kInsecure;
  }
}

// libvirt.connections: NAME -> {uri, keepaliveInterval, keepaliveCount}.
void parse_libvirt(model::YamlFields& fields, const YAML::Node& node, DaemonConfig& config) {
  if (!fields.expect_map(node, "libvirt", {"connections"})) return;
  const YAML::Node connections = node["connections"];
  if (!connections.IsDefined()) return;
  if (!connections.IsMap()) {
    fields.error_at(connections, "libvirt.connections must be a mapping of name to {uri: ...}");
    return;
  }
  for (const auto& entry : connections) {
    const std::string name = entry.first.Scalar();
    const std::string where = "libvirt.connections." + name;
    if (!fields.expect_map(entry.second, where, {"uri", "keepaliveInterval", "keepaliveCount"})) {
      continue;
    }
    providers::libvirt::LibvirtConnectionSettings connection;
    connection.uri = fields.string(entry.second, "uri", where, true).value_or("");
    std::int64_t interval_ms = connection.keepalive_interval_seconds * 1000LL;
    parse_duration_field(fields, entry.second, "keepaliveInterval", "5s", interval_ms);
    connection.keepalive_interval_seconds = static_cast<int>(std::min<std::int64_t>(interval_ms / 1000, 3600));
    if (const auto count = fields.integer(entry.second, "keepaliveCount", where, false)) {
      if (*count < 1 || *count > 100) fields.error_at(entry.second["keepaliveCount"], where + ".keepaliveCount must be between 1 and 100");
      else connection.keepalive_count = *count;
    }
    config.libvirt.connections[name] = std::move(connection);
  }
}

void parse_top_level(model::YamlFields& fields, const YAML::Node& root, DaemonConfig& config) {
  if (root["repository"].IsDefined()) {
    parse_repository(fields, root["repository"], config.repository);
  } else {
    fields.error_at(root, "missing required field 'repository' (url and ref of the definitions repository)");
  }
  if (root["webhooks"].IsDefined()) parse_webhooks(fields, root["webhooks"], config.webhooks);
  if (root["state"].IsDefined()) parse_state(fields, root["state"], config);
  config.openstack.clouds_file = fields.string(root, "clouds", "", false).value_or("");
  if (root["libvirt"].IsDefined()) parse_libvirt(fields, root["libvirt"], config);
  config.listen = fields.string(root, "listen", "", false).value_or(config.listen);
  config.public_url = fields.string(root, "publicURL", "", false).value_or("");
  config.prune = fields.boolean(root, "prune", "").value_or(false);
  if (const auto access = fields.string(root, "clusterAccess", "", false)) {
    if (*access == "direct") config.reconcile.cluster_access = reconcile::ClusterAccess::kDirect;
    else if (*access == "none") config.reconcile.cluster_access = reconcile::ClusterAccess::kNone;
    else fields.error_at(root["clusterAccess"], "clusterAccess must be 'direct' or 'none', got '" + *access + "'");
  }
  if (const YAML::Node servers = root["apiServers"]; servers.IsDefined() && servers.IsMap()) {
    for (const auto& entry : servers) config.reconcile.api_servers[entry.first.Scalar()] = entry.second.Scalar();
  }
  if (root["egress"].IsDefined()) parse_egress(fields, root["egress"], config);
  if (root["forge"].IsDefined()) parse_forge(fields, root["forge"], config.forge);
  if (root["http"].IsDefined()) parse_http(fields, root["http"], config);
  if (const YAML::Node api = root["api"];
      api.IsDefined() && fields.expect_map(api, "api", {"operatorTokenFile"})) {
    config.operator_token_file = fields.string(api, "operatorTokenFile", "api", false).value_or("");
  }
  if (root["maintenance"].IsDefined()) {
    config.reconcile.maintenance_windows = model::parse_maintenance(fields, root["maintenance"], "maintenance");
  }
  if (root["notifications"].IsDefined()) {
    notify::parse_notifications(fields, root["notifications"], config.notifications);
  }
  if (const auto workers = fields.integer(root, "workers", "", false)) {
    if (*workers < 1 || *workers > 64) fields.error_at(root["workers"], "workers must be between 1 and 64");
    else config.reconcile.workers = *workers;
  }
  parse_duration_field(fields, root, "resyncInterval", "10m", config.reconcile.resync_interval_ms);
  parse_duration_field(fields, root, "readyTimeout", "30m", config.reconcile.ready_timeout_ms);
  parse_duration_field(fields, root, "rolloutStallTimeout", "15m", config.reconcile.rollout_stall_ms);
  parse_duration_field(fields, root, "stallTimeout", "30m", config.stall_timeout_ms);
  if (const auto creates = fields.integer(root, "maxConcurrentCreates", "", false)) {
    if (*creates < 1 || *creates > 64) fields.error_at(root["maxConcurrentCreates"], "maxConcurrentCreates must be between 1 and 64");
    else config.openstack.max_concurrent_creates = *creates;
  }
}

// Nodes fetch configs holding private keys from publicURL: a plain http:// URL while the
// listener serves HTTPS is a slip that would send them in cleartext (through whatever forwards
// it), so it takes the same explicit opt-in as a plain listener.
void check_public_url(DaemonConfig& config, const std::string& path,
                      std::vector<model::Diagnostic>& diagnostics) {
  if (config.public_url.empty()) {
    config.public_url = (config.serves_https() ? "https://" : "http://") + config.listen;
    return;
  }
  if (config.public_url.starts_with("https://")) return;
  if (!config.public_url.starts_with("http://")) {
    diagnostics.push_back(
        {.path = path,
         .message = "publicURL '" + config.public_url +
                    "' must start with https:// (or http:// with http.insecure: true)"});
  } else if (config.serves_https()) {
    diagnostics.push_back(
        {.path = path,
         .message = "publicURL '" + config.public_url +
                    "' is plain HTTP: nodes would fetch configs holding private keys in cleartext; "
                    "use https://, or set http.insecure: true to serve plain HTTP"});
  }
}

}  // namespace

std::string WebhooksConfig::secret_file_for(const std::string& forge) const {
  const auto file = secret_files.find(forge);
  return file != secret_files.end() ? file->second : secret_file;
}

std::string DaemonConfig::state_directory() const {
  const auto parent = std::filesystem::path(state.sqlite_path).parent_path();
  return parent.empty() ? "." : parent.string();
}

std::string DaemonConfig::listen_host() const { return listen.substr(0, listen.rfind(':')); }

int DaemonConfig::listen_port() const {
  const auto colon = listen.rfind(':');
  return colon == std::string::npos ? 0 : std::atoi(listen.c_str() + colon + 1);
}

Result<DaemonConfig> parse_daemon_config(const std::string& text, const std::string& path,
                                         const std::string* egress_override) {
  std::vector<model::Diagnostic> diagnostics;
  model::YamlFields fields(path, diagnostics);
  DaemonConfig config;
  try {
    const YAML::Node root = YAML::Load(text);
    if (fields.expect_map(
            root, "the config",
            {"repository", "webhooks", "state", "clouds", "listen", "publicURL", "prune",
             "clusterAccess", "apiServers", "egress", "workers", "resyncInterval", "readyTimeout",
             "rolloutStallTimeout", "stallTimeout", "maxConcurrentCreates", "forge", "http", "api",
             "maintenance", "notifications", "libvirt"})) {
      parse_top_level(fields, root, config);
    }
  } catch (const YAML::Exception& error) {
    fields.error(error.mark, "YAML syntax error: " + error.msg);
  }
  if (egress_override != nullptr) {
    NKD_ASSIGN_OR_RETURN(auto list,
                         effective_egress_allow(config.egress, egress_override->c_str()));
    config.egress = list;
    config.egress_text = list.to_string();
  }
  const auto colon = config.listen.rfind(':');
  if (colon == std::string::npos || config.listen_port() <= 0 || config.listen_port() > 65535) {
    diagnostics.push_back({.path = path, .message = "listen '" + config.listen + "' must be HOST:PORT such as 127.0.0.1:9480"});
  }
  check_public_url(config, path, diagnostics);
  if (model::has_errors(diagnostics)) {
    return Error{ErrorCode::kInvalidArgument, join(diagnostics)};
  }
  return config;
}

Result<DaemonConfig> load_daemon_config(const std::string& path) {
  std::ifstream input(path);
  if (!input) {
    return Error{ErrorCode::kNotFound, "cannot read config " + path + "; pass --config FILE (see examples-repo/syncd.yaml)"};
  }
  std::ostringstream text;
  text << input.rdbuf();
  const char* override_text = std::getenv(kEgressAllowVariable);
  const std::string override_value = override_text != nullptr ? override_text : "";
  return parse_daemon_config(text.str(), path, override_text != nullptr ? &override_value : nullptr);
}

}  // namespace nkd::syncd
