// Rollout waves against the real daemon and a real Git server: a commit adds an OpenStack
// cluster in wave 0 (it fails: the daemon has no clouds) and changes lab-two, labelled wave 1.
// lab-two waits (WaitingForWave) in the status API, `nkd status` and the metric, keeps waiting
// across a restart, and goes once the failing cluster leaves the repository. `nkd plan` shows
// the same order.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "tests/support/syncd_fixture.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;
using testing::SyncdFixture;

testing::CommandResult nkd(const std::vector<std::string>& arguments) {
  std::vector<std::string> command{testing::nkd_binary()};
  command.insert(command.end(), arguments.begin(), arguments.end());
  return testing::run_command(command);
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A cluster's phaseMessage; "" while it is null.
std::string phase_message(const nlohmann::json& cluster) {
  return cluster.contains("phaseMessage") && cluster["phaseMessage"].is_string()
             ? cluster["phaseMessage"].get<std::string>()
             : "";
}

TEST(SyncdWaves, LaterWaveWaitsForAFailedEarlierOneAcrossARestart) {
  SyncdFixture fixture;
  fixture.start_daemon("1s");
  const std::string first = fixture.head();
  ASSERT_TRUE(fixture.wait_applied("lab-two", first, 20s)) << fixture.log();
  ASSERT_TRUE(fixture.wait_applied("edge-lab", first, 20s)) << fixture.log();

  const std::string rollout =
      fixture.commit("cp -R " + testing::source_dir() +
                         "/examples-repo/clusters/prod-east clusters/ && "
                         "sed -i 's/^  name: lab-two$/  name: lab-two\\n  labels: {wave: \"1\"}/; "
                         "s/dev@example.org/ops@example.org/' clusters/lab-two/cluster.yaml",
                     "prod-east in wave 0, lab-two in wave 1 with a new key");
  const std::string lab_two = "/api/v1/clusters/lab-two";
  ASSERT_TRUE(testing::wait_until(
      [&] { return has(phase_message(fixture.get_json(lab_two)), "cluster prod-east failed"); },
      20s))
      << fixture.get_json(lab_two).dump() << fixture.log();
  auto record = fixture.get_json(lab_two);
  EXPECT_EQ(record["phase"], "WaitingForWave");
  EXPECT_EQ(record["wave"], 1);
  EXPECT_EQ(record["appliedRevision"], first);
  EXPECT_EQ(record["observedRevision"], rollout);
  EXPECT_TRUE(
      has(phase_message(record),
          "waiting for wave 0: cluster prod-east failed, so the rollout stops before wave 1"))
      << record.dump();
  EXPECT_EQ(fixture.get_json("/api/v1/clusters/prod-east")["phase"], "Failed");
  EXPECT_EQ(fixture.get_json("/api/v1/clusters/prod-east")["wave"], 0);
  EXPECT_TRUE(has(fixture.metrics(), "nkd_cluster_waiting_for_wave{cluster=\"lab-two\"} 1"));
  const auto history = fixture.get_json(lab_two + "/history");
  ASSERT_FALSE(history.empty());
  EXPECT_EQ(history[0]["outcome"], "pending");
  EXPECT_EQ(history[0]["revision"], rollout);

  const auto list = nkd({"status", "--server", fixture.url()});
  EXPECT_TRUE(has(list.out, "WaitingForWave")) << list.out;
  const auto detail = nkd({"status", "lab-two", "--server", fixture.url()});
  EXPECT_TRUE(has(detail.out, "wave:      1")) << detail.out;
  EXPECT_TRUE(has(detail.out, "waiting:   waiting for wave 0: cluster prod-east failed"))
      << detail.out;

  const auto plan = nkd(
      {"plan", "--repo", (fixture.dir() / "work").string(), "--base", first, "--head", rollout});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_TRUE(has(plan.out, "Rollout in 2 waves")) << plan.out;
  EXPECT_TRUE(has(plan.out, "  wave 0 (1 of 2): prod-east\n")) << plan.out;
  EXPECT_TRUE(has(plan.out, "  wave 1 (2 of 2): lab-two (after wave 0 is done)\n")) << plan.out;

  // A new process judges the gate again from the state file: the metric is its own.
  ASSERT_EQ(fixture.stop_daemon(SIGTERM), 0);
  fixture.start_daemon("1s");
  ASSERT_TRUE(testing::wait_until(
      [&] { return has(fixture.metrics(), "nkd_cluster_waiting_for_wave{cluster=\"lab-two\"} 1"); },
      20s))
      << fixture.log();
  EXPECT_EQ(fixture.get_json(lab_two)["phase"], "WaitingForWave");
  EXPECT_EQ(fixture.get_json(lab_two)["appliedRevision"], first);

  // The failing cluster leaves Git (orphaned): nothing holds wave 1 any more.
  const std::string removed = fixture.commit("git rm -q -r clusters/prod-east", "Drop prod-east");
  ASSERT_TRUE(fixture.wait_applied("lab-two", removed, 20s))
      << fixture.get_json(lab_two).dump() << fixture.log();
  EXPECT_EQ(fixture.get_json(lab_two)["phase"], "WaitingForCluster");
  EXPECT_TRUE(has(fixture.metrics(), "nkd_cluster_waiting_for_wave{cluster=\"lab-two\"} 0"));
}

}  // namespace
}  // namespace nkd
