// Several replicas splitting the clusters on one real etcd member (state/etcd_shard_store.h,
// syncd/shard_coordinator.h): each replica here is an EtcdStateStore and a ShardCoordinator of
// its own, as each `nkd syncd` process has, driven refresh by refresh. Checked: every cluster
// has exactly one owner, the one rendezvous hashing names; writes for another replica's cluster
// are refused in the same transaction as the ownership check (intents included); a replica whose
// lease expired owns nothing and writes nothing until it has joined again; a cluster changing
// hands is never without an owner and nobody writes for it until its heir takes it up; a clean
// stop frees its clusters at once; a joining replica takes only its share; a webhook on one
// replica reaches the others. Suites are named Etcd* so they share one member a process.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/curl_http_client.h"
#include "state/etcd_state_store.h"
#include "syncd/shard_coordinator.h"
#include "tests/support/etcd_member.h"
#include "tests/support/state_rows.h"
#include "tests/support/state_testing.h"

namespace nkd::syncd {
namespace {

using nkd::testing::EtcdMember;
namespace rows = state::rows;

constexpr std::int64_t kTtlSeconds = 2;

std::vector<std::string> cluster_names(int count) {
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) names.push_back("c" + std::to_string(i));
  return names;
}

// One replica: its own store on the shared prefix, and its coordinator, whose refresh thread
// (when it has one) reports here; the coordinator goes first, stopping that thread.
struct Replica {
  std::unique_ptr<state::EtcdStateStore> store;
  metrics::Metrics metrics{"test", "test"};
  std::vector<std::string> clusters;
  std::atomic<std::size_t> taken_over{0};
  std::atomic<int> fetches{0};
  std::unique_ptr<ShardCoordinator> shards;
};

class EtcdShardTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { member_ = std::make_unique<EtcdMember>(); }
  static void TearDownTestSuite() { member_.reset(); }
  void SetUp() override {
    ASSERT_TRUE(member_->ready());
    prefix_ = std::string("/etcd-shard/") +
              ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  std::unique_ptr<Replica> start_replica(const std::string& id, int clusters,
                                         bool in_background = false) {
    auto replica = std::make_unique<Replica>();
    auto opened = state::EtcdStateStore::open(member_->settings(prefix_), real_clock(), nullptr,
                                              state::test_sealer({state::test_state_key('k')}));
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    if (!opened) return nullptr;
    replica->store = std::move(*opened);
    replica->clusters = cluster_names(clusters);
    replica->shards = std::make_unique<ShardCoordinator>(
        *replica->store->shards(),
        ShardSettings{.replica_id = id,
                      .advertise_url = "https://" + id + ".test:8443",
                      .lease_ttl_seconds = kTtlSeconds,
                      .refresh_in_background = in_background},
        replica->metrics, real_clock());
    Replica* raw = replica.get();
    auto started = replica->shards->start(ShardCoordinator::Listeners{
        .took_over =
            [raw](const std::vector<std::string>& claimed) { raw->taken_over += claimed.size(); },
        .fetch_signalled = [raw] { ++raw->fetches; },
        .clusters = [raw] { return raw->clusters; }});
    EXPECT_TRUE(started.ok()) << started.error().message;
    return replica;
  }

  // The owners/ keys as etcd has them.
  std::map<std::string, std::string> owners() {
    auto client =
        state::EtcdClient::create(member_->settings(prefix_), std::make_unique<CurlHttpClient>());
    EXPECT_TRUE(client.ok());
    std::map<std::string, std::string> found;
    auto listed = (*client)->list("owners/");
    EXPECT_TRUE(listed.ok()) << listed.error().message;
    if (listed) {
      for (const auto& entry : listed->values) found[entry.key.substr(7)] = entry.value;
    }
    return found;
  }

  static std::set<std::string> owned_by(const Replica& replica) {
    std::set<std::string> owned;
    for (const std::string& cluster : replica.clusters) {
      if (replica.shards->owns(cluster)) owned.insert(cluster);
    }
    return owned;
  }

  static inline std::unique_ptr<EtcdMember> member_;
  std::string prefix_;
};

TEST_F(EtcdShardTest, EveryClusterHasOneOwnerTheRendezvousOneAndOthersCannotWriteForIt) {
  auto a = start_replica("a", 30);
  auto b = start_replica("b", 30);
  auto c = start_replica("c", 30);
  ASSERT_TRUE(a && b && c);
  for (int round = 0; round < 2; ++round) {
    for (Replica* replica : {a.get(), b.get(), c.get()}) replica->shards->refresh();
  }
  const std::map<std::string, std::string> stored = owners();
  ASSERT_EQ(stored.size(), 30u);
  for (const std::string& cluster : cluster_names(30)) {
    const std::string expected = rendezvous_owner(cluster, {"a", "b", "c"});
    EXPECT_EQ(stored.at(cluster), expected) << cluster;
    int believers = 0;
    for (Replica* replica : {a.get(), b.get(), c.get()})
      believers += replica->shards->owns(cluster);
    EXPECT_EQ(believers, 1) << cluster << " is owned by exactly one replica";
  }
  EXPECT_EQ(owned_by(*a).size() + owned_by(*b).size() + owned_by(*c).size(), 30u);
  EXPECT_GE(owned_by(*a).size(), 3u) << "the split is roughly even";
  EXPECT_EQ(a->shards->owner_of("c0"), stored.at("c0"));
  EXPECT_EQ(a->shards->replicas_document()["replicas"].size(), 3u);

  // A replica's write for a cluster it does not own is refused; for its own it goes through.
  const std::string of_a = *owned_by(*a).begin();
  const std::string of_b = *owned_by(*b).begin();
  auto refused = a->store->save_status(rows::cluster_record(of_b, "d1"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  EXPECT_NE(refused.error().message.find("does not own cluster " + of_b), std::string::npos)
      << refused.error().message;
  EXPECT_TRUE(a->store->save_status(rows::cluster_record(of_a, "d1")).ok());
  EXPECT_FALSE(a->store->add_intent(rows::make_intent(of_b, "create-server", "n1")).ok())
      << "no intent, so no provider call, for another replica's cluster";
  auto intent = a->store->add_intent(rows::make_intent(of_a, "create-server", "n1"));
  ASSERT_TRUE(intent.ok()) << intent.error().message;
  EXPECT_TRUE(a->store->complete_intent(*intent).ok());
  // History rows say which replica ran the attempt.
  const auto row = a->store->begin_attempt(rows::attempt_row(of_a, "d2", 1000));
  ASSERT_TRUE(row.ok()) << row.error().message;
  EXPECT_EQ(row->replica, "a");
}

TEST_F(EtcdShardTest, AWriteAfterTheClusterMovedIsRefusedInItsTransactionBeforeTheReplicaNoticed) {
  auto a = start_replica("a", 6);
  ASSERT_TRUE(a);
  a->shards->refresh();
  ASSERT_TRUE(a->shards->owns("c1"));
  // The cluster moves behind a's back (as when its lease expired and another replica claimed
  // it in the moment before a's refresh): a still believes it owns it.
  auto client =
      state::EtcdClient::create(member_->settings(prefix_), std::make_unique<CurlHttpClient>());
  ASSERT_TRUE(client.ok());
  state::EtcdTxn moved;
  moved.remove("owners/c1");
  ASSERT_TRUE((*client)->commit(moved).ok());
  state::EtcdTxn claimed;
  claimed.put("owners/c1", "b");
  ASSERT_TRUE((*client)->commit(claimed).ok());
  ASSERT_TRUE(a->shards->owns("c1"));

  auto intent = a->store->add_intent(rows::make_intent("c1", "create-server", "n1"));
  ASSERT_FALSE(intent.ok()) << "the ownership compare is in the intent's own transaction";
  EXPECT_EQ(intent.error().code, ErrorCode::kConflict);
  auto pending = a->store->pending_intents("c1");
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->empty()) << "nothing was recorded";
  EXPECT_FALSE(a->shards->owns("c1")) << "the refusal told a it lost the cluster";
  EXPECT_FALSE(a->store->save_status(rows::cluster_record("c1", "d1")).ok());
  EXPECT_TRUE(a->store->save_status(rows::cluster_record("c2", "d1")).ok()) << "c2 is still a's";
}

TEST_F(EtcdShardTest, AnExpiredLeaseLosesEveryClusterToTheOthersAndItsWritesAreRefused) {
  auto a = start_replica("a", 12);
  auto b = start_replica("b", 12);
  ASSERT_TRUE(a && b);
  a->shards->refresh();
  b->shards->refresh();
  const std::set<std::string> a_had = owned_by(*a);
  ASSERT_FALSE(a_had.empty());
  const std::string lost = *a_had.begin();
  ASSERT_TRUE(a->store->add_intent(rows::make_intent(lost, "create-server", "n1")).ok());

  // a stops renewing (as a stopped process does) past its TTL; b goes on refreshing.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kTtlSeconds + 3);
  while (owned_by(*b).size() < 12 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    b->shards->refresh();
  }
  EXPECT_EQ(owned_by(*b).size(), 12u) << "b took over a's clusters after a's lease expired";
  EXPECT_TRUE(owned_by(*a).empty()) << "a knows its lease may be gone without asking etcd";
  auto refused = a->store->add_intent(rows::make_intent(lost, "create-server", "n2"));
  EXPECT_FALSE(refused.ok()) << "a records no intent for the cluster it lost";
  EXPECT_FALSE(a->store->save_status(rows::cluster_record(lost, "d9")).ok());
  EXPECT_TRUE(b->store->save_status(rows::cluster_record(lost, "d3")).ok());

  // a comes back: its renewal finds the lease gone, it joins again and takes its share back.
  const double expired_before =
      a->metrics.lease_renewals_total.Add({{"result", "expired"}}).Value();
  a->shards->refresh();
  EXPECT_EQ(a->metrics.lease_renewals_total.Add({{"result", "expired"}}).Value(),
            expired_before + 1);
  b->shards->refresh();  // b hands what is a's back
  a->shards->refresh();  // a takes it up
  EXPECT_EQ(owned_by(*a), a_had) << "the split is the same as before with the same replicas";
  EXPECT_EQ(owned_by(*a).size() + owned_by(*b).size(), 12u);
}

TEST_F(EtcdShardTest, AStoppedReplicaHandsOverAtOnceAndAJoiningOneTakesOnlyItsShare) {
  auto a = start_replica("a", 40);
  auto b = start_replica("b", 40);
  ASSERT_TRUE(a && b);
  a->shards->refresh();
  b->shards->refresh();
  const std::map<std::string, std::string> before = owners();
  ASSERT_EQ(before.size(), 40u);

  auto c = start_replica("c", 40);
  ASSERT_TRUE(c);
  const std::set<std::string> a_before = owned_by(*a);
  a->shards->refresh();  // hand over what is c's now
  b->shards->refresh();
  // Handed over, not released: every key names an owner, those that moved name c, on c's lease;
  // neither the giver nor c (which has not taken them up yet) may write for them meanwhile.
  const std::map<std::string, std::string> handed = owners();
  ASSERT_EQ(handed.size(), 40u) << "no cluster is without an owner while it changes hands";
  std::string moved_from_a;
  for (const std::string& cluster : a_before) {
    if (handed.at(cluster) == "c") moved_from_a = cluster;
  }
  ASSERT_FALSE(moved_from_a.empty()) << "a handed none of its clusters to c";
  EXPECT_FALSE(a->shards->owns(moved_from_a));
  EXPECT_FALSE(c->shards->owns(moved_from_a));
  EXPECT_FALSE(a->store->save_status(rows::cluster_record(moved_from_a, "d1")).ok());
  EXPECT_FALSE(c->store->save_status(rows::cluster_record(moved_from_a, "d1")).ok());
  c->shards->refresh();  // take them up
  EXPECT_TRUE(c->store->save_status(rows::cluster_record(moved_from_a, "d2")).ok());
  EXPECT_FALSE(a->store->save_status(rows::cluster_record(moved_from_a, "d3")).ok());
  const std::map<std::string, std::string> after = owners();
  EXPECT_EQ(after, handed) << "taking a cluster up moves no key";
  int moved = 0;
  for (const auto& [cluster, owner] : after) {
    if (owner == before.at(cluster)) continue;
    ++moved;
    EXPECT_EQ(owner, "c") << cluster << " moved, and only to the joining replica";
  }
  EXPECT_EQ(static_cast<std::size_t>(moved), owned_by(*c).size());
  EXPECT_GT(moved, 4) << "c took a share";
  EXPECT_LT(moved, 24) << "c took about a third, not more";
  EXPECT_EQ(c->taken_over.load(), static_cast<std::size_t>(moved));

  // A clean stop revokes the lease: the next refresh of the others takes its clusters.
  c->shards->stop();
  a->shards->refresh();
  b->shards->refresh();
  EXPECT_EQ(owners(), before) << "back to the split of a and b";
}

TEST_F(EtcdShardTest, ReplicasRefreshingOnTheirOwnSettleOnTheSplitAndFollowADeparture) {
  auto a = start_replica("a", 20, /*in_background=*/true);
  auto b = start_replica("b", 20, /*in_background=*/true);
  ASSERT_TRUE(a && b);
  auto settled = [&](const std::vector<std::string>& replicas) {
    for (int i = 0; i < 100; ++i) {
      bool all = true;
      for (const std::string& cluster : cluster_names(20)) {
        const std::string owner = rendezvous_owner(cluster, replicas);
        const bool a_owns = a->shards->owns(cluster);
        const bool b_owns = b && b->shards->owns(cluster);
        all &= (owner == "a" ? a_owns && !b_owns : b_owns && !a_owns);
      }
      if (all) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  EXPECT_TRUE(settled({"a", "b"}));
  b->shards->stop();
  b.reset();
  EXPECT_TRUE(settled({"a"})) << "a took b's clusters after b left";
  EXPECT_EQ(a->metrics.shard_clusters.Add({}).Value(), 20);
  EXPECT_GE(a->metrics.lease_renewals_total.Add({{"result", "ok"}}).Value(), 1);
}

TEST_F(EtcdShardTest, AWebhookOnOneReplicaMakesTheOthersFetch) {
  auto a = start_replica("a", 2);
  auto b = start_replica("b", 2);
  ASSERT_TRUE(a && b);
  b->shards->refresh();
  const int fetches = b->fetches.load();
  a->shards->signal_fetch();
  b->shards->refresh();
  EXPECT_EQ(b->fetches.load(), fetches + 1);
  b->shards->refresh();
  EXPECT_EQ(b->fetches.load(), fetches + 1) << "once per signal";
}

}  // namespace
}  // namespace nkd::syncd
