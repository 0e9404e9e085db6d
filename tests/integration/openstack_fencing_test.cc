// Two replicas on one etcd racing for one OpenStack cluster against the real test cloud
// (tests/openstack/) and a real etcd member: whatever the interleaving, each node gets exactly
// one server. The replica that does not own the cluster records no intent and so makes no
// create; the owner that loses the cluster mid-apply makes no further call; the new owner waits
// for the creates the old one may still have on their way instead of making them again.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "state/etcd_state_store.h"
#include "syncd/shard_coordinator.h"
#include "tests/integration/openstack_provider_fixture.h"
#include "tests/support/etcd_member.h"
#include "tests/support/state_testing.h"

namespace nkd::providers::openstack {
namespace {

using testing::OpenStackControlPlane;

struct FencedReplica {
  std::unique_ptr<state::EtcdStateStore> store;
  metrics::Metrics shard_metrics{"test"};
  std::unique_ptr<syncd::ShardCoordinator> shards;
  std::unique_ptr<OpenStackProvider> provider;
};

class OpenStackReplicaFencing : public OpenStackProviderContract {
 protected:
  void SetUp() override {
    OpenStackProviderContract::SetUp();
    if (IsSkipped()) return;
    etcd_ = std::make_unique<nkd::testing::EtcdMember>();
    ASSERT_TRUE(etcd_->ready());
  }

  // A replica as `nkd syncd` makes one: its store, its share, its provider (counting into the
  // fixture's metrics, so creates() counts both replicas' creates).
  std::unique_ptr<FencedReplica> replica(const std::string& id) {
    auto made = std::make_unique<FencedReplica>();
    auto opened = state::EtcdStateStore::open(etcd_->settings("/fencing"), clock_, nullptr,
                                              state::test_sealer({state::test_state_key('f')}));
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    if (!opened) return nullptr;
    made->store = std::move(*opened);
    made->shards = std::make_unique<syncd::ShardCoordinator>(
        *made->store->shards(),
        syncd::ShardSettings{.replica_id = id, .lease_ttl_seconds = 3},
        made->shard_metrics, clock_);
    const std::string cluster = cluster_;
    EXPECT_TRUE(
        made->shards->start({.clusters = [cluster] { return std::vector<std::string>{cluster}; }})
            .ok());
    OpenStackProviderOptions options;
    options.recreate_backoff = std::chrono::milliseconds(200);
    options.inherited_create_grace = std::chrono::seconds(4);
    made->provider = std::make_unique<OpenStackProvider>(clouds_, http_, clock_, *made->store,
                                                         &metrics_, options);
    return made;
  }

  std::size_t servers_named(const std::string& node) {
    return OpenStackControlPlane::server_ids(OpenStackControlPlane::kDemoCloud, node).size();
  }

  // Waits (bounded) until `done`, as the replicas' own refreshes (every second) get there.
  static bool eventually(const std::function<bool()>& done) {
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (!done()) {
      if (std::chrono::steady_clock::now() > limit) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
  }

  std::unique_ptr<nkd::testing::EtcdMember> etcd_;
};

TEST_F(OpenStackReplicaFencing, TwoReplicasRacingForOneClusterNeverCreateADuplicateServer) {
  auto a = replica("a");
  auto b = replica("b");
  ASSERT_TRUE(a && b);
  // The rendezvous owner of the two: a hands the cluster over if it is b's.
  const std::string expected = syncd::rendezvous_owner(cluster_, {"a", "b"});
  FencedReplica& expected_owner = expected == "a" ? *a : *b;
  ASSERT_TRUE(eventually([&] { return expected_owner.shards->owns(cluster_); }));
  ASSERT_NE(a->shards->owns(cluster_), b->shards->owns(cluster_)) << "exactly one owner";
  FencedReplica& owner = a->shards->owns(cluster_) ? *a : *b;
  FencedReplica& other = a->shards->owns(cluster_) ? *b : *a;

  // Both apply the same 1+2 cluster at once, as a replica that has not seen its loss yet would.
  const model::Cluster cluster = make_cluster(cluster_, OpenStackControlPlane::kDemoCloud, 2);
  Result<ApplyOutcome> owners_apply = Error{ErrorCode::kInternal, "not run"};
  Result<ApplyOutcome> others_apply = Error{ErrorCode::kInternal, "not run"};
  {
    std::jthread first(
        [&] { owners_apply = owner.provider->apply(cluster, make_render(cluster), {}); });
    std::jthread second(
        [&] { others_apply = other.provider->apply(cluster, make_render(cluster), {}); });
  }
  ASSERT_TRUE(owners_apply.ok()) << owners_apply.error().message;
  EXPECT_TRUE(owners_apply->complete) << owners_apply->message;
  ASSERT_FALSE(others_apply.ok()) << "the replica without the cluster made its servers";
  EXPECT_NE(others_apply.error().message.find("does not own cluster " + cluster_),
            std::string::npos)
      << others_apply.error().message;
  EXPECT_EQ(servers_in(), 3u);
  EXPECT_EQ(creates(), 3);

  // Scaled to 1+4: the owner loses the cluster while its creates are under way, and the other
  // replica takes it over and applies at once, while the first apply goes on.
  const model::Cluster bigger = make_cluster(cluster_, OpenStackControlPlane::kDemoCloud, 4);
  Result<ApplyOutcome> lost_apply = Error{ErrorCode::kInternal, "not run"};
  std::jthread losing([&] { lost_apply = owner.provider->apply(bigger, make_render(bigger), {}); });
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (owner.store->pending_intents(cluster_).value().empty() &&
         std::chrono::steady_clock::now() < limit) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  owner.shards->stop();  // its lease is revoked: the cluster is free
  ASSERT_TRUE(eventually([&] { return other.shards->owns(cluster_); }));
  Result<ApplyOutcome> taken = Error{ErrorCode::kInternal, "not run"};
  while (std::chrono::steady_clock::now() < limit) {
    taken = other.provider->apply(bigger, make_render(bigger), {});
    if (taken.ok() && taken->complete) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  losing.join();
  ASSERT_TRUE(taken.ok()) << taken.error().message;
  EXPECT_TRUE(taken->complete) << taken->message;
  EXPECT_EQ(servers_in(), 5u);
  for (int worker = 0; worker < 4; ++worker) {
    const std::string node = cluster_ + "-w-" + std::to_string(worker);
    EXPECT_EQ(servers_named(node), 1u) << node << " has one server";
  }
  EXPECT_EQ(creates(), 5) << "one create a node over both replicas (the lost apply said: "
                          << (lost_apply.ok() ? lost_apply->message : lost_apply.error().message)
                          << ")";
  EXPECT_TRUE(other.store->pending_intents(cluster_).value().empty());
}

}  // namespace
}  // namespace nkd::providers::openstack
