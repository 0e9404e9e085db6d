// LibGit2Source against real servers on 127.0.0.1: git daemon (git://), git http-backend behind
// lighttpd with basic auth (smart HTTP), and sshd (ssh:// with known_hosts checking).
#include <gtest/gtest.h>

#include <thread>

#include "source/libgit2_source.h"
#include "tests/support/git_servers.h"
#include "tests/support/test_support.h"

namespace nkd::source {
namespace {

using testing::GitDaemonServer;
using testing::GitRepoFixture;
using testing::ScratchDir;

std::unique_ptr<LibGit2Source> open_source(GitSourceOptions options) {
  auto source = LibGit2Source::open(std::move(options));
  EXPECT_TRUE(source.ok()) << (source.ok() ? "" : source.error().message);
  return source.ok() ? std::move(source).value() : nullptr;
}

class GitDaemonSource : public ::testing::Test {
 protected:
  GitDaemonSource() : repo_(served_.path(), "defs.git") {
    first_ = repo_.commit({{"clusters/alpha/cluster.yaml", "name: alpha\n"},
                           {"clusters/beta/cluster.yaml", "name: beta\n"},
                           {"README.md", "definitions\n"}},
                          "initial");
    daemon_ = std::make_unique<GitDaemonServer>(served_.path());
  }

  GitSourceOptions options(const std::string& ref = "refs/heads/main") {
    return GitSourceOptions{.url = daemon_->url("defs.git"), .ref = ref,
                            .cache_dir = cache_.str(), .egress = testing::loopback_only()};
  }

  ScratchDir served_;
  ScratchDir cache_;
  GitRepoFixture repo_;
  std::string first_;
  std::unique_ptr<GitDaemonServer> daemon_;
};

TEST_F(GitDaemonSource, ClonesOnceThenFollowsTheBranch) {
  auto source = open_source(options());
  ASSERT_NE(source, nullptr);
  auto fetched = source->fetch();
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(fetched->commit_id, first_);
  EXPECT_TRUE(fetched->moved);
  EXPECT_FALSE(fetched->force_pushed);
  EXPECT_GT(fetched->received_bytes, 0u);
  auto tree = source->tree(first_);
  ASSERT_TRUE(tree.ok());
  EXPECT_EQ((*tree)->read("clusters/alpha/cluster.yaml", 1024).value(), "name: alpha\n");

  const std::string second = repo_.commit({{"clusters/alpha/cluster.yaml", "name: alpha2\n"}}, "edit");
  auto moved = source->fetch();
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_EQ(moved->commit_id, second);
  EXPECT_TRUE(moved->moved);
  EXPECT_FALSE(moved->force_pushed);
  auto info = source->commit_info(second);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->summary, "edit");
  EXPECT_EQ(info->author, "Ops");
}

TEST_F(GitDaemonSource, NoOpPollTransfersNoPack) {
  auto source = open_source(options());
  ASSERT_NE(source, nullptr);
  ASSERT_TRUE(source->fetch().ok());
  const auto objects_before = testing::run_shell("find " + source->mirror_path() + "/objects -type f | wc -l").out;
  auto again = source->fetch();
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_FALSE(again->moved);
  EXPECT_EQ(again->commit_id, first_);
  EXPECT_EQ(again->received_bytes, 0u);
  EXPECT_EQ(testing::run_shell("find " + source->mirror_path() + "/objects -type f | wc -l").out,
            objects_before);
  // A restarted daemon reuses the mirror: still nothing to download.
  source.reset();
  auto reopened = open_source(options());
  ASSERT_NE(reopened, nullptr);
  auto after_restart = reopened->fetch();
  ASSERT_TRUE(after_restart.ok());
  EXPECT_FALSE(after_restart->moved);
  EXPECT_EQ(after_restart->received_bytes, 0u);
}

TEST_F(GitDaemonSource, FollowsTagsAndPicksTheHighestSemverTag) {
  repo_.git("git tag -a v1.2.0 -m r120 && git push -q origin v1.2.0");
  const std::string second = repo_.commit({{"clusters/beta/cluster.yaml", "name: beta2\n"}}, "b2");
  repo_.git("git tag v1.10.0 && git tag -a v2.0.0 -m r200 && git tag v1.11.0-rc.1 && git push -q origin --tags");

  auto by_tag = open_source(options("refs/tags/v1.2.0"));
  ASSERT_NE(by_tag, nullptr);
  auto tagged = by_tag->fetch();
  ASSERT_TRUE(tagged.ok()) << tagged.error().message;
  EXPECT_EQ(tagged->commit_id, first_);  // the annotated tag peeled to its commit

  ScratchDir other_cache;
  auto by_range = open_source(GitSourceOptions{.url = daemon_->url("defs.git"),
                                               .ref = "semver:>=1.2.0 <2.0.0",
                                               .cache_dir = other_cache.str(), .egress = testing::loopback_only()});
  ASSERT_NE(by_range, nullptr);
  auto ranged = by_range->fetch();
  ASSERT_TRUE(ranged.ok()) << ranged.error().message;
  EXPECT_EQ(ranged->commit_id, second);  // v1.10.0, not v2.0.0 and not the rc

  const std::string third = repo_.commit({{"clusters/beta/cluster.yaml", "name: beta3\n"}}, "b3");
  repo_.git("git tag v1.12.0 && git push -q origin v1.12.0");
  auto newer = by_range->fetch();
  ASSERT_TRUE(newer.ok());
  EXPECT_EQ(newer->commit_id, third);
  EXPECT_TRUE(newer->moved);
}

TEST_F(GitDaemonSource, BranchShortNameResolves) {
  auto source = open_source(options("main"));
  ASSERT_NE(source, nullptr);
  auto fetched = source->fetch();
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(fetched->commit_id, first_);
}

TEST_F(GitDaemonSource, DetectsForcePush) {
  auto source = open_source(options());
  ASSERT_NE(source, nullptr);
  ASSERT_TRUE(source->fetch().ok());
  const std::string rewritten = repo_.git("git commit -q --amend -m rewritten && git push -q -f origin HEAD && git rev-parse HEAD");
  auto fetched = source->fetch();
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(fetched->commit_id + "\n", rewritten);
  EXPECT_TRUE(fetched->moved);
  EXPECT_TRUE(fetched->force_pushed);
}

TEST_F(GitDaemonSource, DeletedRefIsAnErrorAndThePreviousCommitIsKept) {
  repo_.git("git push -q origin HEAD:refs/heads/release");
  auto source = open_source(options("refs/heads/release"));
  ASSERT_NE(source, nullptr);
  ASSERT_TRUE(source->fetch().ok());
  repo_.git("git push -q origin :refs/heads/release");
  auto gone = source->fetch();
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  EXPECT_NE(gone.error().message.find("refs/heads/release is gone"), std::string::npos);
  EXPECT_NE(gone.error().message.find("last applied state is kept"), std::string::npos);
  auto tree = source->tree(first_);  // still readable from the mirror
  ASSERT_TRUE(tree.ok());
  EXPECT_TRUE((*tree)->read("clusters/beta/cluster.yaml", 1024).ok());
}

TEST_F(GitDaemonSource, ChangedClustersListsExactlyTheChangedOnes) {
  auto source = open_source(options());
  ASSERT_NE(source, nullptr);
  ASSERT_TRUE(source->fetch().ok());
  auto all = source->changed_clusters("", first_);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, (std::vector<std::string>{"alpha", "beta"}));

