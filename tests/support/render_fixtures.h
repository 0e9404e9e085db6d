// Cluster models and a placeholder cluster PKI for renderer tests. The PEM
// strings are not real certificates or keys (the renderer only places them),
// but they keep the PEM markers so that tests can look for "PRIVATE KEY" in
// rendered output.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <utility>

#include "model/cluster.h"
#include "render/pki/cluster_pki.h"
#include "render/render.h"

namespace nkd::testing {

inline std::string fake_pem(const std::string& label, const std::string& body) {
  return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
}

inline pki::CertKeyPair fake_pair(const std::string& name) {
  return pki::CertKeyPair{.cert_pem = fake_pem("CERTIFICATE", "cert-of-" + name),
                          .key_pem = Secret(fake_pem("PRIVATE KEY", "key-of-" + name))};
}

// The pool of `cluster` called `name` (a test's own fixture: a missing pool is a broken test).
inline model::Pool& pool_named(model::Cluster& cluster, const std::string& name) {
  for (auto& pool : cluster.pools) {
    if (pool.name == name) return pool;
  }
  throw std::runtime_error("no pool " + name);
}

// An OpenStack cluster: three control-plane nodes and two worker pools ("workers", "gpu").
inline model::Cluster openstack_cluster(const std::string& name = "prod-east") {
  model::Cluster cluster;
  cluster.name = name;
  cluster.platform = model::OpenStackPlatform{.cloud = "dc1",
                                              .image = "nestos-22.03-LTS-SP3",
                                              .flavor = "m1.large",
                                              .network = "k8s-internal",
                                              .external_network = "",
                                              .security_groups = {"k8s"},
                                              .availability_zone = "nova"};
  cluster.os = model::OsSpec{.version = "22.03-LTS-SP3.20240110",
                             .image_url = "registry.example.org/nestos/nestos:22.03-LTS-SP3"};
  cluster.kubernetes.version = "v1.29.1";
  cluster.kubernetes.control_plane_endpoint = "api.prod-east.example.org";
  cluster.users = {model::User{.name = "nest",
                               .ssh_authorized_keys = {"ssh-ed25519 AAAAC3Nza ops@example"},
                               .password_hash = "$6$salt$hashedpassword"}};
  cluster.pools = {
      model::Pool{.name = "control-plane",
                  .role = model::PoolRole::kControlPlane,
                  .replicas = 3,
                  .flavor = ""},
      model::Pool{.name = "workers",
                  .role = model::PoolRole::kWorker,
                  .replicas = 2,
                  .flavor = "m1.xlarge"},
      model::Pool{.name = "gpu", .role = model::PoolRole::kWorker, .replicas = 1, .flavor = ""},
  };
  cluster.upgrade = model::UpgradePolicy{.max_unavailable = 2,
                                         .evict_pod_force = true,
                                         .drain_timeout_seconds = 600,
                                         .operator_image = "",
                                         .daemon_image = ""};
  cluster.ignition.files = {model::ExtraFile{
      .path = "/etc/motd", .mode = 0644, .source = "files/motd", .contents = "Managed by nkd\n"}};
  cluster.ignition.units = {model::ExtraUnit{
      .name = "node-exporter.service",
      .enabled = true,
      .source = "files/node-exporter.service",
      .contents = "[Unit]\nDescription=node exporter\n\n[Service]\nExecStart=/usr/bin/"
                  "node_exporter\n\n[Install]\nWantedBy=multi-user.target\n"}};
  return cluster;
}

// A bare-metal cluster with fixed addresses and isulad: one control-plane node, two workers.
inline model::Cluster bare_metal_cluster(const std::string& name = "lab") {
  model::Cluster cluster = openstack_cluster(name);
  cluster.kubernetes.control_plane_endpoint = "";
  cluster.kubernetes.container_runtime = model::ContainerRuntime::kIsulad;
  cluster.platform = model::BareMetalPlatform{
      .nodes = {
          {.name = "bm-0", .pool = "control-plane", .mac = "52:54:00:00:00:01", .ip = "10.0.0.11"},
          {.name = "bm-1", .pool = "workers", .mac = "52:54:00:00:00:02", .ip = "10.0.0.12"},
          {.name = "bm-2", .pool = "workers", .mac = "52:54:00:00:00:03", .ip = "10.0.0.13"},
      }};
  cluster.pools = {
      model::Pool{.name = "control-plane",
                  .role = model::PoolRole::kControlPlane,
                  .replicas = 1,
                  .flavor = ""},
      model::Pool{.name = "workers", .role = model::PoolRole::kWorker, .replicas = 2, .flavor = ""},
  };
  return cluster;
}

inline pki::ClusterPki placeholder_pki(const model::Cluster& /*cluster*/) {
  pki::ClusterPki pki;
  pki.ca = fake_pair("ca");
  pki.front_proxy_ca = fake_pair("front-proxy-ca");
  pki.etcd_ca = fake_pair("etcd-ca");
  pki.admin = fake_pair("admin");
  pki.service_account_public_pem = fake_pem("PUBLIC KEY", "sa-public");
  pki.service_account_key_pem = Secret(fake_pem("PRIVATE KEY", "sa-private"));
  pki.bootstrap_token_id = "abcdef";
  pki.bootstrap_token_secret = Secret("0123456789abcdef");
  pki.bootstrap_token_issued_unix = 1'700'000'000;
  pki.node_token_key = Secret("node-token-key-for-tests");
  pki.ca_cert_hash = "sha256:" + std::string(64, 'a');
  return pki;
}

// A cluster's model, placeholder PKI and render, kept together so that pointers into them (the
// planner's inputs) stay valid.
struct RenderedCluster {
  model::Cluster cluster;
  pki::ClusterPki pki;
  render::ClusterRender render;

