// Tests of the cluster PKI. The openssl command-line tool is the independent judge of what the
// certificates contain and whether chains verify.
#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <regex>
#include <set>
#include <sstream>

#include "common/crypto.h"
#include "render/pki/cluster_pki.h"
#include "tests/support/test_support.h"

namespace nkd::pki {
namespace {

using nkd::testing::run_command;
using nkd::testing::run_shell;
using nkd::testing::ScratchDir;
using nkd::testing::write_file;

constexpr std::int64_t kDaySeconds = 24 * 60 * 60;

model::Cluster openstack_cluster(int control_plane_replicas) {
  model::Cluster cluster;
  cluster.name = "prod-east";
  cluster.platform = model::OpenStackPlatform{.cloud = "dc1",
                                              .image = "nestos",
                                              .flavor = "m1.large",
                                              .network = "k8s",
                                              .external_network = "",
                                              .security_groups = {},
                                              .availability_zone = ""};
  cluster.kubernetes.version = "v1.29.1";
  cluster.kubernetes.control_plane_endpoint = "api.prod-east.example.org:6443";
  cluster.pools = {
      model::Pool{.name = "control-plane",
                  .role = model::PoolRole::kControlPlane,
                  .replicas = control_plane_replicas,
                  .flavor = ""},
      model::Pool{.name = "workers", .role = model::PoolRole::kWorker, .replicas = 2, .flavor = ""},
  };
  return cluster;
}

model::Cluster bare_metal_cluster() {
  model::Cluster cluster;
  cluster.name = "edge-lab";
  cluster.platform = model::BareMetalPlatform{.nodes = {
                                                  {.name = "edge-cp-a",
                                                   .pool = "control-plane",
                                                   .mac = "52:54:00:00:00:01",
                                                   .ip = "10.0.0.11"},
                                                  {.name = "edge-cp-b",
                                                   .pool = "control-plane",
                                                   .mac = "52:54:00:00:00:02",
                                                   .ip = "10.0.0.12"},
                                                  {.name = "edge-cp-c",
                                                   .pool = "control-plane",
                                                   .mac = "52:54:00:00:00:03",
                                                   .ip = "10.0.0.13"},
                                                  {.name = "edge-worker-a",
                                                   .pool = "workers",
                                                   .mac = "52:54:00:00:00:04",
                                                   .ip = "10.0.0.21"},
                                              }};
  cluster.kubernetes.version = "v1.29.1";
  cluster.kubernetes.control_plane_endpoint = "10.0.0.10";
  cluster.kubernetes.service_subnet = "10.112.0.0/12";
  cluster.kubernetes.dns_domain = "edge.internal";
  cluster.pools = {
      model::Pool{.name = "control-plane",
                  .role = model::PoolRole::kControlPlane,
                  .replicas = 0,
                  .flavor = ""},
      model::Pool{.name = "workers", .role = model::PoolRole::kWorker, .replicas = 0, .flavor = ""},
  };
  return cluster;
}

std::int64_t now_unix() { return static_cast<std::int64_t>(std::time(nullptr)); }

ClusterPki make_pki(const model::Cluster& cluster, std::int64_t now = now_unix()) {
  Result<ClusterPki> pki = ensure_pki(cluster, std::nullopt, now);
  EXPECT_TRUE(pki.ok()) << (pki.ok() ? "" : pki.error().message);
  return pki.ok() ? std::move(pki).value() : ClusterPki{};
}

// Runs openssl with `pem` on stdin and returns stdout; fails the test on a non-zero exit.
std::string openssl(const std::vector<std::string>& arguments, const std::string& pem) {
  std::vector<std::string> argv = {"openssl"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  nkd::testing::CommandResult result = run_command(argv, "", pem);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return result.out;
}

// The SANs as openssl prints them, rewritten to the canonical "DNS:x" / "IP:y" form.
std::set<std::string> openssl_sans(const std::string& cert_pem) {
  const std::string text = openssl({"x509", "-noout", "-ext", "subjectAltName"}, cert_pem);
  std::set<std::string> sans;
  std::stringstream lines(text.substr(text.find('\n') + 1));
  std::string entry;
  while (std::getline(lines, entry, ',')) {
    entry.erase(0, entry.find_first_not_of(" \n"));
    entry.erase(entry.find_last_not_of(" \n") + 1);
    if (entry.starts_with("IP Address:")) entry = "IP:" + entry.substr(11);
    sans.insert(entry);
  }
  return sans;
}

bool verifies(const std::string& ca_pem, const std::string& leaf_pem) {
  ScratchDir dir;
  write_file(dir.path() / "ca.crt", ca_pem);
  write_file(dir.path() / "leaf.crt", leaf_pem);
  const auto result =
      run_command({"openssl", "verify", "-CAfile", dir.str() + "/ca.crt", dir.str() + "/leaf.crt"});
  return result.exit_code == 0 && result.out.find(": OK") != std::string::npos;
}

// An apiserver certificate as kubeadm would issue it on a control-plane node.
CertKeyPair serving_cert(const ClusterPki& pki, const model::Cluster& cluster) {
  const Result<CertKeyPair> issued = issue_apiserver_cert(pki, cluster, 365 * kDaySeconds, now_unix());
  EXPECT_TRUE(issued.ok()) << issued.error().message;
  return issued.ok() ? *issued : CertKeyPair{};
}

std::string joined(const std::vector<std::string>& entries) {
  std::string text;
  for (const std::string& entry : entries) text += (text.empty() ? "" : ",") + entry;
  return text;
}

TEST(ClusterPki, HoldsOnlyCasServiceAccountAndAdmin) {
  const model::Cluster cluster = openstack_cluster(3);
  const ClusterPki pki = make_pki(cluster);
  EXPECT_TRUE(verifies(pki.ca.cert_pem, pki.admin.cert_pem));
  EXPECT_TRUE(verifies(pki.ca.cert_pem, serving_cert(pki, cluster).cert_pem));
  // The three CAs are separate trust roots.
  EXPECT_FALSE(verifies(pki.front_proxy_ca.cert_pem, pki.admin.cert_pem));
  EXPECT_FALSE(verifies(pki.etcd_ca.cert_pem, pki.admin.cert_pem));
  const nlohmann::json stored = to_json(pki);
  for (const char* leaf : {"apiserver", "apiserverKubeletClient", "apiserverEtcdClient",
                           "frontProxyClient", "etcdMembers"}) {
    EXPECT_FALSE(stored.contains(leaf)) << leaf << ": kubeadm issues it on the node";
  }
}

TEST(ClusterPki, OpenStackApiserverSansAreControlPlaneEndpointAndServiceNames) {
  const model::Cluster cluster = openstack_cluster(3);
  const ClusterPki pki = make_pki(cluster);
  std::set<std::string> expected = {"DNS:prod-east-control-plane-0",
                                    "DNS:prod-east-control-plane-1",
                                    "DNS:prod-east-control-plane-2",
                                    "DNS:api.prod-east.example.org",
                                    "DNS:kubernetes",
                                    "DNS:kubernetes.default",
                                    "DNS:kubernetes.default.svc",
                                    "DNS:kubernetes.default.svc.cluster.local",
                                    "IP:10.96.0.1"};
  EXPECT_EQ(joined(apiserver_sans(cluster).value()),
            "DNS:api.prod-east.example.org,DNS:kubernetes,DNS:kubernetes.default,"
            "DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,"
            "DNS:prod-east-control-plane-0,DNS:prod-east-control-plane-1,"
            "DNS:prod-east-control-plane-2,IP:10.96.0.1");
  expected.insert({"DNS:localhost", "IP:127.0.0.1"});
  const CertKeyPair serving = serving_cert(pki, cluster);
  EXPECT_EQ(openssl_sans(serving.cert_pem), expected);
  const Result<std::vector<std::string>> parsed = certificate_sans(serving.cert_pem);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(std::set<std::string>(parsed->begin(), parsed->end()), expected);
}

TEST(ClusterPki, VirtualIpAndExtraNamesAreApiserverSans) {
  model::Cluster cluster = openstack_cluster(3);
  cluster.kubernetes.control_plane_endpoint = "";
  cluster.kubernetes.virtual_ip.address = "10.0.0.100";
  cluster.kubernetes.api_server_cert_sans = {"api.example.org", "203.0.113.7"};
  const std::vector<std::string> sans = apiserver_sans(cluster).value();
  for (const char* wanted : {"IP:10.0.0.100", "DNS:api.example.org", "IP:203.0.113.7"}) {
    EXPECT_EQ(std::count(sans.begin(), sans.end(), wanted), 1) << wanted;
  }
}

TEST(ClusterPki, BareMetalApiserverSansIncludeFixedIpsAndIpEndpointOnce) {
  model::Cluster cluster = bare_metal_cluster();
  const std::set<std::string> expected = {"DNS:edge-cp-a",
                                          "DNS:edge-cp-b",
                                          "DNS:edge-cp-c",
                                          "IP:10.0.0.10",
                                          "IP:10.0.0.11",
                                          "IP:10.0.0.12",
                                          "IP:10.0.0.13",
                                          "IP:10.112.0.1",
                                          "DNS:kubernetes",
                                          "DNS:kubernetes.default",
                                          "DNS:kubernetes.default.svc",
                                          "DNS:kubernetes.default.svc.edge.internal"};
  const std::vector<std::string> sans = apiserver_sans(cluster).value();
  EXPECT_EQ(std::set<std::string>(sans.begin(), sans.end()), expected);

  // An endpoint equal to a node's IP must not appear twice.
  cluster.kubernetes.control_plane_endpoint = "10.0.0.11";
  const std::vector<std::string> same_endpoint = apiserver_sans(cluster).value();
  EXPECT_EQ(std::count(same_endpoint.begin(), same_endpoint.end(), "IP:10.0.0.11"), 1);
  EXPECT_EQ(same_endpoint.size(), expected.size() - 1);
}

TEST(ClusterPki, EndpointPortIsNotPartOfTheSan) {
  model::Cluster cluster = openstack_cluster(1);
  cluster.kubernetes.control_plane_endpoint = "[fd00::10]:6443";
  std::string sans = joined(apiserver_sans(cluster).value());
  EXPECT_TRUE(sans.ends_with(",IP:fd00::10")) << sans;
  EXPECT_EQ(sans.find("6443"), std::string::npos) << sans;
  cluster.kubernetes.control_plane_endpoint = "10.1.2.3:6443";
  sans = joined(apiserver_sans(cluster).value());
  EXPECT_NE(sans.find("IP:10.1.2.3"), std::string::npos) << sans;
  cluster.kubernetes.service_subnet = "10.96.0.0/33";
  EXPECT_FALSE(apiserver_sans(cluster).ok());
}

TEST(ClusterPki, AddressAndControlPlaneChangesKeepThePki) {
  // Nothing stored depends on node names or addresses: kubeadm issues those certificates.
  model::Cluster cluster = bare_metal_cluster();
  const ClusterPki before = make_pki(cluster);
  std::get<model::BareMetalPlatform>(cluster.platform).nodes[1].ip = "10.0.0.42";
  const Result<ClusterPki> after = ensure_pki(cluster, before, now_unix());
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, before);
}

TEST(ClusterPki, KeysAreEcdsaP256ByDefault) {
  const ClusterPki pki = make_pki(openstack_cluster(1));
  EXPECT_EQ(pki.key_algorithm, model::KeyAlgorithm::kEcdsaP256);
  const std::string text = openssl({"x509", "-noout", "-text"}, pki.ca.cert_pem);
  EXPECT_NE(text.find("id-ecPublicKey"), std::string::npos);
  EXPECT_NE(text.find("prime256v1"), std::string::npos);
  EXPECT_NE(text.find("ecdsa-with-SHA256"), std::string::npos);
  EXPECT_TRUE(pki.ca.key_pem.reveal().starts_with("-----BEGIN PRIVATE KEY-----"));
  EXPECT_NE(openssl({"pkey", "-noout", "-text"}, pki.admin.key_pem.reveal()).find("P-256"),
            std::string::npos);
}

TEST(ClusterPki, KeysAreRsa2048WhenChosen) {
  model::Cluster cluster = openstack_cluster(1);
  cluster.kubernetes.pki.key_algorithm = model::KeyAlgorithm::kRsa2048;
  const ClusterPki pki = make_pki(cluster);
  EXPECT_EQ(pki.key_algorithm, model::KeyAlgorithm::kRsa2048);
  const std::string ca_text = openssl({"x509", "-noout", "-text"}, pki.ca.cert_pem);
  EXPECT_NE(ca_text.find("rsaEncryption"), std::string::npos);
  EXPECT_NE(ca_text.find("(2048 bit)"), std::string::npos);
  EXPECT_NE(ca_text.find("sha256WithRSAEncryption"), std::string::npos);
  const std::string leaf_text = openssl({"x509", "-noout", "-text"}, pki.admin.cert_pem);
  EXPECT_NE(leaf_text.find("Digital Signature, Key Encipherment"), std::string::npos);
  EXPECT_TRUE(verifies(pki.ca.cert_pem, pki.admin.cert_pem));
}

TEST(ClusterPki, CaAndLeafCarryKubeadmExtensions) {
  const ClusterPki pki = make_pki(openstack_cluster(1));
  const CertKeyPair serving = serving_cert(pki, openstack_cluster(1));
  const std::string ca = openssl({"x509", "-noout", "-text"}, pki.ca.cert_pem);
  EXPECT_NE(ca.find("X509v3 Basic Constraints: critical\n                CA:TRUE"),
            std::string::npos)
      << ca;
  EXPECT_NE(ca.find("Digital Signature, Certificate Sign, CRL Sign"), std::string::npos);
  EXPECT_NE(ca.find("Subject: CN = kubernetes"), std::string::npos);
  EXPECT_NE(ca.find("X509v3 Subject Key Identifier"), std::string::npos);

  const std::string apiserver = openssl({"x509", "-noout", "-text"}, serving.cert_pem);
  EXPECT_NE(apiserver.find("CA:FALSE"), std::string::npos);
  EXPECT_NE(apiserver.find("TLS Web Server Authentication"), std::string::npos);
  EXPECT_EQ(apiserver.find("TLS Web Client Authentication"), std::string::npos);
  EXPECT_NE(apiserver.find("X509v3 Authority Key Identifier"), std::string::npos);
  EXPECT_NE(apiserver.find("Subject: CN = kube-apiserver\n"), std::string::npos);
  EXPECT_NE(openssl({"x509", "-noout", "-subject"}, pki.front_proxy_ca.cert_pem)
                .find("CN = front-proxy-ca"),
            std::string::npos);
  EXPECT_NE(openssl({"x509", "-noout", "-subject"}, pki.etcd_ca.cert_pem).find("CN = etcd-ca"),
            std::string::npos);
  const std::string admin = openssl({"x509", "-noout", "-text"}, pki.admin.cert_pem);
  EXPECT_NE(admin.find("TLS Web Client Authentication"), std::string::npos);
  EXPECT_EQ(admin.find("TLS Web Server Authentication"), std::string::npos);
}

TEST(ClusterPki, CasLastTenYearsAndLeavesOneYear) {
  const ClusterPki pki = make_pki(openstack_cluster(1));
  auto valid_for = [&](const std::string& pem, std::int64_t seconds) {
    return run_command({"openssl", "x509", "-noout", "-checkend", std::to_string(seconds)}, "", pem)
               .exit_code == 0;
  };
  EXPECT_TRUE(valid_for(pki.ca.cert_pem, 3649 * kDaySeconds));
  EXPECT_FALSE(valid_for(pki.ca.cert_pem, 3651 * kDaySeconds));
  EXPECT_TRUE(valid_for(pki.admin.cert_pem, 364 * kDaySeconds));
  EXPECT_FALSE(valid_for(pki.admin.cert_pem, 366 * kDaySeconds));
  // notBefore sits five minutes in the past so slightly slow clocks accept new certificates.
  const std::string start = openssl({"x509", "-noout", "-startdate"}, pki.admin.cert_pem);
  EXPECT_TRUE(start.starts_with("notBefore=")) << start;
}

TEST(ClusterPki, SerialsArePositiveRandomAndDistinct) {
  const ClusterPki pki = make_pki(openstack_cluster(1));
  std::set<std::string> serials;
  for (const CertKeyPair* pair : {&pki.ca, &pki.front_proxy_ca, &pki.etcd_ca, &pki.admin}) {
    std::string serial = openssl({"x509", "-noout", "-serial"}, pair->cert_pem);
    serial = serial.substr(serial.find('=') + 1);
    serial.erase(serial.find_last_not_of("\n") + 1);
    EXPECT_LE(serial.size(), 40u);
    EXPECT_GE(serial.size(), 30u);        // 159 random bits leave at most a few leading zero digits
    EXPECT_LT(serial[0], '8') << serial;  // the DER integer's sign bit stays clear
    serials.insert(serial);
  }
  EXPECT_EQ(serials.size(), 4u);
}

TEST(ClusterPki, AdminCertIsInSystemMastersGroup) {
  const ClusterPki pki = make_pki(openstack_cluster(1));
  const std::string subject = openssl({"x509", "-noout", "-subject"}, pki.admin.cert_pem);
  EXPECT_EQ(subject, "subject=O = system:masters, CN = kubernetes-admin\n");
}

TEST(ClusterPki, UnchangedClusterKeepsPkiByteIdentical) {
  const model::Cluster cluster = openstack_cluster(3);
  const ClusterPki first = make_pki(cluster);
  const Result<ClusterPki> again = ensure_pki(cluster, first, now_unix() + 3600);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(to_json(*again).dump(), to_json(first).dump());
}

TEST(ClusterPki, ScalingControlPlaneKeepsThePki) {
  const ClusterPki three = make_pki(openstack_cluster(3));
  const Result<ClusterPki> five = ensure_pki(openstack_cluster(5), three, now_unix());
  ASSERT_TRUE(five.ok()) << five.error().message;
  EXPECT_EQ(to_json(*five).dump(), to_json(three).dump());
}

TEST(ClusterPki, LeavesNearExpiryAreReissuedButCasKept) {
  const std::int64_t start = now_unix();
  const ClusterPki pki = make_pki(openstack_cluster(1), start);
  const Result<ClusterPki> later = ensure_pki(openstack_cluster(1), pki, start + 340 * kDaySeconds);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->ca, pki.ca);
  EXPECT_NE(later->admin.cert_pem, pki.admin.cert_pem);
  const Result<ClusterPki> early = ensure_pki(openstack_cluster(1), pki, start + 300 * kDaySeconds);
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(early->admin, pki.admin);
}

TEST(ClusterPki, DamagedStoredCaIsAnErrorNotAReplacement) {
  ClusterPki pki = make_pki(openstack_cluster(3));
  pki.ca.key_pem = Secret("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n");
  // An admin certificate near its expiry must be reissued, which needs the CA key.
  const Result<ClusterPki> scaled =
      ensure_pki(openstack_cluster(3), pki, now_unix() + 340 * kDaySeconds);
  ASSERT_FALSE(scaled.ok());
  EXPECT_NE(scaled.error().message.find("kubernetes CA private key is unusable"), std::string::npos)
      << scaled.error().message;
  EXPECT_NE(scaled.error().message.find("prod-east"), std::string::npos);

  ClusterPki half = make_pki(openstack_cluster(3));
  half.etcd_ca.key_pem = Secret();
  const Result<ClusterPki> unchanged = ensure_pki(openstack_cluster(3), half, now_unix());
  ASSERT_FALSE(unchanged.ok());
  EXPECT_NE(unchanged.error().message.find("etcd-ca CA private key is unusable"), std::string::npos)
      << unchanged.error().message;
}

TEST(ClusterPki, JsonRoundTripKeepsEveryField) {
  const ClusterPki pki = make_pki(bare_metal_cluster());
  const nlohmann::json json = to_json(pki);
  const Result<ClusterPki> back = pki_from_json(nlohmann::json::parse(json.dump()));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, pki);
  EXPECT_EQ(to_json(*back).dump(), json.dump());
  EXPECT_GT(back->bootstrap_token_issued_unix, 0);
  EXPECT_FALSE(back->service_account_public_pem.empty());
  EXPECT_FALSE(back->node_token_key.empty());
}

