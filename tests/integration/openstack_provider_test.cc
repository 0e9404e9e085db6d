// Contract tests of OpenStackProvider against the real test cloud (tests/openstack/): a 1+2
// cluster converges to exactly 3 servers, a second apply creates nothing, scaling to 1+1 deletes
// the highest index, a recorded intent finds the server a crashed run made, ERROR servers are
// recreated a bounded number of times, and a quota failure names the quota.
#include <gtest/gtest.h>

#include <unistd.h>

#include <regex>

#include "common/crypto.h"
#include "common/curl_http_client.h"
#include "metrics/metrics.h"
#include "providers/openstack/compute.h"
#include "providers/openstack/image.h"
#include "providers/openstack/openstack_provider.h"
#include "syncd/state/sqlite_state_store.h"
#include "tests/support/openstack_control_plane.h"
#include "tests/support/test_support.h"

namespace nkd::providers::openstack {
namespace {

using std::chrono::milliseconds;
using testing::OpenStackControlPlane;

model::Cluster make_cluster(const std::string& name, const std::string& cloud, int workers,
                            const std::string& flavor = "m1.tiny") {
  return model::Cluster{
      .name = name,
      .platform = model::OpenStackPlatform{.cloud = cloud, .image = "cirros", .flavor = flavor,
                                           .network = "private"},
      .pools = {{.name = "cp", .role = model::PoolRole::kControlPlane, .replicas = 1},
                {.name = "w", .role = model::PoolRole::kWorker, .replicas = workers}}};
}

// A render with a small config per node (the provider needs only names, configs and digests).
render::ClusterRender make_render(const model::Cluster& cluster) {
  render::ClusterRender render{.cluster = cluster.name};
  for (const model::Node& node : model::expand_nodes(cluster)) {
    const std::string config = R"({"ignition":{"version":"3.3.0"},"node":")" + node.name + "\"}";
    render.nodes.push_back(render::NodeRender{.node = node, .ignition = config,
                                              .ignition_sha256 = sha256_hex(config)});
  }
  return render;
}

std::vector<std::string> names_of(const std::vector<ObservedNode>& nodes) {
  std::vector<std::string> names;
  for (const auto& node : nodes) names.push_back(node.name);
  std::sort(names.begin(), names.end());
  return names;
}

class OpenStackProviderContract : public ::testing::Test {
 protected:
  void SetUp() override {
    NKD_REQUIRE_OPENSTACK_CLOUD();
    cluster_ = "nkdt" + std::to_string(getpid() % 100000) + "-" +
               std::to_string(++counter_);
    state_ = state::SqliteStateStore::open(scratch_.str() + "/state.db").value();
    clouds_ = load_clouds_file(OpenStackControlPlane::clouds_yaml()).value();
  }
  void TearDown() override {
    if (cluster_.empty()) return;
    OpenStackControlPlane::delete_servers(OpenStackControlPlane::kDemoCloud, cluster_ + "-");
    OpenStackControlPlane::delete_servers(OpenStackControlPlane::kQuotaCloud, cluster_ + "-");
  }
  std::unique_ptr<OpenStackProvider> provider(OpenStackProviderOptions options = {}) {
    options.recreate_backoff = milliseconds(200);
    return std::make_unique<OpenStackProvider>(clouds_, http_, clock_, *state_, &metrics_, options);
  }
  // The value of nkd_provider_requests_total for server_create with `code`.
  int creates(const std::string& code = "202") {
    const std::string text = metrics_.serialize();
    std::smatch found;
    const std::regex line("nkd_provider_requests_total\\{code=\"" + code +
                          "\",operation=\"server_create\",provider=\"openstack\"\\} ([0-9]+)");
    return std::regex_search(text, found, line) ? std::stoi(found[1]) : 0;
  }
  std::size_t servers_in(const std::string& cloud = OpenStackControlPlane::kDemoCloud) {
    return OpenStackControlPlane::server_ids(cloud, cluster_ + "-").size();
  }

  static inline int counter_ = 0;
  std::string cluster_;
  testing::ScratchDir scratch_;
  std::unique_ptr<state::SqliteStateStore> state_;
  Clouds clouds_;
  CurlHttpClient http_{*CidrAllowList::parse("127.0.0.0/8,::1/128")};
  SystemClock clock_;
  metrics::Metrics metrics_{"test"};
};

TEST_F(OpenStackProviderContract, ConvergesToExactlyThreeServersReappliesNothingAndScalesDown) {
  auto openstack = provider();
  model::Cluster cluster = make_cluster(cluster_, OpenStackControlPlane::kDemoCloud, 2);
  Result<ApplyOutcome> first = openstack->apply(cluster, make_render(cluster), {});
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->complete) << first->message;
  EXPECT_EQ(names_of(first->nodes), (std::vector<std::string>{cluster_ + "-cp-0", cluster_ + "-w-0",
                                                              cluster_ + "-w-1"}));
  EXPECT_EQ(servers_in(), 3u);
  EXPECT_EQ(creates(), 3);
  EXPECT_TRUE(state_->pending_intents(cluster_).value().empty());

