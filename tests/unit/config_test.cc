#include "syncd/config.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <string>
#include <utility>
#include <vector>

namespace nkd::syncd {
namespace {

constexpr const char* kMinimal = R"(repository:
  url: file:///srv/clusters.git
  ref: refs/heads/main
  pollInterval: 90s
state: {sqlite: /var/lib/nkd/state.db}
listen: 127.0.0.1:9480
clusterAccess: none
egress: {allow: [127.0.0.0/8, "::1/128"]}
)";

// Swaps kMinimal's state line for `state` (one or more lines of YAML).
void replace_state(std::string& text, const std::string& state) {
  const std::string line = "state: {sqlite: /var/lib/nkd/state.db}\n";
  text.replace(text.find(line), line.size(), state);
}

TEST(DaemonConfig, ParsesTheDocumentedFields) {
  auto config = parse_daemon_config(kMinimal, "syncd.yaml", nullptr);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->repository.poll_interval_ms, 90'000);
  EXPECT_EQ(config->reconcile.cluster_access, reconcile::ClusterAccess::kNone);
  EXPECT_EQ(config->listen_port(), 9480);
  EXPECT_EQ(config->state_directory(), "/var/lib/nkd");
  EXPECT_EQ(config->public_url, "https://127.0.0.1:9480");
  EXPECT_TRUE(config->egress.allows(*parse_ip("127.0.0.9")));
  EXPECT_TRUE(config->egress.allows(*parse_ip("::1")));
  EXPECT_FALSE(config->egress.allows(*parse_ip("10.0.0.11")));
}

TEST(DaemonConfig, SqliteIsTheStateUnlessEtcdIsNamed) {
  auto config = parse_daemon_config(kMinimal, "syncd.yaml", nullptr);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_FALSE(config->state.etcd.has_value());
  EXPECT_EQ(config->state.sqlite_path, "/var/lib/nkd/state.db");
}

TEST(DaemonConfig, ParsesStateEtcd) {
  std::string text = kMinimal;
  replace_state(
      text,
      "state:\n  etcd:\n    endpoints: [https://10.0.0.5:2379, https://10.0.0.6:2379]\n"
      "    prefix: /nkd/prod\n    timeoutSeconds: 3\n"
      "    replicaId: nkd-b\n    leaseTtlSeconds: 6\n    advertiseUrl: https://nkd-b:8443\n"
      "    tls: {ca: /etc/nkd/etcd-ca.crt, cert: /etc/nkd/etcd.crt, key: /etc/nkd/etcd.key}\n");
  auto config = parse_daemon_config(text, "syncd.yaml", nullptr);
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_TRUE(config->state.etcd.has_value());
  const state::EtcdSettings& etcd = *config->state.etcd;
  EXPECT_EQ(etcd.endpoints,
            (std::vector<std::string>{"https://10.0.0.5:2379", "https://10.0.0.6:2379"}));
  EXPECT_EQ(etcd.prefix, "/nkd/prod");
  EXPECT_EQ(etcd.timeout_ms, 3'000);
  EXPECT_EQ(etcd.ca_file, "/etc/nkd/etcd-ca.crt");
  EXPECT_EQ(etcd.cert_file, "/etc/nkd/etcd.crt");
  EXPECT_EQ(etcd.key_file, "/etc/nkd/etcd.key");
  EXPECT_EQ(etcd.replica_id, "nkd-b");
  EXPECT_EQ(etcd.lease_ttl_seconds, 6);
  EXPECT_EQ(etcd.advertise_url, "https://nkd-b:8443");
  EXPECT_EQ(config->state_directory(), "/var/lib/nkd") << "still the local directory";

  std::string defaults = kMinimal;
  replace_state(defaults, "state: {etcd: {endpoints: [http://127.0.0.1:2379]}}\n");
  auto plain = parse_daemon_config(defaults, "syncd.yaml", nullptr);
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  std::array<char, 256> host{};
  ASSERT_EQ(gethostname(host.data(), host.size() - 1), 0);
  EXPECT_EQ(plain->state.etcd->replica_id, std::string(host.data())) << "the host name";
  EXPECT_EQ(plain->state.etcd->lease_ttl_seconds, 10);
}

TEST(DaemonConfig, RefusesStateEtcdThatCannotWork) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"state: {etcd: {endpoints: []}}\n", "at least one"},
      {"state: {etcd: {endpoints: [10.0.0.5:2379]}}\n", "not an http:// or https:// URL"},
      {"state: {etcd: {endpoints: [http://10.0.0.5:2379], tls: {ca: /ca.crt}}}\n",
       "must be https:// when state.etcd.tls is set"},
      {"state: {etcd: {endpoints: [https://10.0.0.5:2379]}}\n", "set state.etcd.tls.ca"},
      {"state: {etcd: {endpoints: [https://e:2379], tls: {ca: /ca.crt, cert: /c.crt}}}\n",
       "go together"},
      {"state: {etcd: {endpoints: [http://e:2379], prefix: nkd}}\n", "must start with '/'"},
      {"state: {etcd: {endpoints: [http://e:2379], timeoutSeconds: 0}}\n", "between 1 and 300"},
      {"state: {etcd: {endpoints: [http://e:2379], lease: 5}}\n", "lease"},
      {"state: {etcd: {endpoints: [http://e:2379], replicaId: a/b}}\n", "replicaId 'a/b' must be"},
      {"state: {etcd: {endpoints: [http://e:2379], leaseTtlSeconds: 1}}\n", "between 2 and 300"},
      {"state: {etcd: {endpoints: [http://e:2379], advertiseUrl: nkd-a}}\n",
       "advertiseUrl 'nkd-a' must be"},
  };
  for (const auto& [state, expected] : cases) {
    std::string text = kMinimal;
    replace_state(text, state);
    auto config = parse_daemon_config(text, "syncd.yaml", nullptr);
    ASSERT_FALSE(config.ok()) << state;
    EXPECT_NE(config.error().message.find(expected), std::string::npos)
        << state << ": " << config.error().message;
  }
}