  explicit RenderedCluster(model::Cluster model)
      : cluster(std::move(model)),
        pki(placeholder_pki(cluster)),
        render(render::render_cluster(cluster, pki, {})) {}
};

// Decodes the "data:;base64,..." URLs the renderer writes; throws on anything
// else so a test notices a format change instead of comparing garbage.
inline std::string decode_data_url(const std::string& url) {
  const std::string prefix = "data:;base64,";
  if (url.rfind(prefix, 0) != 0) throw std::runtime_error("not a base64 data URL: " + url);
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string decoded;
  unsigned buffer = 0;
  int bits = 0;
  for (std::size_t i = prefix.size(); i < url.size(); ++i) {
    if (url[i] == '=') break;
    const auto value = kAlphabet.find(url[i]);
    if (value == std::string::npos) throw std::runtime_error("bad base64 in data URL");
    buffer = (buffer << 6) | static_cast<unsigned>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      decoded += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return decoded;
}

struct IgnitionFile {
  int mode = 0;
  std::string contents;
};

// storage.files of an Ignition config, keyed by path, contents decoded.
inline std::map<std::string, IgnitionFile> ignition_files(const nlohmann::json& config) {
  std::map<std::string, IgnitionFile> files;
  if (!config.contains("storage")) return files;
  for (const auto& file : config["storage"]["files"]) {
    files[file["path"].get<std::string>()] =
        IgnitionFile{.mode = file["mode"].get<int>(),
                     .contents = decode_data_url(file["contents"]["source"].get<std::string>())};
  }
  return files;
}

// systemd.units of an Ignition config, keyed by unit name.
inline std::map<std::string, nlohmann::json> ignition_units(const nlohmann::json& config) {
  std::map<std::string, nlohmann::json> units;
  if (!config.contains("systemd")) return units;
  for (const auto& unit : config["systemd"]["units"]) units[unit["name"].get<std::string>()] = unit;
  return units;
}

}  // namespace nkd::testing
