// Commit statuses (DESIGN.md §1 Recorder, issue: review in pull requests): the daemon tells the
// forge what happened to each commit it took, so the pull request and the commit page show it.
//
// CommitStatusTracker knows which clusters a commit changed; it posts `pending` when the commit
// is taken and `success` or `failure` with a one-line summary once every one of those clusters
// has an outcome (again if a retry changes the verdict). A rejected commit is a `failure` at
// once; a commit that changes no cluster is a `success` at once; a commit overtaken by a newer
// one before its clusters finished is an `error` ("superseded").
//
// ForgeStatusPublisher posts to GitHub or Gitea (POST <api>/repos/<owner>/<name>/statuses/<sha>)
// from one background thread, so a slow forge never holds up a reconcile. Its queue is bounded:
// when full the oldest status is dropped with a log line (the newest state is what matters).
// Requests have timeouts and are retried with backoff (a repeated status is harmless).
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/bounded_worker.h"
#include "common/http_client.h"
#include "common/result.h"
#include "common/secret.h"
#include "metrics/metrics.h"
#include "syncd/config.h"

namespace nkd::syncd {

enum class CommitState { kPending, kSuccess, kFailure, kError };
[[nodiscard]] const char* to_string(CommitState state);

class CommitStatusSink {
 public:
  virtual ~CommitStatusSink() = default;
  // Must not block on the network.
  virtual void post(const std::string& commit, CommitState state, const std::string& description) = 0;
};

// The forge API request for one status (descriptions are cut to the forges' 140 characters).
[[nodiscard]] HttpRequest commit_status_request(const ForgeConfig& forge, const Secret& token,
                                                const std::string& commit, CommitState state,
                                                const std::string& description);

class ForgeStatusPublisher final : public CommitStatusSink {
 public:
  // Reads the token file; kInvalidArgument/kNotFound when the config cannot work. `clock` times
  // the retries, the drain limit and the request durations.
  static Result<std::unique_ptr<ForgeStatusPublisher>> create(const ForgeConfig& forge,
                                                              HttpClient& client,
                                                              const Clock& clock,
                                                              metrics::Metrics& metrics);
  ForgeStatusPublisher(ForgeConfig forge, Secret token, HttpClient& client, const Clock& clock,
                       metrics::Metrics& metrics);
  ~ForgeStatusPublisher() override;
  ForgeStatusPublisher(const ForgeStatusPublisher&) = delete;
  ForgeStatusPublisher& operator=(const ForgeStatusPublisher&) = delete;

  void post(const std::string& commit, CommitState state, const std::string& description) override;
  // Sends what is queued, one quick try each for at most kDrainLimit, and joins the thread.
  void stop();

 private:
  struct Pending {
    std::string commit;
    CommitState state;
    std::string description;
  };
  static constexpr std::size_t kQueueLimit = 256;
  // How long stop() keeps sending what is queued before dropping the rest.
  static constexpr std::chrono::seconds kDrainLimit{5};

  void send(const Pending& status, bool draining);

  ForgeConfig forge_;
  Secret token_;
  HttpClient& client_;
  const Clock& clock_;
  metrics::Metrics& metrics_;
  BoundedWorker<Pending> worker_;  // last: its thread uses the members above
};

// Thread-safe: the source thread starts and rejects commits, reconcile workers finish clusters.
class CommitStatusTracker {
 public:
  explicit CommitStatusTracker(CommitStatusSink& sink) : sink_(sink) {}

  // `clusters`: the clusters the commit changed (their renders were submitted).
  void commit_started(const std::string& commit, const std::vector<std::string>& clusters);
  void commit_rejected(const std::string& commit, const std::string& first_error);
  // `cluster` left the repository at `commit`: older commits waiting on it will not see it applied.
  void cluster_removed(const std::string& cluster, const std::string& commit);
  // A reconcile of `cluster` toward `commit` ended: applied, or failed with `message`.
  void cluster_finished(const std::string& cluster, const std::string& commit, bool applied,
                        const std::string& message);

 private:
  enum class ClusterOutcome { kPending, kApplied, kFailed, kSuperseded };
  struct Tracked {
    std::map<std::string, ClusterOutcome> clusters;
    std::map<std::string, std::string> errors;
    std::string superseded_by;
    CommitState posted = CommitState::kPending;
  };
  static constexpr std::size_t kTrackedCommits = 64;

  void settle(const std::string& commit, Tracked& tracked);
  // Marks `clusters` still pending for commits other than `newer` as superseded by it.
  void supersede(const std::vector<std::string>& clusters, const std::string& newer);

  CommitStatusSink& sink_;
  std::mutex mutex_;
  std::map<std::string, Tracked> commits_;
  std::deque<std::string> order_;  // oldest first, to bound commits_
};

}  // namespace nkd::syncd
