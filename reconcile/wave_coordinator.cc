#include "reconcile/wave_coordinator.h"

#include <spdlog/spdlog.h>

#include <map>
#include <utility>

namespace nkd::reconcile {

WaveCoordinator::WaveCoordinator(state::ClusterRecordStore& records, WorkQueue& queue,
                                 metrics::Metrics& metrics, const Clock& clock,
                                 std::int64_t recheck_ms, EarlierClusters earlier_clusters)
    : records_(records),
      queue_(queue),
      metrics_(metrics),
      clock_(clock),
      recheck_ms_(recheck_ms),
      earlier_clusters_(std::move(earlier_clusters)) {}

std::optional<WaveHold> WaveCoordinator::hold_for(const DesiredCluster& desired,
                                                  ClusterAccess access,
                                                  std::uint64_t& wave_events_seen,
                                                  bool& already_recorded) {
  already_recorded = false;
  const int wave = desired.cluster.wave;
  // The count is read before the targets: whoever changes a target wakes the waiters after the
  // change, so a change this judgement does not see always shows as a later wake-up.
  {
    std::lock_guard lock(mutex_);
    wave_events_seen = wave_events_;
  }
  const std::vector<EarlierWaveCluster> earlier = earlier_clusters_(wave);
  if (earlier.empty()) return std::nullopt;  // the first wave, or no cluster in an earlier one
  const Result<std::vector<state::ClusterRecord>> records = records_.list_clusters();
  if (!records) {
    // Unknown is not done: a later wave must not start on a guess.
    return WaveHold{.wave = earlier.front().wave,
                    .cluster = earlier.front().name,
                    .message = "waiting for the earlier waves: their state cannot be read (" +
                               records.error().message + ")"};
  }
  std::map<std::string, const state::ClusterRecord*> by_name;
  for (const state::ClusterRecord& record : *records) by_name[record.name] = &record;
  std::vector<WaveMember> members;
  for (const EarlierWaveCluster& cluster : earlier) {
    state::ClusterRecord record{.name = cluster.name};
    if (auto found = by_name.find(cluster.name); found != by_name.end()) record = *found->second;
    const WaveStanding standing =
        wave_standing(cluster.render_digest, record, cluster.suspended, access);
    members.push_back(WaveMember{.name = cluster.name,
                                 .wave = cluster.wave,
                                 .standing = standing,
                                 .phase = record.phase,
                                 .detail = standing == WaveStanding::kFailed ? record.last_error
                                           : standing == WaveStanding::kSuspended
                                               ? cluster.suspend_reason
                                               : std::string()});
  }
  std::optional<WaveHold> hold = wave_hold(wave, members);
  if (auto self = by_name.find(desired.cluster.name); hold && self != by_name.end()) {
    const state::ClusterRecord& stored = *self->second;
    already_recorded = stored.phase == state::ClusterPhase::kWaitingForWave &&
                       stored.phase_message == hold->message &&
                       stored.observed_revision == desired.commit.id;
  }
  return hold;
}

Attempt WaveCoordinator::wait(const DesiredCluster& desired, state::ClusterRecord& record,
                              const std::string& render_digest, const WaveHold& hold,
                              std::uint64_t wave_events_seen, bool already_recorded) {
  const std::string& name = desired.cluster.name;
  const bool newly_waiting = record.phase != state::ClusterPhase::kWaitingForWave;
  const std::int64_t now_ms = clock_.now_unix_ms();
  record.phase = state::ClusterPhase::kWaitingForWave;
  record.phase_message = hold.message;
  record.last_error = "";
  record.updated_at_ms = now_ms;
  // The render waits as a pending row; the attempt that applies it later resumes the same row.
  // A recheck that finds the same hold writes nothing (neither the row nor the record below):
  // with hundreds of clusters waiting, each recheck would otherwise cost two durable
  // transactions.
  if (!already_recorded) {
    const state::HistoryRow pending{
        .cluster = name,
        .revision = desired.commit.id,
        .author = desired.commit.author,
        .committed_at_ms = desired.commit.committed_at_unix * 1000,
        .render_digest = render_digest,
        .message = "waiting: wave " + std::to_string(desired.cluster.wave) + " starts once wave " +
                   std::to_string(hold.wave) + " is done",
        .started_at_ms = now_ms};
    if (auto row = records_.begin_attempt(pending); !row) {
      spdlog::error("recording the pending render of {}, held by wave {}: {}", name, hold.wave,
                    row.error().message);
    }
  }
  bool missed_wake_up = false;
  {
    std::lock_guard lock(mutex_);
    waiting_.insert(name);
    // A cluster that moved while this one was judged woke nobody here yet: look again now.
    missed_wake_up = wave_events_ != wave_events_seen;
  }
  // The metrics first: whoever sees the phase stored also sees the metric say so.
  metrics_.cluster_waiting_for_wave.Add({{"cluster", name}}).Set(1);
  metrics_.cluster_waiting_for_window.Add({{"cluster", name}}).Set(0);
  if (!already_recorded) {
    if (auto status = records_.save_status(record); !status) {
      spdlog::error("recording that {} waits for wave {}: {}", name, hold.wave,
                    status.error().message);
      return {};
    }
  }
  if (newly_waiting) {
    spdlog::info("cluster {} at {}: WaitingForWave: {}", name, desired.commit.id.substr(0, 12),
                 hold.message);
  } else {
    spdlog::debug("cluster {}: still WaitingForWave: {}", name, hold.message);
  }
  return Attempt{
      .succeeded = true, .complete = false, .requeue_ms = missed_wake_up ? 1 : recheck_ms_};
}

void WaveCoordinator::stop_waiting(const std::string& cluster) {
  {
    std::lock_guard lock(mutex_);
    waiting_.erase(cluster);
  }
  metrics_.cluster_waiting_for_wave.Add({{"cluster", cluster}}).Set(0);
}

void WaveCoordinator::wake_waiters() {
  std::vector<std::string> waiting;
  {
    std::lock_guard lock(mutex_);
    ++wave_events_;
    waiting.assign(waiting_.begin(), waiting_.end());
  }
  for (const std::string& cluster : waiting) queue_.add(cluster);
}

}  // namespace nkd::reconcile