TEST(ClusterPki, JsonNamesTheKeyAlgorithm) {
  ClusterPki pki = make_pki(openstack_cluster(1));
  EXPECT_EQ(to_json(pki).at("keyAlgorithm"), "ECDSA-P256");
  pki.key_algorithm = model::KeyAlgorithm::kRsa2048;
  const nlohmann::json json = to_json(pki);
  EXPECT_EQ(json.at("keyAlgorithm"), "RSA-2048");
  const Result<ClusterPki> back = pki_from_json(json);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->key_algorithm, model::KeyAlgorithm::kRsa2048);
}

TEST(ClusterPki, EveryPrivateKeyIsPkcs8AndMatchesItsCertificate) {
  const ClusterPki pki = make_pki(openstack_cluster(1));
  for (const CertKeyPair* pair : {&pki.ca, &pki.front_proxy_ca, &pki.etcd_ca, &pki.admin}) {
    EXPECT_TRUE(pair->key_pem.reveal().starts_with("-----BEGIN PRIVATE KEY-----\n"));
    const std::string from_key = openssl({"pkey", "-pubout"}, pair->key_pem.reveal());
    EXPECT_FALSE(from_key.empty());
    EXPECT_EQ(from_key, openssl({"x509", "-pubkey", "-noout"}, pair->cert_pem));
  }
}

