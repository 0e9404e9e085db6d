// Rendezvous hashing (syncd/shard_coordinator.h): the same owner on every replica, an even
// split, and the least movement when a replica joins or dies.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "syncd/shard_coordinator.h"

namespace nkd::syncd {
namespace {

std::map<std::string, std::string> split(int clusters, const std::vector<std::string>& replicas) {
  std::map<std::string, std::string> owners;
  for (int i = 0; i < clusters; ++i) {
    const std::string cluster = "cluster-" + std::to_string(i);
    owners[cluster] = rendezvous_owner(cluster, replicas);
  }
  return owners;
}

TEST(Rendezvous, TheOwnerDependsOnTheSetOfReplicasNotTheirOrder) {
  EXPECT_EQ(rendezvous_owner("lab", {"a", "b", "c"}), rendezvous_owner("lab", {"c", "a", "b"}));
  EXPECT_EQ(rendezvous_owner("lab", {"only"}), "only");
  EXPECT_EQ(rendezvous_owner("lab", {}), "");
}

TEST(Rendezvous, ThousandClustersSplitEvenlyOverThreeReplicas) {
  std::map<std::string, int> counts;
  for (const auto& [cluster, owner] : split(1000, {"r1", "r2", "r3"})) ++counts[owner];
  ASSERT_EQ(counts.size(), 3u);
  for (const auto& [replica, count] : counts) {
    EXPECT_GT(count, 280) << replica;
    EXPECT_LT(count, 390) << replica;
  }
}

TEST(Rendezvous, AJoiningReplicaTakesOnlyItsShareAndADeadOneLosesOnlyItsOwn) {
  const auto three = split(1000, {"r1", "r2", "r3"});
  const auto four = split(1000, {"r1", "r2", "r3", "r4"});
  int moved = 0;
  for (const auto& [cluster, owner] : four) {
    if (owner == three.at(cluster)) continue;
    ++moved;
    EXPECT_EQ(owner, "r4") << cluster << " moved, and only to the new replica";
  }
  EXPECT_GT(moved, 200);
  EXPECT_LT(moved, 300);

  const auto without_r2 = split(1000, {"r1", "r3"});
  for (const auto& [cluster, owner] : three) {
    if (owner != "r2") {
      EXPECT_EQ(without_r2.at(cluster), owner) << cluster << " stays where it was";
    } else {
      EXPECT_NE(without_r2.at(cluster), "r2");
    }
  }
}

}  // namespace
}  // namespace nkd::syncd
