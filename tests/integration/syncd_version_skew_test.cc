// `nkd syncd` refuses a commit whose Kubernetes version cannot follow the one a cluster has
// applied (kubeadm upgrades one minor at a time and never downgrades one): the real binary, a
// real `git daemon` on 127.0.0.1, clusterAccess none and loopback-only egress (SyncdFixture).
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/syncd_fixture.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;
using testing::SyncdFixture;

// examples-repo/clusters/edge-lab/cluster.yaml keeps spec.kubernetes.version on this line.
constexpr const char* kVersionAt = "clusters/edge-lab/cluster.yaml:18:14: error: ";

std::string set_version(const std::string& from, const std::string& to) {
  return "sed -i 's/version: " + from + "$/version: " + to + "/' clusters/edge-lab/cluster.yaml";
}

bool observed(SyncdFixture& fixture, const std::string& revision) {
  return testing::wait_until([&] {
    return fixture.get_json("/api/v1/clusters/edge-lab")["observedRevision"] == revision;
  }, 20s);
}

class SyncdVersionSkew : public ::testing::Test {
 protected:
  void SetUp() override {
    applied_ = fixture_.commit(set_version("v1.29.1", "v1.28.4"), "edge-lab on 1.28");
    fixture_.start_daemon("1s");
    ASSERT_TRUE(fixture_.wait_applied("edge-lab", applied_, 20s)) << fixture_.log();
  }

  SyncdFixture fixture_;
  std::string applied_;
};

TEST_F(SyncdVersionSkew, RefusesSkippingAMinorThenAppliesTheNextMinor) {
  const std::string skip = fixture_.commit(set_version("v1.28.4", "v1.30.0"), "Jump to 1.30");
  ASSERT_TRUE(observed(fixture_, skip)) << fixture_.log();
  const auto cluster = fixture_.get_json("/api/v1/clusters/edge-lab");
  EXPECT_EQ(cluster["appliedRevision"], applied_);
  ASSERT_TRUE(cluster["lastError"].is_string()) << cluster.dump();
  const std::string error = cluster["lastError"].get<std::string>();
  EXPECT_NE(error.find(std::string(kVersionAt) + "spec.kubernetes.version v1.30.0 skips v1.29 "
                                                 "from the applied v1.28.4"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("go to v1.29.x first"), std::string::npos) << error;
  EXPECT_NE(fixture_.metrics().find("nkd_source_head_valid 0"), std::string::npos);
  // The refused commit is never rendered: the history still ends at the applied one.
  const auto history = fixture_.get_json("/api/v1/clusters/edge-lab/history");
  ASSERT_FALSE(history.empty());
  EXPECT_EQ(history[0]["revision"], applied_);

  const std::string next = fixture_.commit(set_version("v1.30.0", "v1.29.3"), "Go to 1.29 first");
  ASSERT_TRUE(fixture_.wait_applied("edge-lab", next, 20s)) << fixture_.log();
  EXPECT_TRUE(fixture_.get_json("/api/v1/clusters/edge-lab")["lastError"].is_null());
  EXPECT_NE(fixture_.metrics().find("nkd_source_head_valid 1"), std::string::npos);
}

TEST_F(SyncdVersionSkew, RefusesAMinorDowngradeButAllowsAPatchOne) {
  const std::string down = fixture_.commit(set_version("v1.28.4", "v1.27.9"), "Back to 1.27");
  ASSERT_TRUE(observed(fixture_, down)) << fixture_.log();
  const auto cluster = fixture_.get_json("/api/v1/clusters/edge-lab");
  EXPECT_EQ(cluster["appliedRevision"], applied_);
  ASSERT_TRUE(cluster["lastError"].is_string()) << cluster.dump();
  EXPECT_NE(cluster["lastError"].get<std::string>().find(
                std::string(kVersionAt) + "spec.kubernetes.version v1.27.9 downgrades the applied "
                                          "v1.28.4"),
            std::string::npos)
      << cluster["lastError"];

  const std::string patch = fixture_.commit(set_version("v1.27.9", "v1.28.2"), "Patch back");
  ASSERT_TRUE(fixture_.wait_applied("edge-lab", patch, 20s)) << fixture_.log();
}

}  // namespace
}  // namespace nkd