  const std::string edit = repo_.commit({{"clusters/beta/files/motd", "hi\n"}, {"README.md", "x\n"}}, "beta");
  auto fetched = source->fetch();
  ASSERT_TRUE(fetched.ok());
  auto changed = source->changed_clusters(first_, edit);
  ASSERT_TRUE(changed.ok()) << changed.error().message;
  EXPECT_EQ(*changed, std::vector<std::string>{"beta"});

  const std::string churn = repo_.commit(
      {{"clusters/alpha/cluster.yaml", ""}, {"clusters/gamma/cluster.yaml", "name: gamma\n"}}, "churn");
  ASSERT_TRUE(source->fetch().ok());
  auto added_removed = source->changed_clusters(edit, churn);
  ASSERT_TRUE(added_removed.ok());
  EXPECT_EQ(*added_removed, (std::vector<std::string>{"alpha", "gamma"}));
  auto none = source->changed_clusters(churn, churn);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(LocalSource, AMissingPathSaysItIsNotADirectoryAndWhatToUse) {
  ScratchDir cache;
  for (const std::string url : {"/nonexistent/defs.git", "file:///nonexistent/defs.git"}) {
    auto source = open_source(
        GitSourceOptions{.url = url, .cache_dir = cache.str(), .egress = testing::loopback_only()});
    ASSERT_NE(source, nullptr);
    auto fetched = source->fetch();
    ASSERT_FALSE(fetched.ok()) << url;
    EXPECT_EQ(fetched.error().code, ErrorCode::kNotFound);
    EXPECT_NE(fetched.error().message.find("/nonexistent/defs.git is not a directory on this machine"),
              std::string::npos)
        << fetched.error().message;
    EXPECT_EQ(fetched.error().message.find("unsupported URL protocol"), std::string::npos);
  }
}

TEST(GitSmartHttpSource, FetchesWithTheRightPasswordAndNotWithAWrongOne) {
  ScratchDir served, cache, wrong_cache, secrets;
  GitRepoFixture repo(served.path(), "defs.git");
  const std::string head = repo.commit({{"clusters/alpha/cluster.yaml", "name: alpha\n"}}, "initial");
  repo.git("git -C " + repo.bare_path().string() + " config http.receivepack false");
  testing::GitHttpServer server(served.path(), "ops", "s3cret-pass");
  testing::write_file(secrets.path() / "good", "s3cret-pass\n");
  testing::write_file(secrets.path() / "bad", "guess\n");

  auto source = open_source(GitSourceOptions{
      .url = server.url("defs.git"),
      .auth = {.username = "ops", .password_file = (secrets.path() / "good").string()},
      .cache_dir = cache.str(), .egress = testing::loopback_only()});
  ASSERT_NE(source, nullptr);
  auto fetched = source->fetch();
  ASSERT_TRUE(fetched.ok()) << fetched.error().message << "\n" << server.access_log();
  EXPECT_EQ(fetched->commit_id, head);
  EXPECT_NE(server.access_log().find("git-upload-pack"), std::string::npos);

  // A no-op poll only lists refs: the server sees no upload-pack POST. lighttpd writes its
  // access log in batches, so wait for each request to show up.
  auto count = [&](const std::string& needle) {
    const std::string log = server.access_log();
    int n = 0;
    for (auto at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) ++n;
    return n;
  };
  ASSERT_TRUE(testing::wait_until([&] { return count("POST ") == 1; }, std::chrono::seconds(5)))
      << server.access_log();
  const int listings_before = count("info/refs");
  auto again = source->fetch();
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->moved);
  EXPECT_TRUE(testing::wait_until([&] { return count("info/refs") > listings_before; },
                                  std::chrono::seconds(5)));
  // Real time: a download git started after all would reach the real server's log within it.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(count("POST "), 1) << server.access_log();

