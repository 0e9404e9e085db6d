// Reconciler, rollout waves across clusters: a cluster whose newest render is not in place yet
// waits (phase WaitingForWave) until every cluster of an earlier wave is done with its own newest
// render (wave_gate.h). The gate is judged each time from the stored cluster records and the
// newest accepted renders, never from what this process remembers of a rollout, so a restart in
// the middle of one holds the same clusters.
#include <spdlog/spdlog.h>

#include <map>

#include "reconcile/reconciler.h"

namespace nkd::reconcile {
namespace {

// A cluster of an earlier wave, as the reconciler knows it in memory.
struct EarlierCluster {
  std::string name;
  int wave = 0;
  std::string render_digest;  // of its newest render; "" while not rendered
  bool suspended = false;
  std::string suspend_reason;
};

}  // namespace

std::optional<WaveHold> Reconciler::wave_hold_for(const DesiredCluster& desired,
                                                  std::uint64_t& wave_events_seen,
                                                  bool& already_recorded) {
  already_recorded = false;
  const int wave = desired.cluster.wave;
  std::vector<EarlierCluster> earlier;
  {
    std::lock_guard lock(mutex_);
    wave_events_seen = wave_events_;
    for (const auto& [name, other] : desired_) {
      if (other.cluster.wave >= wave) continue;
      EarlierCluster cluster{.name = name,
                             .wave = other.cluster.wave,
                             .render_digest = other.render_digest,
                             .suspended = other.cluster.suspend};
      if (auto suspension = suspensions_.find(name); suspension != suspensions_.end()) {
        cluster.suspended = true;
        cluster.suspend_reason =
            "by an operator" +
            (suspension->second.reason.empty() ? std::string() : ": " + suspension->second.reason);
      } else if (cluster.suspended) {
        cluster.suspend_reason = "spec.suspend: true";
      }
      earlier.push_back(std::move(cluster));
    }
  }
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
  const ClusterAccess access =
      cluster_sync_ != nullptr ? ClusterAccess::kDirect : ClusterAccess::kNone;
  std::vector<WaveMember> members;
  for (const EarlierCluster& cluster : earlier) {
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
    already_recorded = stored.phase == state::ClusterPhase::kWaitingForWave && stored.phase_message == hold->message &&
                       stored.observed_revision == desired.commit.id;
  }
  return hold;
}

Reconciler::Attempt Reconciler::wait_for_wave(const DesiredCluster& desired,
                                              state::ClusterRecord& record,
                                              const std::string& render_digest,
                                              const WaveHold& hold,
                                              std::uint64_t wave_events_seen,
                                              bool already_recorded) {
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
    waiting_for_wave_.insert(name);
    // A cluster that moved while this one was judged woke nobody here yet: look again now.
    missed_wake_up = wave_events_ != wave_events_seen;
  }
  // The metric first: whoever sees the phase stored also sees the metric say so.
  metrics_.cluster_waiting_for_wave.Add({{"cluster", name}}).Set(1);
  export_window_metric(name, false);
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
  return Attempt{.succeeded = true,
                 .complete = false,
                 .requeue_ms = missed_wake_up ? 1 : options_.wave_recheck_ms};
}

void Reconciler::stop_waiting_for_wave(const std::string& cluster) {
  {
    std::lock_guard lock(mutex_);
    waiting_for_wave_.erase(cluster);
  }
  metrics_.cluster_waiting_for_wave.Add({{"cluster", cluster}}).Set(0);
}

void Reconciler::wake_wave_waiters() {
  std::vector<std::string> waiting;
  {
    std::lock_guard lock(mutex_);
    ++wave_events_;
    waiting.assign(waiting_for_wave_.begin(), waiting_for_wave_.end());
  }
  for (const std::string& cluster : waiting) queue_.add(cluster);
}

}  // namespace nkd::reconcile
