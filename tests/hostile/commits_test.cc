// Hostile definitions pushed to a running `nkd syncd` (a real `git daemon` on 127.0.0.1, the
// fixture's memory-bounded daemon): each commit is refused with an error that names the input,
// the last good revision stays applied, the daemon keeps answering, and the next good commit
// applies. The validation of each input is unit-tested (validation_corpus_test.cc,
// tree_reader_test.cc, git_tree_reader_test.cc); this proves the daemon survives it end to end.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/syncd_fixture.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;
using testing::SyncdFixture;

// edge-lab served its Ignition files from files/motd (a commit script adds the file).
const std::string kMotdFile =
    "printf '  ignition:\\n    files:\\n      - {path: /etc/motd, mode: 0644, source: files/motd}\\n'"
    " >> clusters/edge-lab/cluster.yaml && mkdir -p clusters/edge-lab/files && ";

class HostileCommits : public ::testing::Test {
 protected:
  void SetUp() override {
    fixture_.start_daemon("1s");
    good_ = fixture_.head();
    ASSERT_TRUE(fixture_.wait_applied("edge-lab", good_, 30s)) << fixture_.log();
  }

  // Commits `script`; expects edge-lab to observe the commit, keep `good_` applied and report
  // an error containing `expected_error`; the daemon still answers /healthz.
  void expect_refused(const std::string& script, const std::string& expected_error) {
    const std::string bad = fixture_.commit(script, "Hostile change");
    ASSERT_TRUE(testing::wait_until([&] {
      return fixture_.get_json("/api/v1/clusters/edge-lab")["observedRevision"] == bad;
    }, 30s)) << fixture_.log();
    const auto cluster = fixture_.get_json("/api/v1/clusters/edge-lab");
    EXPECT_EQ(cluster["appliedRevision"], good_);
    ASSERT_TRUE(cluster["lastError"].is_string()) << cluster.dump();
    EXPECT_NE(cluster["lastError"].get<std::string>().find(expected_error), std::string::npos)
        << cluster["lastError"];
    const auto health = fixture_.client()->Get("/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
  }

  // A good commit after the hostile one applies: the daemon was not left stuck.
  void expect_next_good_commit_applies() {
    const std::string fixed = fixture_.commit(
        "rm -rf clusters && git checkout " + good_ + " -- clusters && "
        "sed -i 's/maxUnavailable: 1/maxUnavailable: 2/' clusters/edge-lab/cluster.yaml",
        "Back to a good definition");
    ASSERT_TRUE(fixture_.wait_applied("edge-lab", fixed, 30s)) << fixture_.log();
  }

  SyncdFixture fixture_;
  std::string good_;
};

// Before the limit, expanding two billion nodes ended the process with bad_alloc.
TEST_F(HostileCommits, HugeReplicaCountIsRefusedWithoutExpandingTheNodes) {
  expect_refused("sed -i 's/replicas: 2$/replicas: 2000000000/' clusters/edge-lab/cluster.yaml",
                 "spec.pools[1].replicas is 2000000000, more than the 1000 nodes");
  expect_next_good_commit_applies();
}

TEST_F(HostileCommits, UnitThatIsNotUtf8IsRefused) {
  expect_refused(
      "printf '  ignition:\\n    units:\\n      - {name: a.service, source: a.service}\\n'"
      " >> clusters/edge-lab/cluster.yaml && "
      "printf '[Unit]\\nDescription=J\\366rg\\n' > clusters/edge-lab/a.service",
      "clusters/edge-lab/a.service is not valid UTF-8");
  expect_next_good_commit_applies();
}

// A link's target is the daemon's own file system if it were followed: /etc/passwd here.
TEST_F(HostileCommits, LinkToAnAbsolutePathIsRefusedNotFollowed) {
  expect_refused(kMotdFile + "ln -s /etc/passwd clusters/edge-lab/files/motd",
                 "which is outside the repository");
  expect_next_good_commit_applies();
}

TEST_F(HostileCommits, LinkThatClimbsOutOfTheCommitIsRefused) {
  expect_refused(kMotdFile + "ln -s ../../../../../../etc/passwd clusters/edge-lab/files/motd",
                 "which is outside the repository");
  expect_next_good_commit_applies();
}

TEST_F(HostileCommits, SourceFileOverOneMebibyteIsRefusedUnread) {
  expect_refused(kMotdFile + "head -c 1048577 /dev/zero | tr '\\0' x > clusters/edge-lab/files/motd",
                 "is 1048577 bytes, more than the 1 MiB nkd reads of such a file");
  expect_next_good_commit_applies();
}

}  // namespace
}  // namespace nkd
