#include "providers/baremetal/baremetal_provider.h"

#include <gtest/gtest.h>

#include <map>

#include "tests/support/state_testing.h"

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
  ASSERT_TRUE(provider.apply(cluster(), render_of("v1"), {}).ok());
  EXPECT_EQ(provider.fetch("lab", "lab-cp-9", "token-lab-cp-9").status, BareMetalProvider::FetchStatus::kUnknownNode);
  EXPECT_EQ(provider.fetch("lab", "lab-cp-0", "token-lab-worker-0").status, BareMetalProvider::FetchStatus::kBadToken);
  EXPECT_TRUE(fetched.empty());
  const auto served = provider.fetch("lab", "lab-cp-0", "token-lab-cp-0");
  ASSERT_EQ(served.status, BareMetalProvider::FetchStatus::kServed);
  EXPECT_EQ(served.config, "{\"config\":\"lab-cp-0v1\"}");
  EXPECT_EQ(fetched, std::vector<std::string>{"lab-cp-0"});
  const auto nodes = provider.observe("lab").value();
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].state, nkd::state::NodeState::kProvisioned);
  EXPECT_EQ(nodes[1].state, nkd::state::NodeState::kPending);
}

TEST(BareMetalProvider, PointerTargetsOfAnotherProviderAreServedWithoutReportingFetches) {
  std::vector<std::string> fetched;
  BareMetalProvider provider(
      [&](const std::string&, const ObservedNode& node) { fetched.push_back(node.name); });
  model::Cluster on_openstack = cluster();
  on_openstack.platform = model::OpenStackPlatform{};
  ASSERT_TRUE(provider.publish_for_pointers(on_openstack, render_of("v1")).ok());
  EXPECT_EQ(provider.fetch("lab", "lab-cp-0", "token-lab-worker-0").status,
            BareMetalProvider::FetchStatus::kBadToken);
  const auto served = provider.fetch("lab", "lab-cp-0", "token-lab-cp-0");
  ASSERT_EQ(served.status, BareMetalProvider::FetchStatus::kServed);
  EXPECT_EQ(served.config, "{\"config\":\"lab-cp-0v1\"}");
  EXPECT_TRUE(fetched.empty()) << "the node's record is OpenStack's, not the bare-metal listener's";
}

// Tokens as a test sets them, per node; an error for a node it was told to fail.
class FakeTokenSource final : public FetchTokenSource {
 public:
  Result<std::vector<Secret>> accepted(const std::string&, const std::string& node) override {
    if (node == failing) return Error{ErrorCode::kUnavailable, "state store unreachable"};
    return tokens[node];
  }
  std::map<std::string, std::vector<Secret>> tokens;
  std::string failing;
};

TEST(BareMetalProvider, TokenSourceDecidesWhichTokensOpenAConfig) {
  FakeTokenSource source;
  InMemoryConfigStore configs;
  BareMetalProvider provider(configs, {}, &source);
  ASSERT_TRUE(provider.apply(cluster(), render_of("v1"), {}).ok());
  source.tokens["lab-cp-0"] = {Secret("rotated"), Secret("previous")};
  EXPECT_EQ(provider.fetch("lab", "lab-cp-0", "token-lab-cp-0").status,
            BareMetalProvider::FetchStatus::kBadToken)
      << "the render's token no longer opens it once the source says otherwise";
  EXPECT_EQ(provider.fetch("lab", "lab-cp-0", "rotated").status,
            BareMetalProvider::FetchStatus::kServed);
  EXPECT_EQ(provider.fetch("lab", "lab-cp-0", "previous").status,
            BareMetalProvider::FetchStatus::kServed);
  EXPECT_EQ(provider.fetch("lab", "lab-worker-0", "token-lab-worker-0").status,
            BareMetalProvider::FetchStatus::kBadToken)
      << "no accepted token: refused";
  source.tokens["lab-worker-0"] = {Secret("token-lab-worker-0")};
  source.failing = "lab-worker-0";
  EXPECT_EQ(provider.fetch("lab", "lab-worker-0", "token-lab-worker-0").status,
            BareMetalProvider::FetchStatus::kBadToken)
      << "tokens that cannot be read open nothing";
}

