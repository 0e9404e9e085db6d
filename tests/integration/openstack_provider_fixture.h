// The fixture the OpenStackProvider contract tests share (openstack_provider_test.cc,
// openstack_replace_test.cc): small 1+N clusters on the real test cloud (tests/openstack/), a
// render whose configs carry only what the provider looks at, and helpers that count what the
// cloud holds. Each test gets a cluster name of its own (pid and counter), and every server,
// port and floating IP of it is deleted in TearDown, also when the test fails.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "common/crypto.h"
#include "common/curl_http_client.h"
#include "metrics/metrics.h"
#include "providers/openstack/openstack_provider.h"
#include "state/sqlite_state_store.h"
#include "tests/support/openstack_control_plane.h"
#include "tests/support/test_support.h"

namespace nkd::providers::openstack {

inline model::Cluster make_cluster(const std::string& name, const std::string& cloud, int workers,
                                   const std::string& flavor = "m1.tiny") {
  return model::Cluster{
      .name = name,
      .platform = model::OpenStackPlatform{.cloud = cloud, .image = "cirros", .flavor = flavor,
                                           .network = "private"},
      .pools = {{.name = "cp", .role = model::PoolRole::kControlPlane, .replicas = 1},
                {.name = "w", .role = model::PoolRole::kWorker, .replicas = workers}}};
}

// What a test render varies: `boot_file` stands for first-boot content (a file in the config),
// `version` for the versions housekeeper upgrades in place. With `with_boot_digest`, each node
// gets a boot digest over its config without the version, as render_cluster gives OpenStack
// clusters; without, the render looks like one made before boot digests existed.
struct RenderVariant {
  std::string boot_file = "motd-1";
  std::string version = "v1.29.1";
  bool with_boot_digest = false;
};

// A render with a small config per node (the provider needs only names, configs and digests).
inline render::ClusterRender make_render(const model::Cluster& cluster,
                                         const RenderVariant& variant = {}) {
  render::ClusterRender render{.cluster = cluster.name};
  for (const model::Node& node : model::expand_nodes(cluster)) {
    auto config_with = [&](const std::string& version) {
      return R"({"ignition":{"version":"3.3.0"},"node":")" + node.name + R"(","file":")" +
             variant.boot_file + R"(","version":")" + version + "\"}";
    };
    const std::string config = config_with(variant.version);
    render.nodes.push_back(render::NodeRender{
        .node = node, .ignition = config, .ignition_sha256 = sha256_hex(config)});
    if (variant.with_boot_digest) {
      render.nodes.back().boot_digest = render::LazyString::of(sha256_hex(config_with("pinned")));
    }
  }
  return render;
}

inline std::vector<std::string> names_of(const std::vector<ObservedNode>& nodes) {
  std::vector<std::string> names;
  for (const auto& node : nodes) names.push_back(node.name);
  std::sort(names.begin(), names.end());
  return names;
}

// Node name -> server ID.
inline std::map<std::string, std::string> ids_of(const std::vector<ObservedNode>& nodes) {
  std::map<std::string, std::string> ids;
  for (const auto& node : nodes) ids[node.name] = node.provider_id;
  return ids;
}

class OpenStackProviderContract : public ::testing::Test {
 protected:
  void SetUp() override {
    NKD_REQUIRE_OPENSTACK_CLOUD();
    cluster_ = "nkdt" + std::to_string(getpid() % 100000) + "-" + std::to_string(++counter_);
    state_ = state::SqliteStateStore::open(scratch_.str() + "/state.db").value();
    clouds_ = load_clouds_file(testing::OpenStackControlPlane::clouds_yaml()).value();
  }
  void TearDown() override {
    if (cluster_.empty()) return;
    // Servers first: Nova leaves the ports nkd made for them, which go next.
    testing::OpenStackControlPlane::delete_servers(testing::OpenStackControlPlane::kDemoCloud,
                                                   cluster_ + "-");
    testing::OpenStackControlPlane::delete_network_leftovers(
        testing::OpenStackControlPlane::kDemoCloud, cluster_ + "-");
    if (used_quota_cloud_) {
      testing::OpenStackControlPlane::delete_servers(testing::OpenStackControlPlane::kQuotaCloud,
                                                     cluster_ + "-");
      testing::OpenStackControlPlane::delete_network_leftovers(
          testing::OpenStackControlPlane::kQuotaCloud, cluster_ + "-");
    }
  }
  std::unique_ptr<OpenStackProvider> provider(OpenStackProviderOptions options = {}) {
    options.recreate_backoff = std::chrono::milliseconds(200);
    return std::make_unique<OpenStackProvider>(clouds_, http_, clock_, *state_, &metrics_, options);
  }
  // The value of nkd_provider_requests_total for `operation` with `code`.
  int requests(const std::string& operation, const std::string& code) {
    const std::string text = metrics_.serialize();
    std::smatch found;
    const std::regex line("nkd_provider_requests_total\\{code=\"" + code + "\",operation=\"" +
                          operation + "\",provider=\"openstack\"\\} ([0-9]+)");
    return std::regex_search(text, found, line) ? std::stoi(found[1]) : 0;
  }
  // Servers and ports nkd made (server_create 202, port_create 201).
  int creates(const std::string& code = "202") { return requests("server_create", code); }
  int port_creates() { return requests("port_create", "201"); }
  // Counted by the openstack command-line client, independent of nkd's own client.
  std::size_t servers_in(const std::string& cloud = testing::OpenStackControlPlane::kDemoCloud) {
    return testing::OpenStackControlPlane::server_ids(cloud, cluster_ + "-").size();
  }
  // Node name -> the ports of that name, counted directly against Neutron's API.
  std::map<std::string, std::vector<nlohmann::json>> ports_by_name() {
    std::map<std::string, std::vector<nlohmann::json>> ports;
    for (nlohmann::json& port : testing::OpenStackControlPlane::ports(
             testing::OpenStackControlPlane::kDemoCloud, cluster_ + "-")) {
      ports[port.value("name", "")].push_back(std::move(port));
    }
    return ports;
  }

  static inline int counter_ = 0;
  std::string cluster_;
  bool used_quota_cloud_ = false;
  testing::ScratchDir scratch_;
  std::unique_ptr<state::SqliteStateStore> state_;
  Clouds clouds_;
  CurlHttpClient http_{testing::loopback_only()};
  SystemClock clock_;
  metrics::Metrics metrics_{"test"};
};

}  // namespace nkd::providers::openstack
