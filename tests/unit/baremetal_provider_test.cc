#include "providers/baremetal/baremetal_provider.h"

#include <gtest/gtest.h>

namespace nkd::providers {
namespace {

render::ClusterRender render_of(const std::string& digest) {
  render::ClusterRender render;
  render.cluster = "lab";
  for (const char* name : {"lab-cp-0", "lab-worker-0"}) {
    render::NodeRender node;
    node.node.name = name;
    node.node.pool = "pool";
    node.node.mac = "52:54:00:00:00:01";
    node.ignition = std::string("{\"config\":\"") + name + digest + "\"}";
    node.ignition_sha256 = digest + name;
    node.fetch_token = Secret(std::string("token-") + name);
    render.nodes.push_back(node);
  }
  return render;
}

model::Cluster cluster() {
  model::Cluster value;
  value.name = "lab";
  value.platform = model::BareMetalPlatform{};
  return value;
}

TEST(BareMetalProvider, ServesOnlyWithTheRightTokenAndTracksFetches) {
  std::vector<std::string> fetched;
  BareMetalProvider provider([&](const std::string&, const ObservedNode& node) { fetched.push_back(node.name); });
  ASSERT_TRUE(provider.apply(cluster(), render_of("v1")).ok());
  EXPECT_EQ(provider.fetch("lab", "lab-cp-9", "token-lab-cp-9").status, BareMetalProvider::FetchStatus::kUnknownNode);
  EXPECT_EQ(provider.fetch("lab", "lab-cp-0", "token-lab-worker-0").status, BareMetalProvider::FetchStatus::kBadToken);
  EXPECT_TRUE(fetched.empty());
  const auto served = provider.fetch("lab", "lab-cp-0", "token-lab-cp-0");
  ASSERT_EQ(served.status, BareMetalProvider::FetchStatus::kServed);
  EXPECT_EQ(served.config, "{\"config\":\"lab-cp-0v1\"}");
  EXPECT_EQ(fetched, std::vector<std::string>{"lab-cp-0"});
  const auto nodes = provider.observe("lab").value();
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].state, "Provisioned");
  EXPECT_EQ(nodes[1].state, "Pending");
}

TEST(BareMetalProvider, NewRenderMarksFetchedNodesOutdatedAndRestoreSurvivesRestart) {
  BareMetalProvider provider;
  ASSERT_TRUE(provider.apply(cluster(), render_of("v1")).ok());
  ASSERT_EQ(provider.fetch("lab", "lab-cp-0", "token-lab-cp-0").status, BareMetalProvider::FetchStatus::kServed);
  const auto outcome = provider.apply(cluster(), render_of("v2")).value();
  EXPECT_EQ(outcome.nodes[0].state, "Outdated");

  BareMetalProvider restarted;
  restarted.restore_fetched("lab", "lab-cp-0", "v1lab-cp-0");
  const auto after = restarted.apply(cluster(), render_of("v1")).value();
  EXPECT_EQ(after.nodes[0].state, "Provisioned");
  EXPECT_EQ(after.nodes[1].state, "Pending");
}

}  // namespace
}  // namespace nkd::providers
