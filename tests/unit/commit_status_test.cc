// Commit statuses: which status the tracker posts for started, applied, failed, retried,
// rejected and superseded commits; the request each forge gets; and the forge: config block.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "syncd/config.h"
#include "syncd/forge/commit_status.h"

namespace nkd::syncd {
namespace {

const std::string kFirst(40, 'a');
const std::string kSecond(40, 'b');

class RecordingSink final : public CommitStatusSink {
 public:
  struct Posted {
    std::string commit;
    std::string state;
    std::string description;
  };
  void post(const std::string& commit, CommitState state, const std::string& description) override {
    posted.push_back({commit, to_string(state), description});
  }
  std::vector<Posted> posted;
};

TEST(CommitStatusTracker, PendingThenSuccessOnceEveryClusterIsApplied) {
  RecordingSink sink;
  CommitStatusTracker tracker(sink);
  tracker.commit_started(kFirst, {"alpha", "beta"});
  ASSERT_EQ(sink.posted.size(), 1u);
  EXPECT_EQ(sink.posted[0].state, "pending");
  EXPECT_EQ(sink.posted[0].description, "applying to 2 cluster(s)");
  tracker.cluster_finished("alpha", kFirst, true, "published");
  EXPECT_EQ(sink.posted.size(), 1u) << "beta has no outcome yet";
  tracker.cluster_finished("beta", kFirst, true, "published");
  ASSERT_EQ(sink.posted.size(), 2u);
  EXPECT_EQ(sink.posted[1].state, "success");
  EXPECT_EQ(sink.posted[1].description, "applied to 2 cluster(s)");
}

TEST(CommitStatusTracker, FailureNamesTheClusterAndARetryThatWorksTurnsItGreen) {
  RecordingSink sink;
  CommitStatusTracker tracker(sink);
  tracker.commit_started(kFirst, {"alpha"});
  tracker.cluster_finished("alpha", kFirst, false, "quota exceeded: instances");
  ASSERT_EQ(sink.posted.size(), 2u);
  EXPECT_EQ(sink.posted[1].state, "failure");
  EXPECT_EQ(sink.posted[1].description, "1 of 1 cluster(s) failed; alpha: quota exceeded: instances");
  tracker.cluster_finished("alpha", kFirst, false, "quota exceeded: instances");
  EXPECT_EQ(sink.posted.size(), 2u) << "the same verdict is not posted twice";
  tracker.cluster_finished("alpha", kFirst, true, "created 3 servers");
  ASSERT_EQ(sink.posted.size(), 3u);
  EXPECT_EQ(sink.posted[2].state, "success");
}

TEST(CommitStatusTracker, RejectedAndUnchangedCommitsSettleAtOnce) {
  RecordingSink sink;
  CommitStatusTracker tracker(sink);
  tracker.commit_rejected(kFirst, "clusters/a/cluster.yaml:3:1: error: unknown key");
  tracker.commit_started(kSecond, {});
  ASSERT_EQ(sink.posted.size(), 2u);
  EXPECT_EQ(sink.posted[0].state, "failure");
  EXPECT_EQ(sink.posted[0].description, "rejected: clusters/a/cluster.yaml:3:1: error: unknown key");
  EXPECT_EQ(sink.posted[1].state, "success");
  EXPECT_EQ(sink.posted[1].description, "no cluster changed");
}

TEST(CommitStatusTracker, ACommitOvertakenByANewerOneIsAnError) {
  RecordingSink sink;
  CommitStatusTracker tracker(sink);
  tracker.commit_started(kFirst, {"alpha"});
  tracker.commit_started(kSecond, {"alpha"});
  ASSERT_EQ(sink.posted.size(), 3u);
  EXPECT_EQ(sink.posted[1].commit, kFirst);
  EXPECT_EQ(sink.posted[1].state, "error");
  EXPECT_EQ(sink.posted[1].description, "superseded by bbbbbbbbbbbb before 1 cluster(s) were applied");
  tracker.cluster_finished("alpha", kFirst, true, "late");  // ignored: superseded
  tracker.cluster_finished("alpha", kSecond, true, "published");
  ASSERT_EQ(sink.posted.size(), 4u);
  EXPECT_EQ(sink.posted[3].commit, kSecond);
  EXPECT_EQ(sink.posted[3].state, "success");
}

TEST(CommitStatusTracker, AClusterRemovedWhilePendingSettlesTheOlderCommit) {
  RecordingSink sink;
  CommitStatusTracker tracker(sink);
  tracker.commit_started(kFirst, {"alpha", "beta"});
  tracker.cluster_finished("beta", kFirst, true, "published");
  tracker.cluster_removed("alpha", kSecond);
  ASSERT_EQ(sink.posted.size(), 2u);
  EXPECT_EQ(sink.posted[1].state, "error");
  EXPECT_EQ(sink.posted[1].description, "superseded by bbbbbbbbbbbb before 1 cluster(s) were applied");
}

TEST(CommitStatusRequest, GithubAndGiteaShapes) {
  ForgeConfig forge{.kind = "github", .api_url = "https://api.github.com/", .repository = "ops/clusters"};
  const Secret token("t0ken");
  const std::string long_text(300, 'x');
  auto request = commit_status_request(forge, token, kFirst, CommitState::kFailure, long_text);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "https://api.github.com/repos/ops/clusters/statuses/" + kFirst);
  const auto body = nlohmann::json::parse(request.body);
  EXPECT_EQ(body["state"], "failure");
  EXPECT_EQ(body["context"], "nkd");
  EXPECT_EQ(body["description"].get<std::string>().size(), 140u);
  EXPECT_FALSE(body.contains("target_url"));
  bool bearer = false;
  for (const auto& [name, value] : request.headers) bearer |= name == "Authorization" && value == "Bearer t0ken";
  EXPECT_TRUE(bearer);
  forge.kind = "gitea";
  forge.api_url = "https://git.example.org/api/v1";
  forge.target_url = "https://nkd.example.org/";
  request = commit_status_request(forge, token, kFirst, CommitState::kPending, "applying");
  EXPECT_EQ(request.url, "https://git.example.org/api/v1/repos/ops/clusters/statuses/" + kFirst);
  EXPECT_EQ(nlohmann::json::parse(request.body)["target_url"], "https://nkd.example.org/");
  bool token_scheme = false;
  for (const auto& [name, value] : request.headers) token_scheme |= name == "Authorization" && value == "token t0ken";
  EXPECT_TRUE(token_scheme);
}

TEST(ForgeConfig, ParsedAndCheckedWithLineNumbers) {
  const std::string base = "repository: {url: /srv/clusters.git}\n";
  auto parsed = parse_daemon_config(base + "forge: {kind: gitea, url: https://git.example.org/api/v1, "
                                           "repository: ops/clusters, tokenFile: /etc/nkd/forge-token, "
                                           "context: nkd/apply}\n", "syncd.yaml", nullptr);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->forge.kind, "gitea");
  EXPECT_EQ(parsed->forge.context, "nkd/apply");
  auto bad = parse_daemon_config(base + "forge:\n  kind: gitlab\n  url: https://x\n  repository: ops\n"
                                        "  tokenFile: /t\n", "syncd.yaml", nullptr);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("syncd.yaml:3:9: error: forge.kind must be 'github' or 'gitea'"),
            std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("forge.repository must be OWNER/NAME"), std::string::npos);
  EXPECT_FALSE(parse_daemon_config(base + "forge: {kind: github}\n", "syncd.yaml", nullptr))
      << "url, repository and tokenFile are required";
}

}  // namespace
}  // namespace nkd::syncd
