// Sharding across replicas (DESIGN.md §8), end to end: three `nkd syncd` replicas on a real
// three-member etcd cluster share 30 bare-metal clusters. Every cluster has exactly one owner,
// a live replica; a replica killed with SIGKILL has its clusters applied by the others once its
// lease runs out; a killed etcd member stops nothing; a replica frozen past its lease (SIGSTOP)
// writes nothing for the clusters it lost when it runs again, and takes its share back without
// any cluster being left unowned on the way.
//
// The cases share one expensive setup (tests/support/replica_fixture.h), so they run as one
// ctest entry (tests/CMakeLists.txt), in the order written: each starts by waiting for a settled
// state (every cluster applied at the head and owned by the live replica rendezvous hashing
// gives it), and each kills or freezes what the next ones no longer need (r3, then one etcd
// member, then r2).
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "syncd/shard_coordinator.h"
#include "tests/support/replica_fixture.h"
#include "tests/support/test_support.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;
using testing::ReplicaFixture;
using SteadyClock = std::chrono::steady_clock;

constexpr int kClusters = 30;
constexpr int kLeaseTtlSeconds = 3;
// Time for the replicas to apply a commit to every cluster once they own them: the apply
// itself takes well under a second here, the rest is slack for a machine busy with other tests.
constexpr auto kApplyAllowance = 10s;

// A metric's value in Prometheus text (`name` with its labels, e.g.
// nkd_lease_renewals_total{result="expired"}); -1 when the series is absent.
double metric_value(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

std::int64_t milliseconds_since_epoch() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class ShardReplicasTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fixture_ = std::make_unique<ReplicaFixture>(
        kClusters,
        testing::ReplicaFixtureOptions{
            .replicas = 3, .lease_ttl_seconds = kLeaseTtlSeconds, .poll_interval = "1s"});
    started_ = fixture_->start();
  }
  static void TearDownTestSuite() { fixture_.reset(); }

  void SetUp() override {
    ASSERT_TRUE(started_) << fixture_->logs();
    ASSERT_TRUE(wait_settled(fixture_->repository().head(), 60s))
        << "the replicas did not settle: " << ownership_report() << fixture_->logs();
  }

  static std::set<int> live() {
    std::set<int> indexes;
    for (int i = 0; i < fixture_->size(); ++i) {
      if (!killed_.contains(i) && !stopped_.contains(i)) indexes.insert(i);
    }
    return indexes;
  }

  // Every cluster's newest applied revision, as a live replica's API shows it.
  static std::map<std::string, std::string> applied_revisions() {
    std::map<std::string, std::string> applied;
    for (const auto& cluster : fixture_->get_json(*live().begin(), "/api/v1/clusters")) {
      if (cluster.contains("name") && cluster["appliedRevision"].is_string()) {
        applied[cluster["name"]] = cluster["appliedRevision"];
      }
    }
    return applied;
  }

  static bool all_applied(const std::string& revision) {
    const auto applied = applied_revisions();
    return applied.size() == kClusters &&
           std::all_of(applied.begin(), applied.end(),
                       [&](const auto& entry) { return entry.second == revision; });
  }

  // Every cluster owned, each by a live replica (as etcd's owners/ and replicas/ keys say).
  static bool owned_by_live_replicas() {
    const auto owners = fixture_->owners();
    const auto registered = fixture_->live_replicas();
    if (!owners || !registered || owners->size() != kClusters) return false;
    const std::set<int> running = live();
    return std::all_of(owners->begin(), owners->end(), [&](const auto& entry) {
      return running.contains(ReplicaFixture::replica_index(entry.second)) &&
             std::find(registered->begin(), registered->end(), entry.second) != registered->end();
    });
  }

  // The split is done: exactly the running replicas are registered and every cluster is held by
  // the one rendezvous hashing gives it. Until then a handover may be under way (a replica that
  // joined late takes its share from the others a refresh after they release it), and a cluster
  // may be without an owner for that long.
  static bool split_settled() {
    const auto owners = fixture_->owners();
    const auto registered = fixture_->live_replicas();
    if (!owners || !registered || owners->size() != kClusters) return false;
    std::vector<std::string> running;
    for (int index : live()) running.push_back(ReplicaFixture::replica_id(index));
    if (*registered != running) return false;
    return std::all_of(owners->begin(), owners->end(), [&](const auto& entry) {
      return entry.second == syncd::rendezvous_owner(entry.first, running);
    });
  }

  static bool wait_settled(const std::string& revision, std::chrono::milliseconds timeout) {
    return testing::wait_until([&] { return split_settled() && all_applied(revision); }, timeout);
  }

  // One commit changing every cluster's render (the comment of its SSH key, which each node's
  // Ignition config carries); a signed webhook on a live replica makes it fetch at once (the
  // others learn of it through signals/fetch, or their next poll).
  static std::string commit_to_every_cluster(const std::string& round) {
    const std::string head = fixture_->repository().commit(
        "for c in clusters/*/; do sed -i 's/dev@example.org[^\"]*\"/dev@example.org " + round +
            "\"/' \"$c/cluster.yaml\"; done",
        "round " + round);
    fixture_->replica(*live().begin())
        .post_generic_hook(R"({"ref":"refs/heads/main","after":")" + head + R"("})");
    return head;
  }

  // Which clusters `id` owns now, by etcd's owners/.
  static std::set<std::string> clusters_of(const std::string& id) {
    std::set<std::string> owned;
    for (const auto& [cluster, owner] :
         fixture_->owners().value_or(std::map<std::string, std::string>{})) {
      if (owner == id) owned.insert(cluster);
    }
    return owned;
  }

  static std::string ownership_report() {
    std::string report = "owners: ";
    for (const auto& [cluster, owner] :
         fixture_->owners().value_or(std::map<std::string, std::string>{})) {
      report += cluster + "=" + owner + " ";
    }
    report += "\napplied: ";
    for (const auto& [cluster, revision] : applied_revisions()) {
      report += cluster + "=" + revision.substr(0, 8) + " ";
    }
    return report + "\n";
  }

  static inline std::unique_ptr<ReplicaFixture> fixture_;
  static inline bool started_ = false;
  static inline std::set<int> killed_;
  static inline std::set<int> stopped_;
};