  auto refused = open_source(GitSourceOptions{
      .url = server.url("defs.git"),
      .auth = {.username = "ops", .password_file = (secrets.path() / "bad").string()},
      .cache_dir = wrong_cache.str(), .egress = testing::loopback_only()});
  ASSERT_NE(refused, nullptr);
  auto denied = refused->fetch();
  ASSERT_FALSE(denied.ok());
  EXPECT_NE(denied.error().message.find("authentication"), std::string::npos) << denied.error().message;
  EXPECT_EQ(denied.error().message.find("guess"), std::string::npos);  // no secret in errors
}

TEST(GitSmartHttpSource, CredentialsInTheUrlNeverReachAnError) {
  ScratchDir served, cache;
  GitRepoFixture repo(served.path(), "defs.git");
  repo.commit({{"clusters/alpha/cluster.yaml", "name: alpha\n"}}, "initial");
  testing::GitHttpServer server(served.path(), "ops", "s3cret-pass");
  std::string url = server.url("defs.git");
  url.insert(url.find("://") + 3, "tok3n-user:wr0ng-pass@");
  auto source = open_source(GitSourceOptions{.url = url, .cache_dir = cache.str(), .egress = testing::loopback_only()});
  ASSERT_NE(source, nullptr);
  auto denied = source->fetch();
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().message.find("tok3n-user"), std::string::npos) << denied.error().message;
  EXPECT_EQ(denied.error().message.find("wr0ng-pass"), std::string::npos) << denied.error().message;
  EXPECT_NE(denied.error().message.find("<redacted>@127.0.0.1"), std::string::npos)
      << denied.error().message;
}

TEST(GitSshSource, FetchesWithAKnownHostKeyAndRefusesAChangedOne) {
  ASSERT_NE(git_libgit2_features() & GIT_FEATURE_SSH, 0)
      << "this libgit2 was built without SSH support (no GIT_FEATURE_SSH)";
  ScratchDir served, cache, wrong_cache;
  GitRepoFixture repo(served.path(), "defs.git");
  const std::string head = repo.commit({{"clusters/alpha/cluster.yaml", "name: alpha\n"}}, "initial");
  testing::SshServer sshd;
  auto source = open_source(GitSourceOptions{
      .url = sshd.url(repo.bare_path()),
      .auth = {.ssh_key_file = sshd.client_key(), .known_hosts_file = sshd.known_hosts()},
      .cache_dir = cache.str(), .egress = testing::loopback_only()});
  ASSERT_NE(source, nullptr);
  auto fetched = source->fetch();
  ASSERT_TRUE(fetched.ok()) << fetched.error().message << "\nsshd: " << sshd.log();
  EXPECT_EQ(fetched->commit_id, head);

  auto impostor = open_source(GitSourceOptions{
      .url = sshd.url(repo.bare_path()),
      .auth = {.ssh_key_file = sshd.client_key(), .known_hosts_file = sshd.wrong_known_hosts()},
      .cache_dir = wrong_cache.str(), .egress = testing::loopback_only()});
  ASSERT_NE(impostor, nullptr);
  auto refused = impostor->fetch();
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("does not match"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("[127.0.0.1]:"), std::string::npos);
}

}  // namespace
}  // namespace nkd::source