TEST(DaemonConfig, EnvironmentOverridesEgressList) {
  const std::string only_two = "127.0.0.2/32";
  auto config = parse_daemon_config(kMinimal, "syncd.yaml", &only_two);
  ASSERT_TRUE(config.ok());
  EXPECT_FALSE(config->egress.allows(*parse_ip("127.0.0.1")));
  EXPECT_TRUE(config->egress.allows(*parse_ip("127.0.0.2")));
}

TEST(DaemonConfig, EmptyEgressOverrideIsRefusedRatherThanAllowingEverything) {
  for (const std::string empty : {"", " ", ",, "}) {
    auto config = parse_daemon_config(kMinimal, "syncd.yaml", &empty);
    ASSERT_FALSE(config.ok()) << "'" << empty << "'";
    EXPECT_EQ(config.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(config.error().message.find("NKD_EGRESS_ALLOW is set but names no CIDR block"),
              std::string::npos)
        << config.error().message;
  }
}

TEST(DaemonConfig, WebhookSecretFileIsTheDefaultForEveryForge) {
  auto config =
      parse_daemon_config(std::string(kMinimal) +
                              "webhooks:\n  secretFile: /etc/nkd/all\n"
                              "  secretFiles: {github: /etc/nkd/gh, gitlab: /etc/nkd/gl}\n",
                          "syncd.yaml", nullptr);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->webhooks.secret_file_for("github"), "/etc/nkd/gh");
  EXPECT_EQ(config->webhooks.secret_file_for("gitlab"), "/etc/nkd/gl");
  EXPECT_EQ(config->webhooks.secret_file_for("gitea"), "/etc/nkd/all");
  EXPECT_EQ(config->webhooks.secret_file_for("generic"), "/etc/nkd/all");
  auto only_one = parse_daemon_config(
      std::string(kMinimal) + "webhooks: {secretFiles: {gitea: /etc/nkd/gt}}\n", "c", nullptr);
  ASSERT_TRUE(only_one.ok()) << only_one.error().message;
  EXPECT_EQ(only_one->webhooks.secret_file_for("gitea"), "/etc/nkd/gt");
  EXPECT_EQ(only_one->webhooks.secret_file_for("github"), "");
}

TEST(DaemonConfig, WebhookRateLimitPrefixesDefaultAndAreChecked) {
  auto defaults = parse_daemon_config(kMinimal, "syncd.yaml", nullptr);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->webhooks.rate_limit_ipv4_prefix, 24);
  EXPECT_EQ(defaults->webhooks.rate_limit_ipv6_prefix, 64);
  auto set = parse_daemon_config(
      std::string(kMinimal) + "webhooks: {rateLimitPrefix: {ipv4: 32, ipv6: 48}}\n", "c", nullptr);
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->webhooks.rate_limit_ipv4_prefix, 32);
  EXPECT_EQ(set->webhooks.rate_limit_ipv6_prefix, 48);
  auto wrong = parse_daemon_config(
      std::string(kMinimal) +
          "webhooks: {secretFiles: {bitbucket: /x}, rateLimitPrefix: {ipv4: 33}}\n",
      "c", nullptr);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("unknown key 'bitbucket'"), std::string::npos)
      << wrong.error().message;
  EXPECT_NE(wrong.error().message.find("webhooks.rateLimitPrefix.ipv4 must be between 8 and 32"),
            std::string::npos)
      << wrong.error().message;
}

