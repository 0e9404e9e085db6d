// Commit statuses end to end: a running `nkd syncd` posts pending and then success for an
// applied commit, and failure naming file:line for a rejected one, to a fake forge API
// (tests/fakes/fake_forge.h, no forge can be installed here), retrying a 502.
#include <gtest/gtest.h>

#include "tests/fakes/fake_forge.h"
#include "tests/support/syncd_fixture.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;

std::string forge_config(const testing::FakeForge& forge, const std::string& kind,
                         const std::filesystem::path& token_file) {
  return "forge:\n  kind: " + kind + "\n  url: " + forge.api_url() +
         "\n  repository: ops/clusters\n  tokenFile: " + token_file.string() + "\n";
}

void expect_states(const std::vector<testing::ForgeStatus>& statuses,
                   const std::vector<std::string>& states) {
  std::vector<std::string> actual;
  for (const auto& status : statuses) actual.push_back(status.state);
  EXPECT_EQ(actual, states);
}

TEST(CommitStatus, GiteaSeesPendingThenSuccessAndFailureForARejectedCommit) {
  testing::SyncdFixture fixture;
  testing::FakeForge forge("gitea", "ops/clusters", "forge-token");
  forge.fail_next(1);  // the first post meets a 502 and is retried
  testing::write_file(fixture.dir() / "forge-token", "forge-token\n");
  fixture.start_daemon("1s", forge_config(forge, "gitea", fixture.dir() / "forge-token"));
  const std::string first = fixture.head();
  ASSERT_TRUE(testing::wait_until([&] { return forge.statuses_for(first).size() >= 2; }, 30s))
      << fixture.log();
  const auto statuses = forge.statuses_for(first);
  expect_states(statuses, {"pending", "success"});
  EXPECT_EQ(statuses[1].description, "applied to 2 cluster(s)");
  EXPECT_EQ(statuses[1].context, "nkd");

  const std::string broken = fixture.commit(
      "sed -i 's/replicas: 2/replcas: 2/' clusters/edge-lab/cluster.yaml", "typo");
  ASSERT_TRUE(testing::wait_until([&] { return !forge.statuses_for(broken).empty(); }, 30s))
      << fixture.log();
  const auto rejected = forge.statuses_for(broken);
  expect_states(rejected, {"failure"});
  EXPECT_NE(rejected[0].description.find("rejected: clusters/edge-lab/cluster.yaml:"), std::string::npos)
      << rejected[0].description;
  EXPECT_GE(forge.requests(), 4);
}

TEST(CommitStatus, GithubKindUsesItsPathsAndAWrongTokenIsOnlyLogged) {
  testing::SyncdFixture fixture;
  testing::FakeForge forge("github", "ops/clusters", "right-token");
  testing::write_file(fixture.dir() / "forge-token", "wrong-token\n");
  fixture.start_daemon("1s", forge_config(forge, "github", fixture.dir() / "forge-token"));
  ASSERT_TRUE(fixture.wait_applied("edge-lab", fixture.head(), 30s)) << fixture.log();
  ASSERT_TRUE(testing::wait_until([&] { return forge.requests() >= 2; }, 30s));
  EXPECT_TRUE(forge.statuses().empty()) << "401 answers record nothing";
  EXPECT_NE(fixture.log().find("HTTP 401"), std::string::npos) << fixture.log();
  EXPECT_NE(fixture.metrics().find("nkd_provider_requests_total{code=\"401\",operation=\"commit_status\","
                                   "provider=\"forge\"}"),
            std::string::npos);
}

}  // namespace
}  // namespace nkd