TEST_F(ShardReplicasTest, EveryClusterHasExactlyOneLiveOwner) {
  const std::vector<std::string> clusters = fixture_->cluster_names();
  ASSERT_EQ(clusters.size(), static_cast<std::size_t>(kClusters));
  // Sampled for a few seconds (several refresh periods): no cluster is ever without an owner,
  // owned twice, or owned by a replica that is not registered.
  int samples = 0;
  const auto until = SteadyClock::now() + 3s;
  while (SteadyClock::now() < until) {
    const auto owners = fixture_->owners();
    const auto registered = fixture_->live_replicas();
    ASSERT_TRUE(owners && registered) << "etcd could not be read";
    EXPECT_EQ(*registered, (std::vector<std::string>{"r1", "r2", "r3"}));
    ASSERT_EQ(owners->size(), clusters.size()) << ownership_report();
    for (const std::string& cluster : clusters) {
      ASSERT_TRUE(owners->contains(cluster)) << cluster << " has no owner";
      EXPECT_NE(std::find(registered->begin(), registered->end(), owners->at(cluster)),
                registered->end())
          << cluster << " is owned by " << owners->at(cluster) << ", not a live replica";
    }
    ++samples;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_GT(samples, 10);

  // The replicas' own counts add up to every cluster, and each holds a share (rendezvous
  // hashing leaves a replica empty-handed with odds of about 1 in 60,000 for 30 clusters).
  const auto counts_add_up = [&] {
    double total = 0;
    for (int i = 0; i < fixture_->size(); ++i) {
      const std::string metrics = fixture_->metrics(i);
      if (metric_value(metrics, "nkd_shard_replicas") != 3) return false;
      const double owned = metric_value(metrics, "nkd_shard_clusters");
      if (owned <= 0) return false;
      total += owned;
    }
    return total == kClusters;
  };
  EXPECT_TRUE(testing::wait_until(counts_add_up, 5s)) << fixture_->metrics(0);

  // Every replica's API names the owner etcd names.
  const auto owners = fixture_->owners().value();
  for (int i = 0; i < fixture_->size(); ++i) {
    const auto listed = fixture_->get_json(i, "/api/v1/clusters");
    ASSERT_EQ(listed.size(), clusters.size()) << "replica " << i;
    for (const auto& cluster : listed) {
      EXPECT_EQ(cluster.value("owner", "<none>"), owners.at(cluster["name"].get<std::string>()))
          << cluster["name"] << " on replica " << ReplicaFixture::replica_id(i);
    }
    const auto replicas = fixture_->get_json(i, "/api/v1/replicas");
    EXPECT_EQ(replicas.value("self", ""), ReplicaFixture::replica_id(i));
    EXPECT_EQ(replicas.value("leaseTtlSeconds", 0), kLeaseTtlSeconds);
    const auto listed_replicas = replicas.value("replicas", nlohmann::json::array());
    EXPECT_EQ(listed_replicas.size(), 3u) << replicas.dump();
    int owned = 0;
    for (const auto& replica : listed_replicas) owned += replica.value("clusters", 0);
    EXPECT_EQ(owned, kClusters) << replicas.dump();
  }

  // `nkd status` against any replica shows each cluster's owner.
  const auto status = testing::run_command(
      {testing::nkd_binary(), "status", "--server", fixture_->replica(2).url()});
  EXPECT_NE(status.out.find("OWNER"), std::string::npos) << status.out << status.err;
  for (const std::string& cluster : clusters) {
    const auto row = status.out.find("\n" + cluster + " ");
    ASSERT_NE(row, std::string::npos) << cluster << " is not listed:\n" << status.out;
    const std::string line = status.out.substr(row + 1, status.out.find('\n', row + 1) - row - 1);
    EXPECT_NE(line.find(" " + owners.at(cluster) + " "), std::string::npos)
        << "the row of " << cluster << " does not name its owner " << owners.at(cluster) << ": "
        << line;
  }
}

TEST_F(ShardReplicasTest, AKilledReplicasClustersAreAppliedByTheOthers) {
  constexpr int kVictim = 2;
  const std::string victim = ReplicaFixture::replica_id(kVictim);
  const std::set<std::string> orphaned = clusters_of(victim);
  ASSERT_FALSE(orphaned.empty()) << ownership_report();

  const auto killed_at = SteadyClock::now();
  fixture_->signal(kVictim, SIGKILL);
  killed_.insert(kVictim);
  const std::string head = commit_to_every_cluster("after-kill");

  // The lease runs out after the TTL (etcd checks expiry every 500 ms), the others claim at
  // their next refresh: from then on owners/ never names the dead replica again.
  const auto released_by =
      killed_at + std::chrono::seconds(kLeaseTtlSeconds) + fixture_->refresh_period() + 1s;
  const auto deadline = released_by + kApplyAllowance;
  bool applied = false;
  double failover_seconds = 0;
  double still_owning_at_seconds = 0;
  while (SteadyClock::now() < deadline) {
    const auto now = SteadyClock::now();
    if (now > released_by && still_owning_at_seconds == 0 && !clusters_of(victim).empty()) {
      still_owning_at_seconds = std::chrono::duration<double>(now - killed_at).count();
    }
    if (owned_by_live_replicas() && all_applied(head)) {
      failover_seconds = std::chrono::duration<double>(SteadyClock::now() - killed_at).count();
      applied = true;
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(still_owning_at_seconds, 0)
      << victim << " still owned clusters " << still_owning_at_seconds << " s after its death";
  ASSERT_TRUE(applied) << "not every cluster was applied at " << head << ": " << ownership_report()
                       << fixture_->logs();
  std::printf(
      "failover: SIGKILL of %s -> its %zu clusters owned and applied by the others in %.2f s"
      " (lease TTL %d s, refresh %lld ms)\n",
      victim.c_str(), orphaned.size(), failover_seconds, kLeaseTtlSeconds,
      static_cast<long long>(fixture_->refresh_period().count()));

  // Applied by the survivors: the newest attempt of each orphaned cluster ran elsewhere.
  for (const std::string& cluster : orphaned) {
    const auto history = fixture_->get_json(0, "/api/v1/clusters/" + cluster + "/history");
    ASSERT_TRUE(history.is_array() && !history.empty()) << cluster;
    const auto newest =
        std::max_element(history.begin(), history.end(), [](const auto& a, const auto& b) {
          return a.value("startedAt", "") < b.value("startedAt", "");
        });
    EXPECT_EQ((*newest)["revision"], head) << cluster << ": " << history.dump();
    EXPECT_NE((*newest).value("replica", victim), victim) << cluster << ": " << newest->dump();
  }
}

TEST_F(ShardReplicasTest, AKilledEtcdMemberStopsNothing) {
  std::map<int, double> expired_before;
  for (int index : live()) {
    expired_before[index] =
        metric_value(fixture_->metrics(index), R"(nkd_lease_renewals_total{result="expired"})");
  }
  // The first endpoint every replica tries: their requests must move on to the others.
  fixture_->etcd().kill_member(0);
  const std::string head = commit_to_every_cluster("after-etcd-member");
  EXPECT_TRUE(wait_settled(head, kApplyAllowance + 5s))
      << "not every cluster was applied at " << head
      << " with two etcd members: " << ownership_report() << fixture_->logs();
  // No replica lost its lease for it.
  for (int index : live()) {
    EXPECT_EQ(
        metric_value(fixture_->metrics(index), R"(nkd_lease_renewals_total{result="expired"})"),
        expired_before[index])
        << ReplicaFixture::replica_id(index) << ":\n"
        << fixture_->log(index);
  }
}

TEST_F(ShardReplicasTest, AReplicaFrozenPastItsLeaseWritesNothingForClustersItLost) {
  constexpr int kFrozen = 1;
  const std::string frozen = ReplicaFixture::replica_id(kFrozen);
  const std::set<std::string> lost = clusters_of(frozen);
  ASSERT_FALSE(lost.empty()) << ownership_report();
  ASSERT_GE(live().size(), 2u) << "another replica must be there to take them";

  const std::int64_t stopped_at_ms = milliseconds_since_epoch();
  fixture_->signal(kFrozen, SIGSTOP);
  stopped_.insert(kFrozen);
  // Past its TTL: the others take its clusters; a commit made meanwhile is applied by them.
  ASSERT_TRUE(
      testing::wait_until([&] { return clusters_of(frozen).empty(); },
                          std::chrono::seconds(kLeaseTtlSeconds) + fixture_->refresh_period() + 5s))
      << ownership_report();
  const std::string head = commit_to_every_cluster("while-frozen");
  ASSERT_TRUE(wait_settled(head, kApplyAllowance)) << ownership_report() << fixture_->logs();

  // Thawed: until etcd names it the owner of a lost cluster again, whatever it writes for that
  // cluster is a write by a replica that does not own it. The last moment each cluster was seen
  // owned by another (or by none) is where its legitimate writes may begin.
  fixture_->signal(kFrozen, SIGCONT);
  stopped_.erase(kFrozen);
  std::map<std::string, std::int64_t> not_its_own_until_ms;
  std::set<std::string> owned_again;
  int samples_with_unowned_clusters = 0;
  const auto watch_until = SteadyClock::now() + 4 * fixture_->refresh_period() + 1s;
  while (SteadyClock::now() < watch_until) {
    // Taken before the read: the read shows etcd as it was at this moment or later.
    const std::int64_t sampled_at_ms = milliseconds_since_epoch();
    const auto owners = fixture_->owners();
    if (!owners) continue;
    // The others hand its share back to it: each key moves to its lease in one write.
    if (owners->size() != static_cast<std::size_t>(kClusters)) ++samples_with_unowned_clusters;
    for (const std::string& cluster : lost) {
      if (owned_again.contains(cluster)) continue;
      const auto owner = owners->find(cluster);
      if (owner != owners->end() && owner->second == frozen) {
        owned_again.insert(cluster);
      } else {
        not_its_own_until_ms[cluster] = sampled_at_ms;
      }
    }
    std::this_thread::sleep_for(10ms);
  }
  std::printf("%s owns %zu of the %zu clusters it lost again after it was thawed\n", frozen.c_str(),
              owned_again.size(), lost.size());
  EXPECT_EQ(samples_with_unowned_clusters, 0)
      << "a cluster was without an owner while the split changed back";

  // It noticed: its lease had expired while it was frozen.
  EXPECT_TRUE(testing::wait_until(
      [&] {
        return metric_value(fixture_->metrics(kFrozen),
                            R"(nkd_lease_renewals_total{result="expired"})") >= 1;
      },
      5s))
      << fixture_->metrics(kFrozen) << fixture_->log(kFrozen);

  int rows_checked = 0;
  for (const std::string& cluster : lost) {
    const auto history = fixture_->get_json(0, "/api/v1/clusters/" + cluster + "/history");
    ASSERT_TRUE(history.is_array()) << cluster;
    for (const auto& row : history) {
      ++rows_checked;
      if (row.value("replica", "") != frozen) continue;
      // RFC 3339 with milliseconds in UTC, one fixed width: compared as text.
      const std::string stopped = format_rfc3339_ms(stopped_at_ms);
      const std::string not_its_own_until = format_rfc3339_ms(not_its_own_until_ms[cluster]);
      const auto in_window = [&](const char* field) {
        return row[field].is_string() && row[field].get<std::string>() > stopped &&
               row[field].get<std::string>() <= not_its_own_until;
      };
      // A finish is written at its finishedAt. An opening is written at its startedAt, but a
      // finished row may carry the startedAt of an earlier attempt at the same render (history
      // grows only when the digest or the outcome changes), possibly another replica's: only
      // rows still open, or superseded, show when this replica opened them.
      const std::string outcome = row.value("outcome", "");
      const bool opened_in_window =
          (outcome == "pending" || outcome == "superseded") && in_window("startedAt");
      EXPECT_FALSE(in_window("finishedAt") || opened_in_window)
          << frozen << " wrote a row for " << cluster << " after it was frozen (" << stopped
          << ") and before it owned the cluster again (not before " << not_its_own_until
          << "): " << row.dump() << "\n"
          << fixture_->log(kFrozen);
    }
  }
  EXPECT_GE(rows_checked, static_cast<int>(lost.size()));
  // And the clusters are all applied at the head, whoever owns them now.
  EXPECT_TRUE(wait_settled(head, kApplyAllowance)) << ownership_report();
}

}  // namespace
}  // namespace nkd