TEST(DaemonConfig, ReportsProblemsWithLineAndColumn) {
  auto config = parse_daemon_config("repository:\n  url: x\n  polInterval: 5s\nclusterAccess: maybe\n",
                                    "/etc/nkd/syncd.yaml", nullptr);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("/etc/nkd/syncd.yaml:3:3: error: unknown key 'polInterval' "
                                        "in repository; did you mean 'pollInterval'?"),
            std::string::npos)
      << config.error().message;
  EXPECT_NE(config.error().message.find("/etc/nkd/syncd.yaml:4:16: error: clusterAccess must be"),
            std::string::npos)
      << config.error().message;
}

TEST(DaemonConfig, HttpLimitsDefaultAndCanBeSet) {
  auto defaults = parse_daemon_config(kMinimal, "syncd.yaml", nullptr);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->http_limits.max_connections, 64u);
  EXPECT_EQ(defaults->http_limits.header_timeout, std::chrono::seconds(10));
  auto set = parse_daemon_config(std::string(kMinimal) +
                                     "http: {maxConnections: 200, maxConnectionsPerAddress: 50,\n"
                                     "       headerTimeout: 5s, requestTimeout: 2m}\n",
                                 "syncd.yaml", nullptr);
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->http_limits.max_connections, 200u);
  EXPECT_EQ(set->http_limits.max_connections_per_address, 50u);
  EXPECT_EQ(set->http_limits.header_timeout, std::chrono::seconds(5));
  EXPECT_EQ(set->http_limits.request_timeout, std::chrono::minutes(2));
  auto wrong = parse_daemon_config(std::string(kMinimal) + "http: {maxConnections: 0}\n", "c", nullptr);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("http.maxConnections must be between 1 and 1024"), std::string::npos)
      << wrong.error().message;
}

TEST(DaemonConfig, SshKeyWithoutKnownHostsIsRefused) {
  auto config = parse_daemon_config(
      "repository:\n  url: ssh://git@127.0.0.1/r.git\n  auth: {sshKeyFile: /k}\n", "c", nullptr);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("needs knownHostsFile"), std::string::npos);
}

TEST(DaemonConfig, FetchAndStallTimeoutsDefaultAndCanBeSet) {
  auto defaults = parse_daemon_config(kMinimal, "syncd.yaml", nullptr);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->repository.fetch_timeout_ms, 120'000);
  EXPECT_EQ(defaults->stall_timeout_ms, 30 * 60'000);
  auto set = parse_daemon_config(
      "repository:\n  url: file:///srv/c.git\n  fetchTimeout: 45s\nstallTimeout: 20m\n", "c",
      nullptr);
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->repository.fetch_timeout_ms, 45'000);
  EXPECT_EQ(set->stall_timeout_ms, 20 * 60'000);
  auto wrong = parse_daemon_config("repository:\n  url: file:///srv/c.git\n  fetchTimeout: 10ms\n",
                                   "c", nullptr);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(
      wrong.error().message.find("repository.fetchTimeout '10ms' is not a duration of at least 1s"),
      std::string::npos)
      << wrong.error().message;
}

TEST(DaemonConfig, RepositoryVerifyNamesAModeAndItsTrust) {
  auto defaults = parse_daemon_config(kMinimal, "syncd.yaml", nullptr);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->repository.verify.mode, source::VerifySettings::Mode::kNone);
  auto ssh = parse_daemon_config(
      "repository:\n  url: file:///srv/c.git\n  verify:\n    mode: ssh\n"
      "    allowedSignersFile: /etc/nkd/allowed_signers\n    allCommits: true\n",
      "c", nullptr);
  ASSERT_TRUE(ssh.ok()) << ssh.error().message;
  EXPECT_EQ(ssh->repository.verify.mode, source::VerifySettings::Mode::kSsh);
  EXPECT_EQ(ssh->repository.verify.allowed_signers_file, "/etc/nkd/allowed_signers");
  EXPECT_TRUE(ssh->repository.verify.all_commits);
  auto openpgp = parse_daemon_config(
      "repository:\n  url: file:///srv/c.git\n  verify: {mode: openpgp, keyring: /etc/nkd/gnupg}\n",
      "c", nullptr);
  ASSERT_TRUE(openpgp.ok()) << openpgp.error().message;
  EXPECT_EQ(openpgp->repository.verify.mode, source::VerifySettings::Mode::kOpenPgp);
  EXPECT_EQ(openpgp->repository.verify.keyring_directory, "/etc/nkd/gnupg");
  EXPECT_FALSE(openpgp->repository.verify.all_commits);
  for (const auto& [yaml, expected] : std::vector<std::pair<std::string, std::string>>{
           {"{mode: ssh}", "mode ssh needs allowedSignersFile"},
           {"{mode: openpgp}", "mode openpgp needs keyring"},
           {"{mode: x509, keyring: /k}",
            "repository.verify.mode must be ssh or openpgp, got 'x509'"},
           {"{mode: ssh, allowedSignersFile: /a, trustAll: true}", "trustAll"}}) {
    auto wrong = parse_daemon_config(
        "repository:\n  url: file:///srv/c.git\n  verify: " + yaml + "\n", "c", nullptr);
    ASSERT_FALSE(wrong.ok()) << yaml;
    EXPECT_NE(wrong.error().message.find(expected), std::string::npos) << wrong.error().message;
  }
}

TEST(DaemonConfig, ServesHttpsWithItsOwnCertificateByDefault) {
  auto config = parse_daemon_config(kMinimal, "syncd.yaml", nullptr);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->http_tls.security, ListenerSecurity::kSelfSigned);
  EXPECT_TRUE(config->serves_https());
  EXPECT_EQ(config->http_limits.handshake_timeout, std::chrono::seconds(10));
}