TEST(ClusterPki, JsonWithMissingFieldIsRejectedNamingIt) {
  nlohmann::json json = to_json(make_pki(openstack_cluster(1)));
  json["admin"].erase("cert");
  const Result<ClusterPki> parsed = pki_from_json(json);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("admin.cert is missing"), std::string::npos)
      << parsed.error().message;
  json = to_json(make_pki(openstack_cluster(1)));
  json["keyAlgorithm"] = "DSA";
  EXPECT_FALSE(pki_from_json(json).ok());
}

TEST(ClusterPki, LayoutOneRecordLosesItsLeavesAndKeepsTheRest) {
  const ClusterPki pki = make_pki(openstack_cluster(1));
  nlohmann::json old = to_json(pki);
  old["version"] = 1;
  old.erase("bootstrapTokenIssuedAt");
  old["apiserver"] = {{"cert", "x"}, {"key", "y"}};
  old["etcdMembers"] = nlohmann::json::object();
  const Result<ClusterPki> read = pki_from_json(old);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->ca, pki.ca);
  EXPECT_EQ(read->bootstrap_token_id, pki.bootstrap_token_id);
  EXPECT_EQ(read->bootstrap_token_issued_unix, 0) << "issued at an unknown time";
  old["version"] = 4;
  EXPECT_FALSE(pki_from_json(old).ok());
}

