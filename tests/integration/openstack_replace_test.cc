// Contract tests of OpenStackProvider's replace against the real test cloud (tests/openstack/):
// a change of first-boot content replaces every server (new IDs), draining each before its
// delete, control-plane first, never more at once than upgrade.maxUnavailable; a version-only
// change (same boot digest) keeps every server; servers made before boot digests are compared by
// their config digest.
#include <gtest/gtest.h>

#include <mutex>
#include <set>

#include "tests/integration/openstack_provider_fixture.h"

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
      if (observed.state == "Provisioned") ++active;
      if (observed.name == node) log.present_at_drain.push_back(node);
    }
    // Replacements in flight besides this one show as missing or not ACTIVE servers.
    const int unavailable = static_cast<int>(desired) - static_cast<int>(std::min(active, desired));
    log.most_unavailable_at_drain = std::max(log.most_unavailable_at_drain, unavailable);
    return ok_status();
  }};
}

TEST_F(OpenStackProviderContract, FirstBootChangeReplacesServersOneAtATimeControlPlaneFirst) {
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
  ASSERT_TRUE(replaced.ok()) << replaced.error().message;
  EXPECT_TRUE(replaced->complete) << replaced->message;
  EXPECT_NE(replaced->message.find("3 replaced"), std::string::npos) << replaced->message;
  EXPECT_EQ(log.order, (std::vector<std::string>{cluster_ + "-cp-0", cluster_ + "-w-0",
                                                 cluster_ + "-w-1"}));
  EXPECT_EQ(log.present_at_drain, log.order) << "each drain comes before its server's delete";
  EXPECT_EQ(log.most_unavailable_at_drain, 0)
      << "with maxUnavailable 1, a replacement starts only when the one before is ACTIVE again";
  for (const ObservedNode& node : replaced->nodes) {
    EXPECT_NE(node.provider_id, old_ids.at(node.name)) << node.name << " kept its old server";
    EXPECT_EQ(node.state, "Provisioned");
  }
  for (const render::NodeRender& node : render.nodes) {
    const auto found = std::find_if(replaced->nodes.begin(), replaced->nodes.end(),
                                    [&](const ObservedNode& seen) { return seen.name == node.node.name; });
    ASSERT_NE(found, replaced->nodes.end());
    EXPECT_EQ(found->config_digest, node.ignition_sha256);
  }
  EXPECT_EQ(servers_in(), 3u) << "the old servers are gone, one server per node";
  EXPECT_EQ(creates(), 6);
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
    EXPECT_EQ(node.state, "Provisioned");
    EXPECT_EQ(node.config_digest, built_from.at(node.name))
        << "the server reports the config it was built from";
  }
}

TEST_F(OpenStackProviderContract, ServerWithoutBootDigestIsReplacedWhenItsConfigDigestChanges) {
  auto openstack = provider();
  model::Cluster cluster = make_cluster(cluster_, OpenStackControlPlane::kDemoCloud, 0);
  // Made by a provider that knew no boot digests: the server carries nkd.digest only.
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
  ASSERT_TRUE(upgraded.ok()) << upgraded.error().message;
  EXPECT_TRUE(upgraded->complete) << upgraded->message;
  EXPECT_NE(ids_of(upgraded->nodes).at(cluster_ + "-cp-0"), old_ids.at(cluster_ + "-cp-0"))
      << "without nkd.boot the config digest decides";
}

}  // namespace
}  // namespace nkd::providers::openstack