TEST(BareMetalProvider, NewRenderMarksFetchedNodesOutdatedAndRestoreSurvivesRestart) {
  BareMetalProvider provider;
  ASSERT_TRUE(provider.apply(cluster(), render_of("v1"), {}).ok());
  ASSERT_EQ(provider.fetch("lab", "lab-cp-0", "token-lab-cp-0").status, BareMetalProvider::FetchStatus::kServed);
  const auto outcome = provider.apply(cluster(), render_of("v2"), {}).value();
  EXPECT_EQ(outcome.nodes[0].state, nkd::state::NodeState::kOutdated);

  BareMetalProvider restarted;
  restarted.restore_fetched("lab", "lab-cp-0", "v1lab-cp-0");
  const auto after = restarted.apply(cluster(), render_of("v1"), {}).value();
  EXPECT_EQ(after.nodes[0].state, nkd::state::NodeState::kProvisioned);
  EXPECT_EQ(after.nodes[1].state, nkd::state::NodeState::kPending);
}

TEST(BareMetalProvider, FirstBootChangeOfAFetchedNodeIsPublishedButNamedAsRefused) {
  BareMetalProvider provider;
  ASSERT_TRUE(provider.apply(cluster(), render_of("v1"), {}).ok());
  ASSERT_EQ(provider.fetch("lab", "lab-cp-0", "token-lab-cp-0").status, BareMetalProvider::FetchStatus::kServed);
  // These renders carry no boot digests, so the full digests decide: lab-cp-0 booted v1.
  const auto outcome = provider.apply(cluster(), render_of("v2"), {}).value();
  EXPECT_NE(outcome.message.find("first-boot config changed for lab-cp-0:"), std::string::npos)
      << outcome.message;
  EXPECT_EQ(outcome.message.find("lab-worker-0:"), std::string::npos) << "never fetched: nothing to refuse";
  EXPECT_EQ(provider.fetch("lab", "lab-cp-0", "token-lab-cp-0").config, "{\"config\":\"lab-cp-0v2\"}")
      << "published all the same, for the next install";
  ASSERT_EQ(outcome.decisions.size(), 2u);
  EXPECT_EQ(outcome.decisions[0].action, plan::NodeAction::kRefuse);
  EXPECT_EQ(outcome.decisions[1].action, plan::NodeAction::kKeep);
}

// Counts what reaches the store, to show that only changed configs are written.
class CountingStore final : public ConfigStore {
 public:
  Status save(const std::string& cluster, const std::vector<ServedConfig>& changed,
              const std::vector<std::string>& nodes) override {
    written += changed.size();
    return inner.save(cluster, changed, nodes);
  }
  Result<std::optional<ServedConfig>> load(const std::string& cluster, const std::string& node) override {
    return inner.load(cluster, node);
  }
  Status remove(const std::string& cluster) override { return inner.remove(cluster); }
  InMemoryConfigStore inner;
  std::size_t written = 0;
};

TEST(BareMetalProvider, WritesOnlyChangedConfigsAndServesFromTheStore) {
  CountingStore store;
  BareMetalProvider provider(store, {});
  ASSERT_TRUE(provider.apply(cluster(), render_of("v1"), {}).ok());
  EXPECT_EQ(store.written, 2u);
  ASSERT_TRUE(provider.apply(cluster(), render_of("v1"), {}).ok());
  EXPECT_EQ(store.written, 2u) << "an unchanged render writes nothing";
  auto changed = render_of("v1");
  changed.nodes[1].ignition = "{\"config\":\"new\"}";
  changed.nodes[1].ignition_sha256 = "v2lab-worker-0";
  changed.nodes.erase(changed.nodes.begin());  // lab-cp-0 leaves the cluster
  ASSERT_TRUE(provider.apply(cluster(), changed, {}).ok());
  EXPECT_EQ(store.written, 3u);
  EXPECT_FALSE(store.inner.load("lab", "lab-cp-0").value().has_value()) << "a removed node's config goes";
  const auto served = provider.fetch("lab", "lab-worker-0", "token-lab-worker-0");
  ASSERT_EQ(served.status, BareMetalProvider::FetchStatus::kServed);
  EXPECT_EQ(served.config, "{\"config\":\"new\"}");
  EXPECT_EQ(served.digest, "v2lab-worker-0");
  ASSERT_TRUE(provider.remove("lab").ok());
  EXPECT_FALSE(store.inner.load("lab", "lab-worker-0").value().has_value());
}

// A render whose two machines have their own MACs, for a cluster with a boot section.
render::ClusterRender render_with_macs() {
  render::ClusterRender render = render_of("v1");
  render.nodes[0].node.mac = "52:54:00:00:00:01";
  render.nodes[1].node.mac = "52:54:00:ab:cd:02";
  return render;
}

