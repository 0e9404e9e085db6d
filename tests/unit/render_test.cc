// The cluster renderer: artifacts and digests, determinism, locality of
// changes, pointer configs.
#include "render/render.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "common/crypto.h"
#include "render/network/network_plugin.h"
#include "tests/support/render_fixtures.h"

namespace nkd {
namespace {

std::map<std::string, std::string> digests_by_path(const render::ClusterRender& rendered) {
  std::map<std::string, std::string> digests;
  for (const auto& artifact : rendered.artifacts) digests[artifact.path] = artifact.sha256;
  return digests;
}

const render::Artifact* find_artifact(const render::ClusterRender& rendered,
                                      const std::string& path) {
  for (const auto& artifact : rendered.artifacts) {
    if (artifact.path == path) return &artifact;
  }
  return nullptr;
}

model::Pool& pool_named(model::Cluster& cluster, const std::string& name) {
  for (model::Pool& pool : cluster.pools) {
    if (pool.name == name) return pool;
  }
  throw std::runtime_error("no pool " + name);
}

TEST(RenderCluster, RendersTwiceToIdenticalBytes) {
  const auto cluster = testing::openstack_cluster();
  const auto pki = testing::placeholder_pki(cluster);
  const auto first = render::render_cluster(cluster, pki, {});
  const auto second = render::render_cluster(cluster, pki, {});
  ASSERT_EQ(first.artifacts.size(), second.artifacts.size());
  for (std::size_t i = 0; i < first.artifacts.size(); ++i) {
    EXPECT_EQ(first.artifacts[i].path, second.artifacts[i].path);
    EXPECT_EQ(first.artifacts[i].content, second.artifacts[i].content);
  }
  EXPECT_EQ(first.digest, second.digest);
}

TEST(RenderCluster, ListsEveryArtifactSortedByPathWithItsDigest) {
  const auto cluster = testing::openstack_cluster();
  const auto rendered = render::render_cluster(cluster, testing::placeholder_pki(cluster), {});
  EXPECT_EQ(rendered.cluster, "prod-east");
  std::vector<std::string> paths;
  for (const auto& artifact : rendered.artifacts) {
    paths.push_back(artifact.path);
    EXPECT_EQ(artifact.sha256, sha256_hex(artifact.content)) << artifact.path;
  }
  EXPECT_TRUE(std::is_sorted(paths.begin(), paths.end()));
  const std::vector<std::string> expected_nodes = {
      "nodes/prod-east-control-plane-0.ign", "nodes/prod-east-control-plane-1.ign",
      "nodes/prod-east-control-plane-2.ign", "nodes/prod-east-gpu-0.ign",
      "nodes/prod-east-workers-0.ign",       "nodes/prod-east-workers-1.ign"};
  for (const auto& path : expected_nodes) EXPECT_NE(find_artifact(rendered, path), nullptr) << path;
  EXPECT_NE(find_artifact(rendered, "housekeeper/05-controller-daemonset.yaml"), nullptr);
  EXPECT_NE(find_artifact(rendered, "pki/ca.crt"), nullptr);
  const std::size_t network = network::network_plugin_manifests(cluster).size();
  EXPECT_GT(network, 0u);  // calico by default
  // Six housekeeper manifests, four of nkd's access, the CA, the upgrade target, and the first
  // node's pointer config (its bring-up manifests make it larger than user_data allows).
  EXPECT_NE(find_artifact(rendered, "nodes/prod-east-control-plane-0.pointer.ign"), nullptr);
  EXPECT_NE(find_artifact(rendered, "upgrade/target.yaml"), nullptr);
  EXPECT_NE(find_artifact(rendered, "access/00-nkd-cluster-role.yaml"), nullptr);
  EXPECT_EQ(paths.size(), expected_nodes.size() + 6 + network + 4 + 1 + 1 + 1);
  ASSERT_EQ(rendered.nodes.size(), 6u);
  EXPECT_EQ(rendered.nodes[0].node.name, "prod-east-control-plane-0");
  EXPECT_EQ(rendered.nodes[0].ignition_sha256, sha256_hex(rendered.nodes[0].ignition));
}

TEST(RenderCluster, DigestCoversEachArtifactPathAndDigestInOrder) {
  const auto cluster = testing::openstack_cluster();
  const auto rendered = render::render_cluster(cluster, testing::placeholder_pki(cluster), {});
  std::string listing;
  for (const auto& artifact : rendered.artifacts) {
    listing += artifact.path + std::string(1, '\0') + artifact.sha256 + "\n";
  }
  EXPECT_EQ(rendered.digest, sha256_hex(listing));

  auto changed = cluster;
  changed.upgrade.operator_image = "mirror.example.org/operator:v2";
  const auto other = render::render_cluster(changed, testing::placeholder_pki(changed), {});
  EXPECT_NE(other.digest, rendered.digest);
}

TEST(RenderCluster, PublishesOnlyThePublicCaCertificate) {
  const auto cluster = testing::openstack_cluster();
  const auto pki = testing::placeholder_pki(cluster);
  const auto rendered = render::render_cluster(cluster, pki, {});
  const auto* ca = find_artifact(rendered, "pki/ca.crt");
  ASSERT_NE(ca, nullptr);
  EXPECT_EQ(ca->content, pki.ca.cert_pem);
  for (const auto& artifact : rendered.artifacts) {
    if (artifact.path.rfind("pki/", 0) == 0) {
      EXPECT_EQ(artifact.path, "pki/ca.crt");
    }
    EXPECT_EQ(artifact.content.find("PRIVATE KEY"), std::string::npos) << artifact.path;
  }
}

TEST(RenderCluster, ScalingOneWorkerPoolTouchesOnlyThatPoolsNodes) {
  auto cluster = testing::openstack_cluster();
  const auto pki = testing::placeholder_pki(cluster);
  const auto before = digests_by_path(render::render_cluster(cluster, pki, {}));
  const auto before_digest = render::render_cluster(cluster, pki, {}).digest;

  pool_named(cluster, "workers").replicas = 3;
  const auto grown = render::render_cluster(cluster, pki, {});
  auto after = digests_by_path(grown);
  EXPECT_NE(grown.digest, before_digest);
  ASSERT_TRUE(after.contains("nodes/prod-east-workers-2.ign"));
  after.erase("nodes/prod-east-workers-2.ign");
  EXPECT_EQ(after, before);

  pool_named(cluster, "workers").replicas = 1;
  auto shrunk = digests_by_path(render::render_cluster(cluster, pki, {}));
  auto expected = before;
  expected.erase("nodes/prod-east-workers-1.ign");
  EXPECT_EQ(shrunk, expected);
}

TEST(RenderCluster, SmallConfigsGoStraightIntoUserData) {
  const auto cluster = testing::openstack_cluster();
  const auto rendered = render::render_cluster(cluster, testing::placeholder_pki(cluster), {});
  // The first control-plane node carries calico's manifests for bring-up: its config is served.
  EXPECT_TRUE(rendered.nodes.front().needs_pointer);
  for (const auto& node : rendered.nodes) {
    if (&node == &rendered.nodes.front()) continue;
    EXPECT_FALSE(node.needs_pointer) << node.node.name;
    EXPECT_TRUE(node.pointer_ignition.empty());
    EXPECT_EQ(find_artifact(rendered, "nodes/" + node.node.name + ".pointer.ign"), nullptr);
  }
}

TEST(RenderCluster, OversizedConfigGetsAPointerVerifiedBySha512) {
  auto cluster = testing::openstack_cluster();
  // 50,000 bytes become ~66,700 as a data URL, and more again as base64
  // user_data.
  cluster.ignition.files.push_back(model::ExtraFile{.path = "/opt/blob",
                                                    .mode = 0644,
                                                    .source = "files/blob",
                                                    .contents = std::string(50000, 'z')});
  const auto pki = testing::placeholder_pki(cluster);
  const auto rendered = render::render_cluster(
      cluster, pki, render::RenderOptions{.ignition_base_url = "http://127.0.0.1:9480/"});
  ASSERT_FALSE(rendered.nodes.empty());
  for (const auto& node : rendered.nodes) {
    ASSERT_TRUE(node.needs_pointer) << node.node.name;
    EXPECT_GT(base64_encode(node.ignition).size(), render::kUserDataLimitBytes);
    EXPECT_LT(base64_encode(node.pointer_ignition).size(), render::kUserDataLimitBytes);
    EXPECT_EQ(node.fetch_token.reveal(),
              hmac_sha256_hex(pki.node_token_key.reveal(), node.node.name));
    const auto pointer = nlohmann::json::parse(node.pointer_ignition);
    const auto& replace = pointer["ignition"]["config"]["replace"];
    EXPECT_EQ(replace["source"], "http://127.0.0.1:9480/ignition/prod-east/" + node.node.name);
    EXPECT_EQ(replace["verification"]["hash"], "sha512-" + sha512_hex(node.ignition));
    EXPECT_EQ(replace["httpHeaders"][0]["value"], "Bearer " + node.fetch_token.reveal());
    const auto* artifact = find_artifact(rendered, "nodes/" + node.node.name + ".pointer.ign");
    ASSERT_NE(artifact, nullptr);
    EXPECT_EQ(artifact->content, node.pointer_ignition);
    EXPECT_EQ(find_artifact(rendered, "nodes/" + node.node.name + ".ign")->content, node.ignition);
  }
}

TEST(RenderCluster, RotatedNodeTokensChangeOnlyThePointerConfigs) {
  auto cluster = testing::openstack_cluster();
  cluster.ignition.files.push_back(model::ExtraFile{.path = "/opt/blob",
                                                    .mode = 0644,
                                                    .source = "files/blob",
                                                    .contents = std::string(50000, 'z')});
  const auto pki = testing::placeholder_pki(cluster);
  const auto rotated = pki::with_rotated_node_tokens(pki, 1'700'000'000, 0);
  const render::RenderOptions options{.ignition_base_url = "http://127.0.0.1:9480"};
  const auto before = render::render_cluster(cluster, pki, options);
  const auto after = render::render_cluster(cluster, rotated, options);
  ASSERT_EQ(before.nodes.size(), after.nodes.size());
  for (std::size_t i = 0; i < before.nodes.size(); ++i) {
    const auto& old_node = before.nodes[i];
    const auto& new_node = after.nodes[i];
    ASSERT_TRUE(new_node.needs_pointer);
    EXPECT_EQ(new_node.ignition, old_node.ignition) << new_node.node.name;
    EXPECT_EQ(new_node.boot_digest.get(), old_node.boot_digest.get()) << new_node.node.name;
    EXPECT_NE(new_node.pointer_ignition, old_node.pointer_ignition) << new_node.node.name;
    EXPECT_EQ(new_node.fetch_token, pki::node_fetch_token(rotated, new_node.node.name));
    const auto replace =
        nlohmann::json::parse(new_node.pointer_ignition)["ignition"]["config"]["replace"];
    EXPECT_EQ(replace["httpHeaders"][0]["value"], "Bearer " + new_node.fetch_token.reveal());
    EXPECT_EQ(replace["verification"]["hash"], "sha512-" + sha512_hex(old_node.ignition));
  }
  for (const auto& artifact : after.artifacts) {
    const auto* old_artifact = find_artifact(before, artifact.path);
    ASSERT_NE(old_artifact, nullptr) << artifact.path;
    EXPECT_EQ(artifact.content != old_artifact->content, artifact.path.ends_with(".pointer.ign"))
        << artifact.path;
  }
}

TEST(RenderCluster, BareMetalNodesKeepTheirNames) {
  const auto cluster = testing::bare_metal_cluster();
  const auto rendered = render::render_cluster(cluster, testing::placeholder_pki(cluster), {});
  ASSERT_EQ(rendered.nodes.size(), 3u);
  EXPECT_NE(find_artifact(rendered, "nodes/bm-0.ign"), nullptr);
  EXPECT_NE(find_artifact(rendered, "nodes/bm-2.ign"), nullptr);
}

TEST(RenderCluster, OsOnlyBumpChangesTheDigestButNoNodeConfig) {
  auto cluster = testing::openstack_cluster();
  const auto pki = testing::placeholder_pki(cluster);
  const auto before = render::render_cluster(cluster, pki, {});
  cluster.os.version = "22.03-LTS-SP3.20240301";
  const auto after = render::render_cluster(cluster, pki, {});
  EXPECT_NE(after.digest, before.digest) << "a new config version: its own history row";
  for (std::size_t i = 0; i < before.nodes.size(); ++i) {
    EXPECT_EQ(after.nodes[i].ignition_sha256, before.nodes[i].ignition_sha256)
        << "housekeeper upgrades in place: " << before.nodes[i].node.name;
  }
  EXPECT_NE(find_artifact(after, "upgrade/target.yaml")->content.find("22.03-LTS-SP3.20240301"),
            std::string::npos);
}

}  // namespace
}  // namespace nkd
