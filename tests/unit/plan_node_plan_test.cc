// The node planner (plan/node_plan.h) on plain data: creates, replacement batches, scale-down
// order, refusals, version pinning through boot digests, node-index parsing, and a mixed case
// that checks the whole order. No render, no provider, no cloud.
#include <gtest/gtest.h>

#include <atomic>

#include "plan/node_plan.h"

namespace nkd {
namespace {

using model::PoolRole;
using plan::NodeAction;

plan::DesiredNode wanted(const std::string& name, PoolRole role, const std::string& digest = "new",
                         const std::string& boot = "boot") {
  const std::string pool = role == PoolRole::kControlPlane ? "control-plane" : "workers";
  return {.name = name,
          .pool = pool,
          .role = role,
          .config_digest = digest,
          .boot_digest = render::LazyString::of(boot)};
}

// A machine built from config `digest` whose first-boot digest is `boot` ("" for none).
plan::ObservedMachine machine(const std::string& name, std::optional<PoolRole> role,
                              const std::string& digest = "new", const std::string& boot = "boot") {
  plan::RecordedBoot recorded{.config_digest = digest};
  if (!boot.empty()) recorded.boot_digest = render::LazyString::of(boot);
  return {.name = name, .id = "id-" + name, .role = role, .recorded = recorded};
}

std::vector<std::string> names(const plan::NodePlan& plan, NodeAction action) {
  std::vector<std::string> found;
  for (const plan::NodeDecision* decision : plan.of(action)) found.push_back(decision->name);
  return found;
}

std::vector<std::pair<std::string, std::string>> sequence(const plan::NodePlan& plan) {
  std::vector<std::pair<std::string, std::string>> steps;
  for (const auto& decision : plan.decisions) steps.emplace_back(to_string(decision.action), decision.name);
  return steps;
}

TEST(NodeIndex, IsTheTrailingNumberOrMinusOne) {
  EXPECT_EQ(plan::node_index("prod-workers-12"), 12);
  EXPECT_EQ(plan::node_index("prod-control-plane-0"), 0);
  EXPECT_EQ(plan::node_index("bm"), -1);
  EXPECT_EQ(plan::node_index("prod-workers-"), -1);
  EXPECT_EQ(plan::node_index("prod-workers-1a"), -1);
  EXPECT_EQ(plan::node_index("prod-workers-99999999999999"), -1) << "no overflow";
}

TEST(NodePlan, CreatesWhatHasNoHealthyMachineInRenderOrder) {
  std::vector<plan::ObservedMachine> observed = {machine("c-workers-0", PoolRole::kWorker)};
  observed.push_back(machine("c-workers-2", PoolRole::kWorker));
  observed.back().failed = true;  // made again by its create
  observed.push_back(machine("c-workers-9", PoolRole::kWorker));
  observed.back().failed = true;  // no longer wanted: deleted
  const auto plan = plan::plan_nodes({wanted("c-control-plane-0", PoolRole::kControlPlane),
                                      wanted("c-workers-0", PoolRole::kWorker),
                                      wanted("c-workers-1", PoolRole::kWorker),
                                      wanted("c-workers-2", PoolRole::kWorker)},
                                     observed, {});
  EXPECT_EQ(names(plan, NodeAction::kCreate),
            (std::vector<std::string>{"c-control-plane-0", "c-workers-1", "c-workers-2"}));
  EXPECT_EQ(names(plan, NodeAction::kKeep), std::vector<std::string>{"c-workers-0"});
  EXPECT_EQ(names(plan, NodeAction::kDelete), std::vector<std::string>{"c-workers-9"});
  EXPECT_EQ(plan.of(NodeAction::kDelete)[0]->machine_id, "id-c-workers-9");
}

TEST(NodePlan, ReplacesStaleWorkersInMaxUnavailableBatchesEachDrained) {
  std::vector<plan::DesiredNode> desired;
  std::vector<plan::ObservedMachine> observed;
  for (int i = 0; i < 5; ++i) {
    const std::string name = "c-workers-" + std::to_string(i);
    desired.push_back(wanted(name, PoolRole::kWorker, "new", "boot-new"));
    observed.push_back(machine(name, PoolRole::kWorker, "old", "boot-old"));
  }
  const auto plan = plan::plan_nodes(desired, observed, {.max_unavailable = 2});
  const auto batches = plan.replace_batches();
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].size(), 2u);
  EXPECT_EQ(batches[1].size(), 2u);
  ASSERT_EQ(batches[2].size(), 1u);
  EXPECT_EQ(batches[2][0]->name, "c-workers-4");
  for (const auto* decision : plan.of(NodeAction::kReplace)) {
    EXPECT_TRUE(decision->drain) << decision->name;
    EXPECT_EQ(decision->machine_id, "id-" + decision->name);
  }
  // maxUnavailable below 1 still replaces, one at a time.
  const auto one_by_one = plan::plan_nodes(desired, observed, {.max_unavailable = 0});
  EXPECT_EQ(one_by_one.replace_batches().size(), 5u);
  const auto undrained = plan::plan_nodes(desired, observed, {.drain_before_delete = false});
  for (const auto* decision : undrained.of(NodeAction::kReplace)) EXPECT_FALSE(decision->drain);
}

