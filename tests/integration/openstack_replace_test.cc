// Contract tests of OpenStackProvider's replace against the real test cloud (tests/openstack/):
// a change of first-boot content replaces every worker (new IDs), draining each before its
// delete, never more at once than upgrade.maxUnavailable, and refuses to replace a control-plane
// server, naming it (its server stays); a version-only change (same boot digest) keeps every
// server; servers made before boot digests are compared by their config digest.
#include <gtest/gtest.h>

#include <mutex>
#include <set>

#include "providers/openstack/cluster_apply.h"
#include "providers/openstack/compute.h"
#include "providers/openstack/image.h"
#include "tests/integration/openstack_provider_fixture.h"
#include "tests/support/state_testing.h"

namespace nkd::providers::openstack {
namespace {

using testing::OpenStackControlPlane;

// What a drain hook saw at each call: which node, and how many desired nodes were not ACTIVE
// (or not there) at that moment, by the provider's own observe().
struct DrainLog {
  std::mutex mutex;
  std::vector<std::string> order;
  std::vector<std::string> present_at_drain;  // nodes still there when their drain began
  int most_unavailable_at_drain = 0;
};

ApplyHooks recording_hooks(OpenStackProvider& openstack, const std::string& cluster,
                           std::size_t desired, DrainLog& log) {
  return ApplyHooks{.before_delete = [&openstack, cluster, desired, &log](const std::string& node) {
    Result<std::vector<ObservedNode>> seen = openstack.observe(cluster);
    std::lock_guard lock(log.mutex);
    log.order.push_back(node);
    if (!seen) return Status(seen.error());
    std::size_t active = 0;
    for (const ObservedNode& observed : *seen) {
      if (observed.state == nkd::state::NodeState::kProvisioned) ++active;
      if (observed.name == node) log.present_at_drain.push_back(node);
    }
    // Replacements in flight besides this one show as missing or not ACTIVE servers.
    const int unavailable = static_cast<int>(desired) - static_cast<int>(std::min(active, desired));
    log.most_unavailable_at_drain = std::max(log.most_unavailable_at_drain, unavailable);
    return ok_status();
  }};
}

TEST_F(OpenStackProviderContract, FirstBootChangeReplacesWorkersOneAtATimeAndRefusesControlPlane) {
  auto openstack = provider();
  model::Cluster cluster = make_cluster(cluster_, OpenStackControlPlane::kDemoCloud, 2);
  cluster.upgrade.max_unavailable = 1;
  const RenderVariant first_variant{.with_boot_digest = true};
  Result<ApplyOutcome> first = openstack->apply(cluster, make_render(cluster, first_variant), {});
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(first->complete) << first->message;
  const std::map<std::string, std::string> old_ids = ids_of(first->nodes);

  DrainLog log;
  const RenderVariant changed{.boot_file = "motd-2", .with_boot_digest = true};
  const render::ClusterRender render = make_render(cluster, changed);
  Result<ApplyOutcome> replaced =
      openstack->apply(cluster, render, recording_hooks(*openstack, cluster_, 3, log));
  ASSERT_FALSE(replaced.ok()) << "a stale control-plane server must not count as applied";
  EXPECT_EQ(replaced.error().code, ErrorCode::kConflict) << replaced.error().message;
  EXPECT_NE(replaced.error().message.find("control-plane node(s) " + cluster_ + "-cp-0 were built "
                                          "from an earlier first-boot config"),
            std::string::npos)
      << replaced.error().message;
  EXPECT_EQ(log.order, (std::vector<std::string>{cluster_ + "-w-0", cluster_ + "-w-1"}))
      << "workers only, in order";
  EXPECT_EQ(log.present_at_drain, log.order) << "each drain comes before its server's delete";
  EXPECT_EQ(log.most_unavailable_at_drain, 0)
      << "with maxUnavailable 1, a replacement starts only when the one before is ACTIVE again";

  const std::vector<ObservedNode> now = openstack->observe(cluster_).value();
  const std::map<std::string, std::string> new_ids = ids_of(now);
  EXPECT_EQ(new_ids.at(cluster_ + "-cp-0"), old_ids.at(cluster_ + "-cp-0"))
      << "the control-plane server is kept";
  for (const std::string& worker : {cluster_ + "-w-0", cluster_ + "-w-1"}) {
    EXPECT_NE(new_ids.at(worker), old_ids.at(worker)) << worker << " kept its old server";
  }
  for (const render::NodeRender& node : render.nodes) {
    if (node.node.role != model::PoolRole::kWorker) continue;
    const auto found = std::find_if(now.begin(), now.end(),
                                    [&](const ObservedNode& seen) { return seen.name == node.node.name; });
    ASSERT_NE(found, now.end());
    EXPECT_EQ(found->config_digest, node.ignition_sha256);
    EXPECT_EQ(found->state, nkd::state::NodeState::kProvisioned);
  }
  EXPECT_EQ(servers_in(), 3u) << "the old workers are gone, one server per node";
  EXPECT_EQ(creates(), 5);
}

TEST_F(OpenStackProviderContract, VersionOnlyChangeKeepsEveryServerAndCompletes) {
  auto openstack = provider();
  model::Cluster cluster = make_cluster(cluster_, OpenStackControlPlane::kDemoCloud, 1);
  Result<ApplyOutcome> first =
      openstack->apply(cluster, make_render(cluster, {.with_boot_digest = true}), {});
  ASSERT_TRUE(first.ok()) << first.error().message;
  const std::map<std::string, std::string> old_ids = ids_of(first->nodes);

  int drains = 0;
  ApplyHooks counting{.before_delete = [&](const std::string&) {
    ++drains;
    return ok_status();
  }};
  const render::ClusterRender upgraded =
      make_render(cluster, {.version = "v1.30.0", .with_boot_digest = true});
  Result<ApplyOutcome> applied = openstack->apply(cluster, upgraded, counting);
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_TRUE(applied->complete) << "a version change is housekeeper's, not a reason to wait: "
                                 << applied->message;
  EXPECT_EQ(ids_of(applied->nodes), old_ids);
  EXPECT_EQ(drains, 0);
  EXPECT_EQ(creates(), 2);
  std::map<std::string, std::string> built_from;
  for (const render::NodeRender& node : make_render(cluster, {.with_boot_digest = true}).nodes) {
    built_from[node.node.name] = node.ignition_sha256;
  }
  for (const ObservedNode& node : applied->nodes) {
    EXPECT_EQ(node.state, nkd::state::NodeState::kProvisioned);
    EXPECT_EQ(node.config_digest, built_from.at(node.name))
        << "the server reports the config it was built from";
  }
}

TEST_F(OpenStackProviderContract, ServerWithoutBootDigestIsReplacedWhenItsConfigDigestChanges) {
  auto openstack = provider();
  model::Cluster cluster = make_cluster(cluster_, OpenStackControlPlane::kDemoCloud, 1);
  // Made by a provider that knew no boot digests: the servers carry nkd.digest only.
  Result<ApplyOutcome> first = openstack->apply(cluster, make_render(cluster), {});
  ASSERT_TRUE(first.ok()) << first.error().message;
  const std::map<std::string, std::string> old_ids = ids_of(first->nodes);

  Result<ApplyOutcome> same =
      openstack->apply(cluster, make_render(cluster, {.with_boot_digest = true}), {});
  ASSERT_TRUE(same.ok()) << same.error().message;
  EXPECT_TRUE(same->complete) << same->message;
  EXPECT_EQ(ids_of(same->nodes), old_ids) << "an unchanged config needs no new server";

  Result<ApplyOutcome> upgraded = openstack->apply(
      cluster, make_render(cluster, {.version = "v1.30.0", .with_boot_digest = true}), {});
  ASSERT_FALSE(upgraded.ok()) << "without nkd.boot the config digest decides, and the "
                                 "control-plane server is not replaced";
  EXPECT_EQ(upgraded.error().code, ErrorCode::kConflict) << upgraded.error().message;
  const std::map<std::string, std::string> new_ids = ids_of(openstack->observe(cluster_).value());
  EXPECT_EQ(new_ids.at(cluster_ + "-cp-0"), old_ids.at(cluster_ + "-cp-0"));
  EXPECT_NE(new_ids.at(cluster_ + "-w-0"), old_ids.at(cluster_ + "-w-0"))
      << "without nkd.boot the config digest decides";
}

TEST_F(OpenStackProviderContract, ServersOfAnEarlierReleaseAreKeptWhenOnlyNkdChangedTheirConfig) {
  auto openstack = provider();
  model::Cluster cluster = make_cluster(cluster_, OpenStackControlPlane::kDemoCloud, 1);
  const render::ClusterRender render = make_render(cluster, {.with_boot_digest = true});
  // What the release before render epochs made: a boot digest of a config nkd renders otherwise
  // today, and no nkd.epoch.
  Keystone keystone(find_cloud(clouds_, OpenStackControlPlane::kDemoCloud).value(), http_, clock_,
                    nullptr);
  ComputeService compute(keystone);
  const Result<std::string> image = ImageService(keystone).resolve_image("cirros");
  ASSERT_TRUE(image.ok()) << image.error().message;
  // Taken from the creates: observe() before this provider's first apply has no cloud to ask.
  std::map<std::string, std::string> before;
  for (const render::NodeRender& node : render.nodes) {
    const Result<Server> created = compute.create_server(ServerSpec{
        .name = node.node.name, .flavor_id = "1", .image_id = *image,
        .metadata = {{kClusterKey, cluster_}, {kNodeKey, node.node.name},
                     {kDigestKey, "digest-from-an-earlier-release"},
                     {kBootKey, "boot-from-an-earlier-release"},
                     {kRoleKey, model::to_string(node.node.role)}}});
    ASSERT_TRUE(created.ok()) << created.error().message;
    before[node.node.name] = created->id;
  }
  ASSERT_TRUE(testing::wait_until([&] { return servers_in() == 2u; }, std::chrono::seconds(30)));

  Result<ApplyOutcome> applied = openstack->apply(cluster, render, {});
  ASSERT_TRUE(applied.ok()) << applied.error().message << " (no control-plane refusal either)";
  EXPECT_EQ(ids_of(applied->nodes), before) << "no server replaced";
  EXPECT_EQ(creates(), 0);
}

}  // namespace
}  // namespace nkd::providers::openstack