TEST(ClusterPki, NewBootstrapTokenExpiresAfterTheClusterTtl) {
  model::Cluster cluster = openstack_cluster(1);
  const ClusterPki pki = make_pki(cluster, 1'000'000);
  EXPECT_EQ(pki.bootstrap_token_issued_unix, 1'000'000);
  EXPECT_EQ(bootstrap_token_expiry_unix(pki, cluster), 1'000'000 + 24 * 3600);
  const ClusterPki renewed = with_new_bootstrap_token(pki, 2'000'000);
  EXPECT_NE(renewed.bootstrap_token_id, pki.bootstrap_token_id);
  EXPECT_NE(renewed.bootstrap_token_secret, pki.bootstrap_token_secret);
  EXPECT_EQ(renewed.ca, pki.ca);
  EXPECT_EQ(bootstrap_token_expiry_unix(renewed, cluster), 2'000'000 + 24 * 3600);
  cluster.kubernetes.bootstrap_token_ttl_seconds = 0;
  EXPECT_EQ(bootstrap_token_expiry_unix(renewed, cluster), std::nullopt);
}

TEST(ClusterPki, TokensHaveKubeadmFormat) {
  const ClusterPki pki = make_pki(openstack_cluster(1));
  EXPECT_TRUE(std::regex_match(pki.bootstrap_token_id, std::regex("[a-z0-9]{6}")))
      << pki.bootstrap_token_id;
  EXPECT_TRUE(std::regex_match(pki.bootstrap_token_secret.reveal(), std::regex("[a-z0-9]{16}")));
  EXPECT_TRUE(std::regex_match(pki.node_token_key.reveal(), std::regex("[0-9a-f]{64}")));
  const ClusterPki other = make_pki(openstack_cluster(1));
  EXPECT_NE(other.bootstrap_token_secret, pki.bootstrap_token_secret);
  EXPECT_NE(other.node_token_key, pki.node_token_key);
}