TEST(NodePlan, ScaleDownTakesWorkersFirstHighestIndexFirstAndUnknownRolesLast) {
  const std::vector<plan::ObservedMachine> observed = {
      machine("c-control-plane-1", PoolRole::kControlPlane), machine("c-workers-2", PoolRole::kWorker),
      machine("c-control-plane-2", PoolRole::kControlPlane), machine("c-gpu-3", PoolRole::kWorker),
      machine("c-workers-10", PoolRole::kWorker),            machine("c-mystery-7", std::nullopt),
      machine("c-workers-3", PoolRole::kWorker)};
  const auto plan = plan::plan_nodes({}, observed, {});
  EXPECT_EQ(names(plan, NodeAction::kDelete),
            (std::vector<std::string>{"c-workers-10", "c-workers-3", "c-gpu-3", "c-workers-2",
                                      "c-mystery-7", "c-control-plane-2", "c-control-plane-1"}))
      << "numbers compare as numbers (10 > 3), equal indexes by name in reverse";
  for (const auto* decision : plan.of(NodeAction::kDelete)) EXPECT_TRUE(decision->drain);
}

TEST(NodePlan, StaleControlPlaneIsRefusedWithTheWayOutAndNeverReplaced) {
  const auto plan = plan::plan_nodes(
      {wanted("c-control-plane-0", PoolRole::kControlPlane, "new", "boot-new"),
       wanted("c-workers-0", PoolRole::kWorker, "new", "boot-new")},
      {machine("c-control-plane-0", PoolRole::kControlPlane, "old", "boot-old"),
       machine("c-workers-0", PoolRole::kWorker, "old", "boot-old")},
      {});
  EXPECT_EQ(names(plan, NodeAction::kReplace), std::vector<std::string>{"c-workers-0"});
  ASSERT_EQ(names(plan, NodeAction::kRefuse), std::vector<std::string>{"c-control-plane-0"});
  const std::string& reason = plan.of(NodeAction::kRefuse)[0]->reason;
  EXPECT_NE(reason.find("etcd"), std::string::npos) << reason;
  EXPECT_NE(reason.find("remove its etcd member"), std::string::npos) << reason;
}

TEST(NodePlan, MachinesNkdDoesNotOwnAreNeverReplaced) {
  const auto plan = plan::plan_nodes({wanted("bm-1", PoolRole::kWorker, "new", "boot-new")},
                                     {machine("bm-1", PoolRole::kWorker, "old", "boot-old")},
                                     {.machines_replaceable = false});
  EXPECT_TRUE(plan.of(NodeAction::kReplace).empty());
  ASSERT_EQ(names(plan, NodeAction::kRefuse), std::vector<std::string>{"bm-1"});
  EXPECT_NE(plan.of(NodeAction::kRefuse)[0]->reason.find("reinstalled"), std::string::npos);
}