TEST(DaemonConfig, PlainHttpNeedsTheExplicitOptIn) {
  auto insecure =
      parse_daemon_config(std::string(kMinimal) + "http: {insecure: true}\n", "c", nullptr);
  ASSERT_TRUE(insecure.ok()) << insecure.error().message;
  EXPECT_EQ(insecure->http_tls.security, ListenerSecurity::kInsecure);
  EXPECT_FALSE(insecure->serves_https());
  EXPECT_EQ(insecure->public_url, "http://127.0.0.1:9480");

  auto plain_url = parse_daemon_config(
      std::string(kMinimal) + "publicURL: http://nkd.lab.example:9480\n", "c", nullptr);
  ASSERT_FALSE(plain_url.ok());
  EXPECT_EQ(plain_url.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(plain_url.error().message.find("set http.insecure: true to serve plain HTTP"),
            std::string::npos)
      << plain_url.error().message;
  auto plain_url_opted_in = parse_daemon_config(
      std::string(kMinimal) + "publicURL: http://nkd.lab.example:9480\nhttp: {insecure: true}\n",
      "c", nullptr);
  EXPECT_TRUE(plain_url_opted_in.ok());
}

TEST(DaemonConfig, CertificateFilesTakeBothHalvesAndExcludeInsecure) {
  auto files = parse_daemon_config(std::string(kMinimal) +
                                       "http:\n  tls: {certFile: /etc/nkd/tls.crt, keyFile: "
                                       "/etc/nkd/tls.key, caFile: /etc/nkd/ca.crt}\n"
                                       "  handshakeTimeout: 3s\n",
                                   "c", nullptr);
  ASSERT_TRUE(files.ok()) << files.error().message;
  EXPECT_EQ(files->http_tls.security, ListenerSecurity::kCertificateFiles);
  EXPECT_EQ(files->http_tls.key_file, "/etc/nkd/tls.key");
  EXPECT_EQ(files->http_tls.ca_file, "/etc/nkd/ca.crt");
  EXPECT_EQ(files->http_limits.handshake_timeout, std::chrono::seconds(3));

  auto half = parse_daemon_config(
      std::string(kMinimal) + "http: {tls: {certFile: /etc/nkd/tls.crt}}\n", "c", nullptr);
  ASSERT_FALSE(half.ok());
  EXPECT_NE(half.error().message.find("needs both certFile and keyFile"), std::string::npos)
      << half.error().message;

  auto both = parse_daemon_config(
      std::string(kMinimal) + "http: {insecure: true, tls: {selfSigned: true}}\n", "c", nullptr);
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.error().message.find("cannot go with http.tls"), std::string::npos)
      << both.error().message;
}

TEST(DaemonConfig, SelfSignedTakesExtraHosts) {
  auto config = parse_daemon_config(
      std::string(kMinimal) + "http: {tls: {selfSigned: true, hosts: [nkd.lab, 10.0.0.5]}}\n", "c",
      nullptr);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->http_tls.security, ListenerSecurity::kSelfSigned);
  EXPECT_EQ(config->http_tls.hosts, (std::vector<std::string>{"nkd.lab", "10.0.0.5"}));
}

}  // namespace
}  // namespace nkd::syncd
