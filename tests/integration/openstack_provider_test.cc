// Contract tests of OpenStackProvider against the real test cloud (tests/openstack/): a 1+2
// cluster converges to exactly 3 servers, a second apply creates nothing, scaling to 1+1 deletes
// the highest index, a provider that never applied a cluster (a restart) still removes it,
// scale-down drains highest index first and a failing drain stops the delete, a recorded intent
// finds the server a crashed run made, ERROR servers are recreated a bounded number of times, a
// quota failure names the quota, and the first control-plane server gets a floating IP that goes
// with it. Replacement is in openstack_replace_test.cc.
#include <gtest/gtest.h>

#include <set>

#include "providers/openstack/compute.h"
#include "providers/openstack/image.h"
#include "tests/integration/openstack_provider_fixture.h"

namespace nkd::providers::openstack {
namespace {

using testing::OpenStackControlPlane;

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

TEST_F(OpenStackProviderContract, RemoveAfterARestartFindsTheClusterInEveryCloud) {
  model::Cluster cluster = make_cluster(cluster_, OpenStackControlPlane::kDemoCloud, 1);
  ASSERT_TRUE(provider()->apply(cluster, make_render(cluster), {}).ok());
  ASSERT_EQ(servers_in(), 2u);
  // A new provider, as after a daemon restart: it has never applied the cluster, so it does not
  // know its cloud, and clouds.yaml has several.
  Status removed = provider()->remove(cluster_);
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_EQ(servers_in(), 0u);
  EXPECT_TRUE(provider()->remove("nkdt-never-made").ok()) << "nothing anywhere is nothing to do";
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

TEST_F(OpenStackProviderContract, ImageOfAnotherArchitectureIsRefusedBeforeAnythingIsMade) {
  const std::string image = cluster_ + "-arm-image";
  OpenStackControlPlane::openstack(OpenStackControlPlane::kDemoCloud,
                                   {"image", "create", "--private", "--property",
                                    "architecture=aarch64", image});
  model::Cluster cluster = make_cluster(cluster_, OpenStackControlPlane::kDemoCloud, 1);
  std::get<model::OpenStackPlatform>(cluster.platform).image = image;
  Result<ApplyOutcome> applied = provider()->apply(cluster, make_render(cluster), {});
  OpenStackControlPlane::openstack(OpenStackControlPlane::kDemoCloud, {"image", "delete", image});
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.error().code, ErrorCode::kInvalidArgument) << applied.error().message;
  EXPECT_NE(applied.error().message.find("built for aarch64"), std::string::npos)
      << applied.error().message;
  EXPECT_NE(applied.error().message.find("runs amd64"), std::string::npos);
  EXPECT_EQ(creates(), 0);
  EXPECT_EQ(servers_in(), 0u);
}

TEST_F(OpenStackProviderContract, QuotaFailureNamesTheQuota) {
  used_quota_cloud_ = true;
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

TEST_F(OpenStackProviderContract, ScaleDownDrainsHighestIndexFirstAndAFailingDrainStopsTheDelete) {
  auto openstack = provider();
  model::Cluster cluster = make_cluster(cluster_, OpenStackControlPlane::kDemoCloud, 2);
  ASSERT_TRUE(openstack->apply(cluster, make_render(cluster), {}).ok());
  const std::vector<std::string> all{cluster_ + "-cp-0", cluster_ + "-w-0", cluster_ + "-w-1"};
  model::Cluster smaller = make_cluster(cluster_, OpenStackControlPlane::kDemoCloud, 0);

  std::vector<std::string> drained;
  ApplyHooks refusing{.before_delete = [&](const std::string& node) -> Status {
    drained.push_back(node);
    return Error{ErrorCode::kUnavailable, "pods would not leave " + node};
  }};
  Result<ApplyOutcome> refused = openstack->apply(smaller, make_render(smaller), refusing);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(refused.error().message.find("draining " + cluster_ + "-w-1: pods would not leave"),
            std::string::npos)
      << refused.error().message;
  EXPECT_EQ(drained, std::vector<std::string>{cluster_ + "-w-1"}) << "highest index first, then stop";
  EXPECT_EQ(names_of(openstack->observe(cluster_).value()), all) << "a failed drain deletes nothing";

  drained.clear();
  std::vector<std::string> present_at_drain;
  ApplyHooks recording{.before_delete = [&](const std::string& node) {
    drained.push_back(node);
    for (const std::string& name : names_of(openstack->observe(cluster_).value())) {
      if (name == node) present_at_drain.push_back(node);
    }
    return ok_status();
  }};
  Result<ApplyOutcome> scaled = openstack->apply(smaller, make_render(smaller), recording);
  ASSERT_TRUE(scaled.ok()) << scaled.error().message;
  EXPECT_TRUE(scaled->complete) << scaled->message;
  EXPECT_EQ(drained, (std::vector<std::string>{cluster_ + "-w-1", cluster_ + "-w-0"}));
  EXPECT_EQ(present_at_drain, drained) << "each drain comes before its server's delete";
  EXPECT_EQ(servers_in(), 1u);
}

// The floating IPs in the demo project that nkd made for this test's cluster, as the openstack
// client lists them (Description "made by nkd for <server>").
std::vector<nlohmann::json> floating_ips_of(const std::string& cluster) {
  const std::string text = OpenStackControlPlane::openstack(
      OpenStackControlPlane::kDemoCloud, {"floating", "ip", "list", "--long", "-f", "json"});
  std::vector<nlohmann::json> mine;
  const nlohmann::json listed = nlohmann::json::parse(text, nullptr, false);
  if (!listed.is_array()) {
    ADD_FAILURE() << "openstack floating ip list gave no JSON: " << text;
    return mine;
  }
  for (const nlohmann::json& address : listed) {
    const std::string description = address.value("Description", "");
    if (description.find(" for " + cluster + "-") != std::string::npos) mine.push_back(address);
  }
  return mine;
}

TEST_F(OpenStackProviderContract, FirstControlPlaneServerGetsAFloatingIpThatGoesWithIt) {
  auto openstack = provider();
  model::Cluster cluster = make_cluster(cluster_, OpenStackControlPlane::kDemoCloud, 1);
  std::get<model::OpenStackPlatform>(cluster.platform).external_network = "public";
  ASSERT_TRUE(openstack->apply(cluster, make_render(cluster), {}).ok());
  Result<ApplyOutcome> again = openstack->apply(cluster, make_render(cluster), {});
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->complete) << again->message;

  const std::vector<nlohmann::json> addresses = floating_ips_of(cluster_);
  ASSERT_EQ(addresses.size(), 1u) << "one floating IP, on the first control-plane server only, "
                                     "and a second apply makes no other";
  EXPECT_EQ(addresses[0].value("Description", ""), "made by nkd for " + cluster_ + "-cp-0");
  EXPECT_TRUE(addresses[0]["Port"].is_string()) << "the floating IP is bound to the server's port";
  EXPECT_TRUE(addresses[0]["Fixed IP Address"].is_string());

  ASSERT_TRUE(openstack->remove(cluster_).ok());
  EXPECT_TRUE(floating_ips_of(cluster_).empty()) << "the floating IP goes with its server";
}

}  // namespace
}  // namespace nkd::providers::openstack