TEST(NodePlan, VersionOnlyChangesKeepTheMachineThroughThePinnedBootDigest) {
  const auto desired = wanted("c-workers-0", PoolRole::kWorker, "new", "boot");
  // Same boot digest, other full config: a version change housekeeper applies in place.
  const auto in_place = plan::plan_nodes({desired}, {machine("c-workers-0", PoolRole::kWorker, "old", "boot")}, {});
  ASSERT_EQ(names(in_place, NodeAction::kKeep), std::vector<std::string>{"c-workers-0"});
  EXPECT_NE(in_place.decisions[0].reason.find("in place"), std::string::npos);
  // No boot digest recorded (made before they existed): the full configs decide.
  const auto old_machine = plan::plan_nodes({desired}, {machine("c-workers-0", PoolRole::kWorker, "old", "")}, {});
  EXPECT_EQ(names(old_machine, NodeAction::kReplace), std::vector<std::string>{"c-workers-0"});
  // Made by an earlier render epoch: nkd changed the config, not the user; kept.
  auto earlier = machine("c-workers-0", PoolRole::kWorker, "old", "boot-old");
  earlier.recorded->from_earlier_render_epoch = true;
  EXPECT_EQ(names(plan::plan_nodes({desired}, {earlier}, {}), NodeAction::kKeep),
            std::vector<std::string>{"c-workers-0"});
  // Nothing recorded: nothing says it is stale.
  plan::ObservedMachine unknown{.name = "c-workers-0", .role = PoolRole::kWorker};
  EXPECT_EQ(names(plan::plan_nodes({desired}, {unknown}, {}), NodeAction::kKeep),
            std::vector<std::string>{"c-workers-0"});
}

TEST(NodePlan, BootDigestIsRenderedOnlyWhenTheFullConfigDiffers) {
  std::atomic<int> rendered{0};
  plan::DesiredNode desired = wanted("c-workers-0", PoolRole::kWorker, "same");
  desired.boot_digest = render::LazyString([&rendered] {
    ++rendered;
    return std::string("boot");
  });
  (void)plan::plan_nodes({desired}, {machine("c-workers-0", PoolRole::kWorker, "same")}, {});
  EXPECT_EQ(rendered.load(), 0);
  (void)plan::plan_nodes({desired}, {machine("c-workers-0", PoolRole::kWorker, "other")}, {});
  EXPECT_EQ(rendered.load(), 1);
}

TEST(NodePlan, MixedChangesComeInTheOrderTheyAreCarriedOut) {
  const auto plan = plan::plan_nodes(
      {wanted("c-control-plane-0", PoolRole::kControlPlane, "new", "boot-new"),
       wanted("c-workers-0", PoolRole::kWorker, "new", "boot-new"),
       wanted("c-workers-1", PoolRole::kWorker), wanted("c-workers-2", PoolRole::kWorker, "new", "boot")},
      {machine("c-control-plane-0", PoolRole::kControlPlane, "old", "boot-old"),
       machine("c-control-plane-1", PoolRole::kControlPlane),
       machine("c-workers-0", PoolRole::kWorker, "old", "boot-old"),
       machine("c-workers-2", PoolRole::kWorker, "old", "boot"), machine("c-workers-5", PoolRole::kWorker)},
      {.max_unavailable = 1});
  EXPECT_EQ(sequence(plan), (std::vector<std::pair<std::string, std::string>>{
                                {"create", "c-workers-1"},
                                {"replace", "c-workers-0"},
                                {"delete", "c-workers-5"},
                                {"delete", "c-control-plane-1"},
                                {"refuse", "c-control-plane-0"},
                                {"keep", "c-workers-2"}}));
}

}  // namespace
}  // namespace nkd