  Result<ApplyOutcome> again = openstack->apply(cluster, make_render(cluster), {});
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->complete);
  EXPECT_EQ(creates(), 3) << "a second apply of the same render must create nothing";
  EXPECT_EQ(servers_in(), 3u);

  model::Cluster smaller = make_cluster(cluster_, OpenStackControlPlane::kDemoCloud, 1);
  Result<ApplyOutcome> scaled = openstack->apply(smaller, make_render(smaller), {});
  ASSERT_TRUE(scaled.ok()) << scaled.error().message;
  EXPECT_EQ(names_of(scaled->nodes), (std::vector<std::string>{cluster_ + "-cp-0", cluster_ + "-w-0"}));
  EXPECT_EQ(names_of(openstack->observe(cluster_).value()),
            (std::vector<std::string>{cluster_ + "-cp-0", cluster_ + "-w-0"}));
  EXPECT_EQ(servers_in(), 2u);

  ASSERT_TRUE(openstack->remove(cluster_).ok());
  EXPECT_EQ(servers_in(), 0u);
}

TEST_F(OpenStackProviderContract, PendingIntentFindsTheServerACrashedRunMade) {
  auto openstack = provider();
  model::Cluster cluster = make_cluster(cluster_, OpenStackControlPlane::kDemoCloud, 1);
  render::ClusterRender render = make_render(cluster);
  // A crashed run: intent recorded, create request sent, nothing recorded after it.
  const render::NodeRender& worker = render.nodes.back();
  ASSERT_TRUE(state_->add_intent(state::Intent{.cluster = cluster_, .kind = "create-server",
                                               .target = worker.node.name}).ok());
  Keystone keystone(find_cloud(clouds_, OpenStackControlPlane::kDemoCloud).value(), http_, clock_,
                    nullptr);
  ComputeService compute(keystone);
  ASSERT_TRUE(compute.create_server(ServerSpec{
      .name = worker.node.name, .flavor_id = "1",
      .image_id = ImageService(keystone).resolve_image("cirros").value(),
      .metadata = {{"nkd.cluster", cluster_}, {"nkd.node", worker.node.name},
                   {"nkd.digest", worker.ignition_sha256}}}).ok());

  Result<ApplyOutcome> applied = openstack->apply(cluster, render, {});
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_TRUE(applied->complete) << applied->message;
  EXPECT_EQ(creates(), 1) << "only the control-plane node was missing";
  EXPECT_EQ(servers_in(), 2u);
  EXPECT_TRUE(state_->pending_intents(cluster_).value().empty());
}

TEST_F(OpenStackProviderContract, ErrorServersAreRecreatedABoundedNumberOfTimesThenFail) {
  OpenStackProviderOptions options;
  options.max_error_recreates = 1;
  auto openstack = provider(options);
  model::Cluster cluster = make_cluster(cluster_, OpenStackControlPlane::kDemoCloud, 0, "m1.huge");
  Result<ApplyOutcome> applied = openstack->apply(cluster, make_render(cluster), {});
  ASSERT_FALSE(applied.ok());
  EXPECT_NE(applied.error().message.find("ended in ERROR 2 times"), std::string::npos)
      << applied.error().message;
  EXPECT_NE(applied.error().message.find("No valid host"), std::string::npos);
  EXPECT_EQ(creates(), 2);
  EXPECT_EQ(servers_in(), 0u) << "servers in ERROR are deleted";
  EXPECT_EQ(state_->pending_intents(cluster_).value().size(), 1u) << "the intent stays until done";
}

TEST_F(OpenStackProviderContract, QuotaFailureNamesTheQuota) {
  auto openstack = provider();
  model::Cluster cluster = make_cluster(cluster_, OpenStackControlPlane::kQuotaCloud,
                                        OpenStackControlPlane::kQuotaInstances);
  Result<ApplyOutcome> applied = openstack->apply(cluster, make_render(cluster), {});
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.error().code, ErrorCode::kQuotaExceeded) << applied.error().message;
  EXPECT_NE(applied.error().message.find("quota exceeded for instances"), std::string::npos)
      << applied.error().message;
  EXPECT_LE(servers_in(OpenStackControlPlane::kQuotaCloud),
            static_cast<std::size_t>(OpenStackControlPlane::kQuotaInstances));
}

}  // namespace
}  // namespace nkd::providers::openstack
