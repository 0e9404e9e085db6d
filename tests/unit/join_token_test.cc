// decide_join_token: when a cluster's bootstrap token is renewed, kept or a join refused.
#include "reconcile/join_token.h"

#include <gtest/gtest.h>

#include "common/crypto.h"
#include "providers/kube/bootstrap_token.h"
#include "render/render.h"
#include "tests/support/render_fixtures.h"

#include <yaml-cpp/yaml.h>

namespace nkd::reconcile {
namespace {

constexpr std::int64_t kIssued = 1'700'000'000;
constexpr std::int64_t kDay = 24 * 60 * 60;

class JoinTokenTest : public ::testing::Test {
 protected:
  JoinTokenTest()
      : cluster_(testing::bare_metal_cluster()), pki_(testing::placeholder_pki(cluster_)) {
    pki_.bootstrap_token_issued_unix = kIssued;
    render_ = render::render_cluster(cluster_, pki_, render::RenderOptions{});
  }

  // Every node of the render recorded in `state`.
  std::vector<state::NodeRecord> all_nodes(state::NodeState state) const {
    std::vector<state::NodeRecord> nodes;
    for (const auto& node : render_.nodes) {
      nodes.push_back(state::NodeRecord{.cluster = cluster_.name, .name = node.node.name,
                                        .state = state});
    }
    return nodes;
  }

  JoinTokenDecision decide(const std::vector<state::NodeRecord>& nodes, std::int64_t now,
                           bool access, const std::string& applied = "") const {
    return decide_join_token(cluster_, pki_, render_, nodes,
                             applied.empty() ? render_.digest : applied, now, access);
  }

  model::Cluster cluster_;
  pki::ClusterPki pki_;
  render::ClusterRender render_;
};

TEST_F(JoinTokenTest, AFreshTokenIsKept) {
  EXPECT_EQ(decide({}, kIssued + 60, true).action, JoinTokenDecision::Action::kKeep);
  EXPECT_EQ(decide({}, kIssued + 60, false).action, JoinTokenDecision::Action::kKeep);
}

TEST_F(JoinTokenTest, ALapsedTokenIsRenewedWithAccessWhenANodeStillJoins) {
  auto nodes = all_nodes(state::NodeState::kReady);
  nodes.pop_back();  // bm-2 never came up
  const JoinTokenDecision decision = decide(nodes, kIssued + 2 * kDay, true);
  EXPECT_EQ(decision.action, JoinTokenDecision::Action::kRenew);
  EXPECT_EQ(decision.joining_nodes, std::vector<std::string>{"bm-2"});
}

TEST_F(JoinTokenTest, ATokenAboutToLapseIsRenewedBeforeAChangedRenderIsApplied) {
  const JoinTokenDecision decision = decide(all_nodes(state::NodeState::kReady),
                                            kIssued + kDay - 10 * 60, true, "an-older-render");
  EXPECT_EQ(decision.action, JoinTokenDecision::Action::kRenew);
  EXPECT_TRUE(decision.joining_nodes.empty());
}

TEST_F(JoinTokenTest, NothingToJoinAndNothingChangingKeepsALapsedToken) {
  EXPECT_EQ(decide(all_nodes(state::NodeState::kReady), kIssued + 3 * kDay, true).action,
            JoinTokenDecision::Action::kKeep);
  EXPECT_EQ(decide(all_nodes(state::NodeState::kProvisioned), kIssued + 3 * kDay, false).action,
            JoinTokenDecision::Action::kKeep);
}

TEST_F(JoinTokenTest, WithoutAccessALateJoinIsRefusedNamingTheNodeAndTheWayOut) {
  const JoinTokenDecision decision =
      decide(all_nodes(state::NodeState::kPending), kIssued + 2 * kDay, false);
  ASSERT_EQ(decision.action, JoinTokenDecision::Action::kRefuse);
  EXPECT_NE(decision.message.find("bm-0, bm-1, bm-2"), std::string::npos) << decision.message;
  EXPECT_NE(decision.message.find("clusterAccess: direct"), std::string::npos);
  EXPECT_NE(decision.message.find("bootstrapTokenTTL"), std::string::npos);
  EXPECT_EQ(decision.message.find(pki_.bootstrap_token_secret.reveal()), std::string::npos);
  // Before it lapses the token still serves, so nothing is refused yet.
  EXPECT_EQ(decide(all_nodes(state::NodeState::kPending), kIssued + kDay - 60, false).action,
            JoinTokenDecision::Action::kKeep);
}

TEST_F(JoinTokenTest, ATokenThatNeverExpiresIsNeverRenewed) {
  cluster_.kubernetes.bootstrap_token_ttl_seconds = 0;
  EXPECT_EQ(decide({}, kIssued + 400 * kDay, true, "changed").action,
            JoinTokenDecision::Action::kKeep);
}

TEST(BootstrapTokenSecret, HasKubeadmsShapeAndExpiration) {
  pki::ClusterPki pki = testing::placeholder_pki(testing::bare_metal_cluster());
  const YAML::Node secret = YAML::Load(kube::bootstrap_token_secret_yaml(pki, kIssued));
  EXPECT_EQ(secret["metadata"]["name"].as<std::string>(), "bootstrap-token-abcdef");
  EXPECT_EQ(secret["metadata"]["namespace"].as<std::string>(), "kube-system");
  EXPECT_EQ(secret["type"].as<std::string>(), "bootstrap.kubernetes.io/token");
  const YAML::Node data = secret["data"];
  EXPECT_EQ(base64_decode(data["token-id"].as<std::string>()), "abcdef");
  EXPECT_EQ(base64_decode(data["token-secret"].as<std::string>()), "0123456789abcdef");
  EXPECT_EQ(base64_decode(data["usage-bootstrap-authentication"].as<std::string>()), "true");
  EXPECT_EQ(base64_decode(data["auth-extra-groups"].as<std::string>()),
            "system:bootstrappers:kubeadm:default-node-token");
  EXPECT_EQ(base64_decode(data["expiration"].as<std::string>()), "2023-11-14T22:13:20Z");
  EXPECT_FALSE(YAML::Load(kube::bootstrap_token_secret_yaml(pki, 0))["data"]["expiration"]);
}

}  // namespace
}  // namespace nkd::reconcile
