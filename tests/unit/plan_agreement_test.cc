// `nkd plan` and the daemon decide alike: for the same base and head, the node steps `nkd plan`
// prints are exactly the decisions the providers carry out. Bare metal runs the real provider
// (apply the base, every machine fetches its config, apply the head) and also checks the drain
// order; OpenStack runs the provider's decision function on the servers the base's creates
// would have made (their metadata as plain data), without a cloud.
#include <gtest/gtest.h>

#include <functional>
#include <tuple>

#include "plan/review/plan.h"
#include "providers/baremetal/baremetal_provider.h"
#include "providers/openstack/cluster_apply.h"
#include "render/render.h"
#include "tests/support/render_fixtures.h"

namespace nkd {
namespace {

using plan::NodeAction;
using Step = std::tuple<std::string, std::string, int>;  // action, node, batch

using Side = testing::RenderedCluster;

struct Scenario {
  std::string name;
  std::function<void(model::Cluster&)> change;
};

void change_first_boot(model::Cluster& cluster) { cluster.ignition.files[0].contents = "Maintenance\n"; }
void change_versions(model::Cluster& cluster) {
  cluster.kubernetes.version = "v1.30.2";
  cluster.os.version = "22.03-LTS-SP4.20250101";
}

std::vector<Step> steps_of(const plan::ClusterPlan& plan) {
  std::vector<Step> steps;
  for (const auto& step : plan.nodes) steps.emplace_back(to_string(step.action), step.name, step.batch);
  return steps;
}

std::vector<Step> steps_of(const std::vector<plan::NodeDecision>& decisions) {
  std::vector<Step> steps;
  for (const auto& decision : decisions) {
    if (decision.action == NodeAction::kKeep) continue;
    steps.emplace_back(to_string(decision.action), decision.name, decision.batch);
  }
  return steps;
}

std::vector<std::string> deleted(const std::vector<Step>& steps) {
  std::vector<std::string> names;
  for (const auto& [action, name, batch] : steps) {
    if (action == "delete") names.push_back(name);
  }
  return names;
}

plan::ClusterPlan nkd_plan(const Side& base, const Side& head) {
  const plan::SecretRedactor redactor({});
  return plan::plan_cluster({.name = head.cluster.name,
                             .base = &base.cluster,
                             .base_render = &base.render,
                             .head = &head.cluster,
                             .head_render = &head.render,
                             .redactor = &redactor});
}

const std::vector<Scenario>& openstack_scenarios() {
  static const std::vector<Scenario> all = {
      {"scale-up", [](model::Cluster& c) { testing::pool_named(c, "workers").replicas = 4; }},
      {"scale-down",
       [](model::Cluster& c) {
         testing::pool_named(c, "workers").replicas = 0;
         testing::pool_named(c, "control-plane").replicas = 1;
       }},
      {"first-boot", change_first_boot},
      {"versions", change_versions},
      {"mixed",
       [](model::Cluster& c) {
         change_first_boot(c);
         change_versions(c);
         testing::pool_named(c, "workers").replicas = 5;
         testing::pool_named(c, "gpu").replicas = 0;
         c.upgrade.max_unavailable = 1;
       }},
  };
  return all;
}

const std::vector<Scenario>& bare_metal_scenarios() {
  static const std::vector<Scenario> all = {
      {"scale-up",
       [](model::Cluster& c) {
         std::get<model::BareMetalPlatform>(c.platform)
             .nodes.push_back({.name = "bm-3", .pool = "workers", .mac = "52:54:00:00:00:04", .ip = "10.0.0.14"});
         testing::pool_named(c, "workers").replicas = 3;
       }},
      {"scale-down",
       [](model::Cluster& c) {
         auto& nodes = std::get<model::BareMetalPlatform>(c.platform).nodes;
         nodes.erase(nodes.begin() + 1, nodes.end());
         testing::pool_named(c, "workers").replicas = 0;
       }},
      {"first-boot", change_first_boot},
      {"versions", change_versions},
      {"mixed",
       [](model::Cluster& c) {
         change_first_boot(c);
         change_versions(c);
         auto& nodes = std::get<model::BareMetalPlatform>(c.platform).nodes;
         nodes.erase(nodes.begin() + 2);
         testing::pool_named(c, "workers").replicas = 1;
       }},
  };
  return all;
}

TEST(PlanAgreement, OpenStackProviderDecidesWhatNkdPlanPrints) {
  for (const Scenario& scenario : openstack_scenarios()) {
    const Side base(testing::openstack_cluster());
    model::Cluster changed = testing::openstack_cluster();
    scenario.change(changed);
    const Side head(changed);
    // The servers the base's apply made: one per node, ACTIVE, with the metadata a create gives.
    std::vector<providers::openstack::Server> servers;
    for (const auto& node : base.render.nodes) {
      servers.push_back({.id = "id-" + node.node.name,
                         .name = node.node.name,
                         .status = "ACTIVE",
                         .metadata = providers::openstack::server_metadata(base.cluster.name, node)});
    }
    const auto daemon = steps_of(
        providers::openstack::plan_servers(head.cluster, head.render, servers, true).decisions);
    EXPECT_EQ(steps_of(nkd_plan(base, head)), daemon) << scenario.name;
    EXPECT_FALSE(daemon.empty() && scenario.name != "versions") << scenario.name << " changes nodes";
  }
}

TEST(PlanAgreement, BareMetalProviderDoesWhatNkdPlanPrints) {
  for (const Scenario& scenario : bare_metal_scenarios()) {
    const Side base(testing::bare_metal_cluster());
    model::Cluster changed = testing::bare_metal_cluster();
    scenario.change(changed);
    const Side head(changed);
    providers::BareMetalProvider provider;
    ASSERT_TRUE(provider.apply(base.cluster, base.render, {}).ok()) << scenario.name;
    // Every machine boots the base's config, as `nkd plan` assumes of the base.
    for (const auto& node : base.render.nodes) {
      ASSERT_EQ(provider.fetch(base.cluster.name, node.node.name, node.fetch_token.reveal()).status,
                providers::BareMetalProvider::FetchStatus::kServed);
    }
    std::vector<std::string> drained;
    const providers::ApplyHooks hooks{.before_delete = [&](const std::string& node) {
      drained.push_back(node);
      return ok_status();
    }};
    const auto applied = provider.apply(head.cluster, head.render, hooks);
    ASSERT_TRUE(applied.ok()) << scenario.name;
    const auto daemon = steps_of(applied->decisions);
    EXPECT_EQ(steps_of(nkd_plan(base, head)), daemon) << scenario.name;
    EXPECT_EQ(drained, deleted(daemon)) << scenario.name << ": drained in the planner's order";
  }
}

// What the OpenStack contract tests check against a real cloud, here on plain server data: how
// the provider reads a server's metadata decides replace, keep and create.
TEST(PlanAgreement, OpenStackServerMetadataIsReadAsTheProviderAlwaysDid) {
  const Side base(testing::openstack_cluster());
  model::Cluster changed = testing::openstack_cluster();
  change_first_boot(changed);
  const Side head(changed);
  const auto& worker = base.render.nodes[3];  // prod-east-workers-0
  ASSERT_EQ(worker.node.name, "prod-east-workers-0");
  const auto decide = [&](std::map<std::string, std::string> metadata, std::string status = "ACTIVE") {
    const std::vector<providers::openstack::Server> servers = {
        {.id = "s1", .name = worker.node.name, .status = std::move(status), .metadata = std::move(metadata)}};
    for (const auto& decision :
         providers::openstack::plan_servers(head.cluster, head.render, servers, false).decisions) {
      if (decision.name == worker.node.name) return std::string(to_string(decision.action));
    }
    return std::string("none");
  };
  auto current = providers::openstack::server_metadata(base.cluster.name, worker);
  EXPECT_EQ(decide(current), "replace") << "its first-boot content changed";
  auto earlier_epoch = current;
  earlier_epoch[providers::openstack::kEpochKey] = "1";
  EXPECT_EQ(decide(earlier_epoch), "keep") << "an earlier release's server is kept";
  auto before_epochs = current;
  before_epochs.erase(providers::openstack::kEpochKey);
  EXPECT_EQ(decide(before_epochs), "keep") << "a boot digest without an epoch predates epochs";
  auto before_boot_digests = current;
  before_boot_digests.erase(providers::openstack::kEpochKey);
  before_boot_digests.erase(providers::openstack::kBootKey);
  EXPECT_EQ(decide(before_boot_digests), "replace") << "compared by nkd.digest";
  EXPECT_EQ(decide(current, "ERROR"), "create") << "a server in ERROR is made again by the create";
  const auto head_metadata = providers::openstack::server_metadata(head.cluster.name, head.render.nodes[3]);
  auto version_only = head_metadata;
  version_only[providers::openstack::kDigestKey] = "an-older-full-digest";
  EXPECT_EQ(decide(version_only), "keep") << "same nkd.boot: housekeeper upgrades in place";
}

TEST(PlanAgreement, TheScenariosCoverEveryDecision) {
  std::set<std::string> seen;
  for (const Scenario& scenario : openstack_scenarios()) {
    model::Cluster changed = testing::openstack_cluster();
    scenario.change(changed);
    for (const auto& [action, name, batch] :
         steps_of(nkd_plan(Side(testing::openstack_cluster()), Side(changed)))) {
      seen.insert(action);
    }
  }
  EXPECT_EQ(seen, (std::set<std::string>{"create", "replace", "delete", "refuse"}));
}

}  // namespace
}  // namespace nkd
