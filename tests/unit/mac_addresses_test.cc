// MACs across a repository: a MAC that two machines claim, in one cluster or in two, is an error
// at the later place naming the earlier one by file:line:col; the cluster that claims it is
// refused, the other loads. The daemon's check against clusters it did not reload uses the same
// claims.
#include "model/mac_addresses.h"

#include <gtest/gtest.h>

#include "model/loader.h"
#include "tests/support/test_support.h"

namespace nkd::model {
namespace {

// The example cluster renamed, its machines' MACs given.
std::string definition_with_macs(const std::string& name, const std::string& first_mac,
                       const std::string& second_mac, const std::string& third_mac) {
  std::string text =
      testing::read_file(testing::source_dir() + "/examples-repo/clusters/edge-lab/cluster.yaml");
  testing::replace_all(text, "edge-lab", name);
  testing::replace_all(text, "52:54:00:00:00:01", first_mac);
  testing::replace_all(text, "52:54:00:00:00:02", second_mac);
  testing::replace_all(text, "52:54:00:00:00:03", third_mac);
  return text;
}

std::vector<std::string> formatted(const std::vector<Diagnostic>& diagnostics) {
  std::vector<std::string> lines;
  for (const Diagnostic& diagnostic : diagnostics) lines.push_back(format(diagnostic));
  return lines;
}

TEST(MacAddresses, AMacInTwoClustersIsAnErrorNamingBothPlaces) {
  MapTreeReader tree(
      {{"clusters/alpha/cluster.yaml",
        definition_with_macs("alpha", "52:54:00:00:00:01", "52:54:00:AA:00:02", "52:54:00:00:00:03")},
       {"clusters/beta/cluster.yaml",
        definition_with_macs("beta", "52:54:00:00:00:11", "52:54:00:00:00:12", "52:54:00:aa:00:02")}});
  const LoadResult loaded = load_repository(tree);
  EXPECT_EQ(formatted(loaded.diagnostics),
            std::vector<std::string>{
                "clusters/beta/cluster.yaml:13:53: error: spec.platform.bareMetal.nodes[2].mac "
                "52:54:00:aa:00:02 of node beta-worker-1 is also the MAC of node alpha-worker-0 of "
                "cluster alpha (clusters/alpha/cluster.yaml:12:54); a machine boots as one node: "
                "give each machine its own MAC"});
  ASSERT_EQ(loaded.model.clusters.size(), 1u);
  EXPECT_EQ(loaded.model.clusters[0].name, "alpha");
}

TEST(MacAddresses, AMacTwiceInOneClusterAndAgainstClustersNotReloaded) {
  MapTreeReader tree(
      {{"clusters/alpha/cluster.yaml",
        definition_with_macs("alpha", "52:54:00:00:00:01", "52:54:00:00:00:02", "52:54:00:00:00:01")}});
  const LoadResult loaded = load_repository(tree);
  ASSERT_EQ(loaded.diagnostics.size(), 1u)
      << ::testing::PrintToString(formatted(loaded.diagnostics));
  EXPECT_NE(format(loaded.diagnostics[0])
                .find("nodes[2].mac 52:54:00:00:00:01 of node "
                      "alpha-worker-1 is also the MAC of node alpha-cp-0 "
                      "of cluster alpha"),
            std::string::npos)
      << format(loaded.diagnostics[0]);

  // What the daemon does for a commit that reloads only gamma while alpha stays accepted.
  MapTreeReader fine(
      {{"clusters/alpha/cluster.yaml",
        definition_with_macs("alpha", "52:54:00:00:00:01", "52:54:00:00:00:02", "52:54:00:00:00:33")},
       {"clusters/gamma/cluster.yaml",
        definition_with_macs("gamma", "52:54:00:00:00:33", "52:54:00:00:00:22", "52:54:00:00:00:23")}});
  const LoadResult alpha = load_clusters(fine, {"alpha"});
  const LoadResult gamma = load_clusters(fine, {"gamma"});
  ASSERT_TRUE(alpha.ok() && gamma.ok());
  const auto duplicates =
      duplicate_macs(mac_claims(gamma.model.clusters[0]), mac_claims(alpha.model.clusters[0]));
  ASSERT_EQ(duplicates.size(), 1u);
  EXPECT_EQ(duplicates[0].path, "clusters/gamma/cluster.yaml");
  EXPECT_EQ(duplicates[0].line, 11);
  EXPECT_NE(duplicates[0].message.find("(clusters/alpha/cluster.yaml:13:54)"), std::string::npos)
      << duplicates[0].message;

  // The daemon lends its accepted claims instead of copying them: the same answer.
  const std::vector<MacClaim> accepted = mac_claims(alpha.model.clusters[0]);
  std::vector<const MacClaim*> borrowed;
  for (const MacClaim& claim : accepted) borrowed.push_back(&claim);
  const auto from_borrowed = duplicate_macs(mac_claims(gamma.model.clusters[0]), borrowed);
  ASSERT_EQ(from_borrowed.size(), 1u);
  EXPECT_EQ(from_borrowed[0].message, duplicates[0].message);
}

}  // namespace
}  // namespace nkd::model