model::Cluster cluster_that_boots() {
  model::Cluster value = cluster();
  value.platform = model::BareMetalPlatform{
      .boot = model::BareMetalBoot{.kernel_url = "http://mirror/kernel",
                                   .initrd_url = "http://mirror/initrd",
                                   .rootfs_url = "http://mirror/rootfs"}};
  return value;
}

TEST(BareMetalProvider, BootPathNamesANodeOrAMac) {
  BareMetalProvider provider;
  ASSERT_TRUE(provider.apply(cluster_that_boots(), render_with_macs(), {}).ok());
  EXPECT_EQ(provider.boot_target_of_path("52-54-00-ab-cd-02")->node, "lab-worker-0");
  EXPECT_EQ(provider.boot_target_of_path("lab/lab-cp-0")->node, "lab-cp-0");
  for (const char* path : {"", "/", "lab/", "/lab-cp-0", "lab/lab-cp-0/", "lab//lab-cp-0",
                           "52:54:00:ab:cd:02/", "other/lab-cp-0"}) {
    EXPECT_FALSE(provider.boot_target_of_path(path)) << path;
  }
}

TEST(BareMetalProvider, FetchTokenIsTheBearerTokenElseTheQueryParameter) {
  EXPECT_EQ(ignition_fetch_token("Bearer abc", std::string("query")), "abc");
  EXPECT_EQ(ignition_fetch_token("Bearer ", std::nullopt), "");
  EXPECT_EQ(ignition_fetch_token("Basic dXNlcg==", std::string("query")), "query");
  EXPECT_EQ(ignition_fetch_token("bearer abc", std::nullopt), "");
  EXPECT_EQ(ignition_fetch_token("", std::string("")), "");
  EXPECT_EQ(ignition_fetch_token("", std::nullopt), "");
}

TEST(BareMetalProvider, FindsTheBootTargetByMacInAnyCaseOrByName) {
  BareMetalProvider provider;
  ASSERT_TRUE(provider.apply(cluster_that_boots(), render_with_macs(), {}).ok());
  for (const char* spelling : {"52:54:00:ab:cd:02", "52-54-00-ab-cd-02", "52:54:00:AB:CD:02"}) {
    const auto target = provider.boot_target_by_mac(spelling);
    ASSERT_TRUE(target) << spelling;
    EXPECT_EQ(target->cluster, "lab");
    EXPECT_EQ(target->node, "lab-worker-0");
    EXPECT_EQ(target->boot.kernel_url, "http://mirror/kernel");
  }
  EXPECT_FALSE(provider.boot_target_by_mac("52:54:00:00:00:09"));
  EXPECT_FALSE(provider.boot_target_by_mac("not-a-mac"));
  EXPECT_TRUE(provider.boot_target("lab", "lab-cp-0"));
  EXPECT_FALSE(provider.boot_target("lab", "lab-cp-9"));
  EXPECT_FALSE(provider.boot_target("other", "lab-cp-0"));
  EXPECT_EQ(provider.current_token("lab", "lab-cp-0").value().reveal(), "token-lab-cp-0");

  // Without a boot section nkd serves no script; a removed cluster's MACs are forgotten.
  ASSERT_TRUE(provider.apply(cluster(), render_with_macs(), {}).ok());
  EXPECT_FALSE(provider.boot_target_by_mac("52:54:00:ab:cd:02"));
  ASSERT_TRUE(provider.apply(cluster_that_boots(), render_with_macs(), {}).ok());
  ASSERT_TRUE(provider.remove("lab").ok());
  EXPECT_FALSE(provider.boot_target_by_mac("52:54:00:ab:cd:02"));
  EXPECT_FALSE(provider.current_token("lab", "lab-cp-0"));
}

TEST(BareMetalProvider, BootScriptsCarryTheTokenSourcesCurrentToken) {
  FakeTokenSource source;
  source.tokens["lab-cp-0"] = {Secret("rotated"), Secret("previous")};
  InMemoryConfigStore configs;
  BareMetalProvider provider(configs, {}, &source);
  ASSERT_TRUE(provider.apply(cluster_that_boots(), render_with_macs(), {}).ok());
  EXPECT_EQ(provider.current_token("lab", "lab-cp-0").value().reveal(), "rotated");
  source.failing = "lab-cp-0";
  EXPECT_FALSE(provider.current_token("lab", "lab-cp-0"));
}

}  // namespace
}  // namespace nkd::providers
