// NodeRender::boot_digest: what tells the planner a machine must be replaced. It is
// deterministic, blind to the versions housekeeper upgrades in place (os.version, os.imageURL,
// kubernetes.version), sensitive to first-boot content, and set on every platform;
// boot_ignition is the config it digests.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "common/crypto.h"
#include "render/render.h"
#include "tests/support/render_fixtures.h"

namespace nkd {
namespace {

std::map<std::string, std::string> boot_digests(const model::Cluster& cluster) {
  std::map<std::string, std::string> digests;
  for (const render::NodeRender& node :
       render::render_cluster(cluster, testing::placeholder_pki(cluster), {}).nodes) {
    digests[node.node.name] = node.boot_digest.empty() ? "" : node.boot_digest.get();
  }
  return digests;
}

std::map<std::string, std::string> config_digests(const model::Cluster& cluster) {
  std::map<std::string, std::string> digests;
  for (const render::NodeRender& node :
       render::render_cluster(cluster, testing::placeholder_pki(cluster), {}).nodes) {
    digests[node.node.name] = node.ignition_sha256;
  }
  return digests;
}

TEST(BootDigest, IsSetPerOpenStackNodeAndRepeats) {
  const model::Cluster cluster = testing::openstack_cluster();
  const auto first = boot_digests(cluster);
  ASSERT_FALSE(first.empty());
  std::set<std::string> distinct;
  for (const auto& [name, digest] : first) {
    EXPECT_EQ(digest.size(), 64u) << name;
    distinct.insert(digest);
  }
  EXPECT_EQ(distinct.size(), first.size()) << "each node's config is its own";
  EXPECT_EQ(boot_digests(cluster), first);
}

TEST(BootDigest, IgnoresVersionsHousekeeperUpgradesInPlace) {
  const model::Cluster cluster = testing::openstack_cluster();
  model::Cluster upgraded = cluster;
  upgraded.os.version = "22.03-LTS-SP4.20250101";
  upgraded.os.image_url = "registry.example.org/nestos/nestos:22.03-LTS-SP4";
  upgraded.kubernetes.version = "v1.31.2";
  EXPECT_EQ(boot_digests(upgraded), boot_digests(cluster));
  const auto before = config_digests(cluster);
  for (const auto& [name, digest] : config_digests(upgraded)) {
    EXPECT_NE(digest, before.at(name)) << "the full config does carry the versions: " << name;
  }
}

TEST(BootDigest, ChangesWithFirstBootContent) {
  const model::Cluster cluster = testing::openstack_cluster();
  model::Cluster changed = cluster;
  changed.ignition.files.push_back(
      model::ExtraFile{.path = "/etc/nkd-test", .mode = 0644, .source = "files/x", .contents = "x"});
  const auto before = boot_digests(cluster);
  for (const auto& [name, digest] : boot_digests(changed)) {
    EXPECT_NE(digest, before.at(name)) << name;
  }
}

TEST(BootDigest, BareMetalNodesHaveThemTooAndTheyIgnoreVersions) {
  const model::Cluster cluster = testing::bare_metal_cluster();
  model::Cluster upgraded = cluster;
  upgraded.os.version = "22.03-LTS-SP4.20250101";
  upgraded.kubernetes.version = "v1.30.2";
  const auto digests = boot_digests(cluster);
  ASSERT_FALSE(digests.empty());
  for (const auto& [name, digest] : digests) EXPECT_EQ(digest.size(), 64u) << name;
  EXPECT_EQ(boot_digests(upgraded), digests);
}

TEST(BootDigest, IsTheDigestOfTheBootIgnition) {
  const model::Cluster cluster = testing::openstack_cluster();
  for (const render::NodeRender& node :
       render::render_cluster(cluster, testing::placeholder_pki(cluster), {}).nodes) {
    EXPECT_EQ(node.boot_digest.get(), sha256_hex(node.boot_ignition.get())) << node.node.name;
    EXPECT_NE(node.boot_ignition.get(), node.ignition) << "the versions are pinned";
  }
}

}  // namespace
}  // namespace nkd