TEST(ClusterPki, CaCertHashMatchesOpenSslSubjectPublicKeyDigest) {
  const ClusterPki pki = make_pki(openstack_cluster(1));
  ScratchDir dir;
  write_file(dir.path() / "ca.crt", pki.ca.cert_pem);
  const auto result = run_shell(
      "openssl x509 -pubkey -noout -in ca.crt | openssl pkey -pubin -outform der | sha256sum",
      dir.str());
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(pki.ca_cert_hash, "sha256:" + result.out.substr(0, 64));
}

TEST(ClusterPki, ServiceAccountKeyPairMatches) {
  const ClusterPki pki = make_pki(openstack_cluster(1));
  EXPECT_TRUE(pki.service_account_key_pem.reveal().starts_with("-----BEGIN PRIVATE KEY-----"));
  EXPECT_EQ(openssl({"pkey", "-pubout"}, pki.service_account_key_pem.reveal()),
            pki.service_account_public_pem);
}

TEST(ClusterPki, NodeFetchTokenIsPerNodeHmac) {
  const ClusterPki pki = make_pki(openstack_cluster(1));
  const Secret token = node_fetch_token(pki, "prod-east-workers-0");
  EXPECT_EQ(token.reveal(), hmac_sha256_hex(pki.node_token_key.reveal(), "prod-east-workers-0"));
  EXPECT_NE(token, node_fetch_token(pki, "prod-east-workers-1"));
  EXPECT_NE(token, node_fetch_token(make_pki(openstack_cluster(1)), "prod-east-workers-0"));
}

TEST(ClusterPki, IssuedClientCertIsSignedByClusterCaWithGroup) {
  const std::int64_t now = now_unix();
  const ClusterPki pki = make_pki(openstack_cluster(1), now);
  const Result<CertKeyPair> client = issue_client_cert(pki, "nkd", "system:masters", 3600, now);
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_TRUE(verifies(pki.ca.cert_pem, client->cert_pem));
  EXPECT_EQ(openssl({"x509", "-noout", "-subject"}, client->cert_pem),
            "subject=O = system:masters, CN = nkd\n");
  EXPECT_NE(run_command({"openssl", "x509", "-noout", "-checkend", "7200"}, "", client->cert_pem)
                .exit_code,
            0);
  EXPECT_FALSE(issue_client_cert(pki, "", "", 3600, now).ok());
}

}  // namespace
}  // namespace nkd::pki
