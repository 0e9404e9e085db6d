#include "reconcile/wave_gate.h"

#include <tuple>

namespace nkd::reconcile {
namespace {

// Lower ranks are named first among the clusters of one wave.
int rank(WaveStanding standing) {
  switch (standing) {
    case WaveStanding::kFailed:
      return 0;
    case WaveStanding::kSuspended:
      return 1;
    case WaveStanding::kInProgress:
      return 2;
    case WaveStanding::kUnrendered:
      return 3;
    case WaveStanding::kSettled:
      return 4;
  }
  return 4;
}

std::string with_detail(const std::string& detail) {
  return detail.empty() ? std::string() : " (" + detail + ")";
}

std::string describe(const WaveMember& blocking, int wave, int unsettled) {
  const std::string waits = "waiting for wave " + std::to_string(blocking.wave) + ": ";
  const std::string others =
      unsettled > 1 ? " (" + std::to_string(unsettled - 1) + " more of that wave not done)" : "";
  switch (blocking.standing) {
    case WaveStanding::kFailed:
      return waits + "cluster " + blocking.name + " failed, so the rollout stops before wave " +
             std::to_string(wave) +
             " until it recovers (fix or revert it, or move it to a later "
             "wave)" +
             with_detail(blocking.detail);
    case WaveStanding::kSuspended:
      return waits + "cluster " + blocking.name + " is suspended" + with_detail(blocking.detail) +
             "; resume it, or move it to a later wave, to let wave " + std::to_string(wave) +
             " start" + others;
    case WaveStanding::kInProgress:
      return waits + "cluster " + blocking.name +
             " is not done with its newest render yet (phase " + state::to_string(blocking.phase) +
             ")" + others;
    case WaveStanding::kUnrendered:
      return waits + "cluster " + blocking.name +
             " has not been looked at since its newest commit" + others;
    case WaveStanding::kSettled:
      break;
  }
  return waits + "cluster " + blocking.name;
}

}  // namespace

std::optional<WaveHold> wave_hold(int wave, std::span<const WaveMember> members) {
  const WaveMember* failed = nullptr;
  const WaveMember* blocking = nullptr;
  for (const WaveMember& member : members) {
    if (member.wave >= wave || member.standing == WaveStanding::kSettled) continue;
    const auto order = [](const WaveMember& m) { return std::tie(m.wave, m.name); };
    if (member.standing == WaveStanding::kFailed &&
        (failed == nullptr || order(member) < order(*failed))) {
      failed = &member;
    }
    const auto key = [](const WaveMember& m) {
      return std::make_tuple(m.wave, rank(m.standing), m.name);
    };
    if (blocking == nullptr || key(member) < key(*blocking)) blocking = &member;
  }
  if (blocking == nullptr) return std::nullopt;
  if (failed != nullptr) blocking = failed;
  int unsettled = 0;
  for (const WaveMember& member : members) {
    unsettled += member.wave == blocking->wave && member.standing != WaveStanding::kSettled;
  }
  return WaveHold{.wave = blocking->wave,
                  .cluster = blocking->name,
                  .stopped = blocking->standing == WaveStanding::kFailed,
                  .message = describe(*blocking, wave, unsettled)};
}

WaveStanding wave_standing(const std::string& newest_render_digest,
                           const state::ClusterRecord& record, bool suspended,
                           ClusterAccess access) {
  if (suspended || record.phase == state::ClusterPhase::kSuspended) return WaveStanding::kSuspended;
  if (record.phase == state::ClusterPhase::kFailed) return WaveStanding::kFailed;
  if (newest_render_digest.empty()) return WaveStanding::kUnrendered;
  if (newest_render_digest != record.render_digest) return WaveStanding::kInProgress;
  const bool done = access == ClusterAccess::kDirect
                        ? record.ready && record.phase == state::ClusterPhase::kReady
                        : record.phase == state::ClusterPhase::kWaitingForCluster;
  return done ? WaveStanding::kSettled : WaveStanding::kInProgress;
}

}  // namespace nkd::reconcile
