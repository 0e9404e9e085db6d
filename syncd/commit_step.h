// CommitStep: what the daemon does when the source reports a new head (DESIGN.md §1 Loader,
// §10 "Rendering happens in the reconcile workers"). It reads the commit, loads only the
// clusters that changed since the last accepted commit, and checks them (definitions, the
// upgrade path against what each cluster applied, MACs against the clusters it did not reload).
// A commit with any error is rejected as a whole: the error is recorded on each cluster it
// names and the last accepted commit stays in force. Otherwise each changed cluster goes to the
// receiver in one batch, with a function that renders it when a worker gets to it; the
// unchanged ones are told they have seen the commit; clusters no longer defined are pruned or
// orphaned.
//
// Not thread-safe: the source loop alone calls take(). Source, store, receiver, metrics and
// clock must outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/phase_timer.h"
#include "metrics/metrics.h"
#include "model/diagnostics.h"
#include "model/mac_addresses.h"
#include "reconcile/reconciler.h"
#include "source/signature_check.h"
#include "source/source.h"
#include "state/cluster_records.h"

namespace nkd::syncd {

// Where the clusters of an accepted commit go: the reconciler, in the daemon.
class CommitReceiver {
 public:
  virtual ~CommitReceiver() = default;
  // The changed clusters, in one batch (waves judge a commit's clusters together).
  virtual void submit_all(std::vector<reconcile::DesiredCluster> changed) = 0;
  // Clusters the commit left unchanged: they have seen it.
  virtual void observe_revisions(const std::vector<std::string>& unchanged,
                                 const source::CommitInfo& commit) = 0;
  // A cluster with a record that the commit no longer defines: torn down (prune: true) or kept
  // and marked orphaned.
  virtual void prune(const std::string& cluster, const std::string& commit) = 0;
  virtual void orphan(const std::string& cluster, const std::string& commit) = 0;
};

// Who hears about a commit's fate (commit statuses, notifications); each may be empty.
struct CommitListeners {
  // Before the changed clusters are handed over, so no outcome can come before it.
  std::function<void(const std::string& commit, const std::vector<std::string>& changed)> started;
  std::function<void(const std::string& cluster, const std::string& commit)> cluster_removed;
  std::function<void(const std::string& commit, const std::string& summary)> accepted;
  std::function<void(const std::string& commit, const std::string& first_error)> rejected;
};

struct CommitStepOptions {
  bool prune = false;  // syncd.yaml `prune`
  // How a changed cluster is rendered when a worker applies it (the daemon's: PKI from the store).
  std::function<reconcile::RenderFunction(const model::Cluster&)> render_for;
  CommitListeners listeners;
  // repository.verify: judges a commit's signature, given the last accepted commit, before its
  // clusters are loaded; an untrusted commit is rejected like an invalid one. Empty: all trusted.
  std::function<source::SignatureCheck(const std::string& commit, const std::string& accepted)>
      verify;
};

class CommitStep {
 public:
  enum class Outcome {
    kAccepted,
    kRejected,
    kUnread,  // the commit could not be read (a passing failure): try it again at the next poll
  };

  CommitStep(source::Source& source, state::ClusterRecordStore& store, CommitReceiver& receiver,
             metrics::Metrics& metrics, const Clock& clock, CommitStepOptions options);

  // Takes `commit_id`, which the source fetched at `fetched_at_ms`. Whatever processing the
  // commit throws rejects it (a commit is untrusted input); this never throws.
  // `phases`, when given, has timed the steps before (the fetch); this one's are added and
  // logged at debug level.
  Outcome take(const std::string& commit_id, std::int64_t fetched_at_ms,
               PhaseTimer* phases = nullptr);

  // The last accepted commit ("" before the first).
  [[nodiscard]] const std::string& accepted_commit() const { return accepted_commit_; }

 private:
  Outcome process(const std::string& commit_id, std::int64_t fetched_at_ms, PhaseTimer& phases);
  void accept(const std::string& commit_id, const source::CommitInfo& info,
              const model::RepositoryModel& loaded, const std::vector<std::string>& names,
              std::int64_t fetched_at_ms, PhaseTimer& phases);
  Outcome reject(const std::string& commit_id, const std::vector<model::Diagnostic>& diagnostics);
  // reject() for a commit whose signature is not trusted: counted by reason, and the reason
  // recorded on each cluster the commit names.
  Outcome reject_untrusted(const std::string& commit_id, const source::SignatureCheck& check,
                           const std::vector<std::string>& names);
  // The clusters to load: those changed since the last accepted commit, or all of `names`.
  [[nodiscard]] std::vector<std::string> clusters_to_load(const std::string& commit_id,
                                                          const std::vector<std::string>& names);
  // Errors for MACs of `loaded` clusters that an accepted cluster not reloaded (still in
  // `present`) already claims: the commit loads only the clusters it changed.
  [[nodiscard]] std::vector<model::Diagnostic> macs_claimed_elsewhere(
      const model::RepositoryModel& loaded, const std::set<std::string>& present) const;

  source::Source& source_;
  state::ClusterRecordStore& store_;
  CommitReceiver& receiver_;
  metrics::Metrics& metrics_;
  const Clock& clock_;
  const CommitStepOptions options_;
  std::string accepted_commit_;
  std::map<std::string, std::vector<model::MacClaim>> mac_claims_;  // of the accepted clusters
};

}  // namespace nkd::syncd
