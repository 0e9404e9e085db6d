// The rollout-wave gate (reconcile/wave_gate.h) as a table: clusters with their waves and
// where they stand in, which wave may start and why it may not out.
#include "reconcile/wave_gate.h"

#include <gtest/gtest.h>

#include <vector>

namespace nkd::reconcile {
namespace {

using S = WaveStanding;

WaveMember member(const std::string& name, int wave, WaveStanding standing,
                  const std::string& detail = "") {
  return WaveMember{.name = name,
                    .wave = wave,
                    .standing = standing,
                    .phase = standing == S::kInProgress ? state::ClusterPhase::kWaitingForCluster
                                                        : state::ClusterPhase::kReady,
                    .detail = detail};
}

struct GateCase {
  const char* behaviour;
  int wave;                         // of the cluster that wants to start
  std::vector<WaveMember> members;  // every other cluster
  bool held;
  const char* cluster = "";  // the cluster the hold names
  int held_by_wave = 0;
  bool stopped = false;
  const char* message_part = "";
};

// gtest names a row by its behaviour, not by its bytes.
void PrintTo(const GateCase& row, std::ostream* out) { *out << row.behaviour; }

class WaveGateTable : public ::testing::TestWithParam<GateCase> {};

TEST_P(WaveGateTable, DecidesWhetherTheWaveMayStart) {
  const GateCase& row = GetParam();
  const std::optional<WaveHold> hold = wave_hold(row.wave, row.members);
  ASSERT_EQ(hold.has_value(), row.held);
  if (!hold) return;
  EXPECT_EQ(hold->cluster, row.cluster);
  EXPECT_EQ(hold->wave, row.held_by_wave);
  EXPECT_EQ(hold->stopped, row.stopped);
  EXPECT_NE(hold->message.find(row.message_part), std::string::npos) << hold->message;
}

INSTANTIATE_TEST_SUITE_P(
    Rows, WaveGateTable,
    ::testing::Values(
        GateCase{"FirstWaveNeverWaits",
                 0,
                 {member("b", 0, S::kInProgress), member("c", 1, S::kFailed)},
                 false},
        GateCase{"SettledEarlierWaveLetsTheNextStart",
                 1,
                 {member("a", 0, S::kSettled), member("b", 0, S::kSettled)},
                 false},
        GateCase{"SameAndLaterWavesDoNotHold",
                 1,
                 {member("a", 0, S::kSettled), member("b", 1, S::kFailed),
                  member("c", 2, S::kInProgress)},
                 false},
        GateCase{"EarlierWaveNotReadyHolds",
                 1,
                 {member("a", 0, S::kSettled), member("b", 0, S::kInProgress),
                  member("c", 0, S::kInProgress)},
                 true,
                 "b",
                 0,
                 false,
                 "waiting for wave 0: cluster b is not done with its newest render yet (phase "
                 "WaitingForCluster) (1 more of that wave not done)"},
        GateCase{
            "FailureStopsTheRolloutAndIsNamedFirst",
            2,
            {member("a", 0, S::kInProgress), member("b", 1, S::kFailed, "quota exceeded")},
            true,
            "b",
            1,
            true,
            "waiting for wave 1: cluster b failed, so the rollout stops before wave 2 until it "
            "recovers (fix or revert it, or move it to a later wave) (quota exceeded)"},
        GateCase{"LowestFailedWaveIsNamed",
                 3,
                 {member("z", 2, S::kFailed), member("y", 1, S::kFailed)},
                 true,
                 "y",
                 1,
                 true,
                 "cluster y failed"},
        GateCase{"SuspendedEarlierClusterHolds",
                 1,
                 {member("a", 0, S::kSuspended, "by an operator: disk swap")},
                 true,
                 "a",
                 0,
                 false,
                 "cluster a is suspended (by an operator: disk swap); resume it, or move it to a "
                 "later wave, to let wave 1 start"},
        GateCase{"SuspendedIsNamedBeforeBusyInOneWave",
                 1,
                 {member("a", 0, S::kInProgress), member("b", 0, S::kSuspended)},
                 true,
                 "b",
                 0,
                 false,
                 "cluster b is suspended"},
        GateCase{"LowestUnsettledWaveIsNamed",
                 5,
                 {member("later", 3, S::kInProgress), member("early", 1, S::kInProgress)},
                 true,
                 "early",
                 1,
                 false,
                 "waiting for wave 1: cluster early"},
        GateCase{"NotYetRenderedHolds",
                 1,
                 {member("a", 0, S::kUnrendered)},
                 true,
                 "a",
                 0,
                 false,
                 "cluster a has not been looked at since its newest commit"}),
    [](const ::testing::TestParamInfo<GateCase>& info) {
      return std::string(info.param.behaviour);
    });

state::ClusterRecord record(state::ClusterPhase phase, const std::string& digest, bool ready) {
  return state::ClusterRecord{.name = "a", .phase = phase, .render_digest = digest, .ready = ready};
}

TEST(WaveStanding, DirectAccessIsDoneOnlyWhenReadyWithTheNewestRender) {
  const auto direct = ClusterAccess::kDirect;
  EXPECT_EQ(wave_standing("d1", record(state::ClusterPhase::kReady, "d1", true), false, direct),
            S::kSettled);
  EXPECT_EQ(wave_standing("d2", record(state::ClusterPhase::kReady, "d1", true), false, direct),
            S::kInProgress);
  EXPECT_EQ(wave_standing("d1", record(state::ClusterPhase::kWaitingForCluster, "d1", false), false,
                          direct),
            S::kInProgress);
  EXPECT_EQ(
      wave_standing("d1", record(state::ClusterPhase::kUpgrading, "d1", false), false, direct),
      S::kInProgress);
  EXPECT_EQ(wave_standing("d1", record(state::ClusterPhase::kWaitingForWindow, "d0", true), false,
                          direct),
            S::kInProgress);
  EXPECT_EQ(wave_standing("", record(state::ClusterPhase::kReady, "d1", true), false, direct),
            S::kUnrendered);
  EXPECT_EQ(wave_standing("d1", record(state::ClusterPhase::kFailed, "d1", false), false, direct),
            S::kFailed);
  EXPECT_EQ(wave_standing("d1", record(state::ClusterPhase::kReady, "d1", true), true, direct),
            S::kSuspended);
}

TEST(WaveStanding, WithoutClusterAccessAppliedInFullIsDone) {
  const auto none = ClusterAccess::kNone;
  EXPECT_EQ(wave_standing("d1", record(state::ClusterPhase::kWaitingForCluster, "d1", false), false,
                          none),
            S::kSettled);
  EXPECT_EQ(
      wave_standing("d1", record(state::ClusterPhase::kProvisioning, "d1", false), false, none),
      S::kInProgress);
  EXPECT_EQ(
      wave_standing("d1", record(state::ClusterPhase::kWaitingForWave, "d0", false), false, none),
      S::kInProgress);
  EXPECT_EQ(wave_standing("d1", record(state::ClusterPhase::kPending, "", false), false, none),
            S::kInProgress);
  EXPECT_EQ(wave_standing("d1", record(state::ClusterPhase::kSuspended, "d1", false), false, none),
            S::kSuspended);
}

}  // namespace
}  // namespace nkd::reconcile
