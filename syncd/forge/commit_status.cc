#include "syncd/forge/commit_status.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/secret_file.h"
#include "metrics/metered_http_client.h"

namespace nkd::syncd {

namespace {

constexpr std::size_t kDescriptionLimit = 140;

std::string cut(const std::string& text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t end = limit - 3;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;  // UTF-8
  return text.substr(0, end) + "...";
}

std::string short_commit(const std::string& commit) { return commit.substr(0, 12); }

}  // namespace

const char* to_string(CommitState state) {
  switch (state) {
    case CommitState::kPending: return "pending";
    case CommitState::kSuccess: return "success";
    case CommitState::kFailure: return "failure";
    case CommitState::kError: return "error";
  }
  return "error";
}

HttpRequest commit_status_request(const ForgeConfig& forge, const Secret& token,
                                  const std::string& commit, CommitState state,
                                  const std::string& description) {
  nlohmann::json body = {{"state", to_string(state)},
                         {"context", forge.context},
                         {"description", cut(description, kDescriptionLimit)}};
  if (!forge.target_url.empty()) body["target_url"] = forge.target_url;
  std::string base = forge.api_url;
  while (base.ends_with('/')) base.pop_back();
  HttpRequest request{.method = "POST",
                      .url = base + "/repos/" + forge.repository + "/statuses/" + commit,
                      .body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                      .timeout_ms = 15'000,
                      .connect_timeout_ms = 5'000};
  request.headers = {{"Content-Type", "application/json"}, {"User-Agent", "nkd"}};
  if (forge.kind == "github") {
    request.headers.emplace_back("Accept", "application/vnd.github+json");
    request.headers.emplace_back("Authorization", "Bearer " + token.reveal());
  } else {
    request.headers.emplace_back("Accept", "application/json");
    request.headers.emplace_back("Authorization", "token " + token.reveal());
  }
  return request;
}

Result<std::unique_ptr<ForgeStatusPublisher>> ForgeStatusPublisher::create(const ForgeConfig& forge,
                                                                           HttpClient& client,
                                                                           const Clock& clock,
                                                                           metrics::Metrics& metrics) {
  NKD_ASSIGN_OR_RETURN(auto token, read_secret_file(forge.token_file, "forge token file"));
  if (token.empty()) {
    return Error{ErrorCode::kInvalidArgument, "forge token file " + forge.token_file + " is empty"};
  }
  return std::make_unique<ForgeStatusPublisher>(forge, std::move(token), client, clock, metrics);
}

ForgeStatusPublisher::ForgeStatusPublisher(ForgeConfig forge, Secret token, HttpClient& client,
                                           const Clock& clock, metrics::Metrics& metrics)
    : forge_(std::move(forge)),
      token_(std::move(token)),
      client_(client),
      clock_(clock),
      metrics_(metrics),
      worker_(kQueueLimit, kDrainLimit, clock,
              {.deliver = [this](Pending& status, bool draining) { send(status, draining); },
               .overflowed =
                   [](const Pending& oldest) {
                     spdlog::warn("commit status queue full: dropping the oldest ({} {})",
                                  short_commit(oldest.commit), to_string(oldest.state));
                   },
               .abandoned =
                   [](std::size_t count) {
                     spdlog::warn("stopping: {} commit status(es) not sent (the forge is slow or down)",
                                  count);
                   }}) {}

ForgeStatusPublisher::~ForgeStatusPublisher() { stop(); }

void ForgeStatusPublisher::post(const std::string& commit, CommitState state,
                                const std::string& description) {
  worker_.push({commit, state, description});
}

void ForgeStatusPublisher::stop() { worker_.stop(); }

void ForgeStatusPublisher::send(const Pending& status, bool draining) {
  HttpRequest request =
      commit_status_request(forge_, token_, status.commit, status.state, status.description);
  RetryPolicy policy{.max_attempts = 3,
                     .total_deadline_ms = 30'000,
                     .retry_non_idempotent = true,
                     .clock = &clock_};
  if (draining) {  // shutting down: one quick try each, so stop stays within systemd's timeout
    policy.max_attempts = 1;
    request.timeout_ms = 2'000;
    request.connect_timeout_ms = 1'000;
  }
  metrics::MeteredHttpClient metered(client_, clock_, &metrics_, "forge", "commit_status");
  auto response = send_with_retry(metered, request, policy);
  if (!response) {
    spdlog::warn("posting {} status for {} to {}: {}", to_string(status.state),
                 short_commit(status.commit), forge_.kind, response.error().message);
  } else if (response->status / 100 != 2) {
    spdlog::warn("posting {} status for {} to {}: HTTP {}; check forge.url, forge.repository and "
                 "the token's permission to write statuses", to_string(status.state),
                 short_commit(status.commit), forge_.kind, response->status);
  }
}

void CommitStatusTracker::commit_started(const std::string& commit,
                                         const std::vector<std::string>& clusters) {
  std::lock_guard lock(mutex_);
  if (clusters.empty()) {
    sink_.post(commit, CommitState::kSuccess, "no cluster changed");
    return;
  }
  // Clusters still pending for an older commit will not be applied at it any more.
  supersede(clusters, commit);
  Tracked tracked;
  for (const auto& cluster : clusters) tracked.clusters[cluster] = ClusterOutcome::kPending;
  if (!commits_.contains(commit)) order_.push_back(commit);
  commits_[commit] = std::move(tracked);
  while (order_.size() > kTrackedCommits) {
    commits_.erase(order_.front());
    order_.pop_front();
  }
  sink_.post(commit, CommitState::kPending,
             "applying to " + std::to_string(clusters.size()) + " cluster(s)");
}

void CommitStatusTracker::supersede(const std::vector<std::string>& clusters, const std::string& newer) {
  for (auto& [older, tracked] : commits_) {
    if (older == newer) continue;
    bool touched = false;
    for (const auto& cluster : clusters) {
      auto found = tracked.clusters.find(cluster);
      if (found != tracked.clusters.end() && found->second == ClusterOutcome::kPending) {
        found->second = ClusterOutcome::kSuperseded;
        touched = true;
      }
    }
    if (touched) {
      tracked.superseded_by = newer;
      settle(older, tracked);
    }
  }
}

void CommitStatusTracker::cluster_removed(const std::string& cluster, const std::string& commit) {
  std::lock_guard lock(mutex_);
  supersede({cluster}, commit);
}

void CommitStatusTracker::commit_rejected(const std::string& commit, const std::string& first_error) {
  std::lock_guard lock(mutex_);
  sink_.post(commit, CommitState::kFailure, "rejected: " + first_error);
}

void CommitStatusTracker::cluster_finished(const std::string& cluster, const std::string& commit,
                                           bool applied, const std::string& message) {
  std::lock_guard lock(mutex_);
  auto found = commits_.find(commit);
  if (found == commits_.end()) return;  // a resync of an older commit, or not tracked any more
  auto& tracked = found->second;
  auto entry = tracked.clusters.find(cluster);
  if (entry == tracked.clusters.end() || entry->second == ClusterOutcome::kSuperseded) return;
  entry->second = applied ? ClusterOutcome::kApplied : ClusterOutcome::kFailed;
  if (applied) {
    tracked.errors.erase(cluster);
  } else {
    tracked.errors[cluster] = message;
  }
  settle(commit, tracked);
}

void CommitStatusTracker::settle(const std::string& commit, Tracked& tracked) {
  std::size_t applied = 0;
  std::size_t superseded = 0;
  for (const auto& [cluster, outcome] : tracked.clusters) {
    if (outcome == ClusterOutcome::kPending) return;
    applied += outcome == ClusterOutcome::kApplied;
    superseded += outcome == ClusterOutcome::kSuperseded;
  }
  CommitState state = CommitState::kSuccess;
  std::string description = "applied to " + std::to_string(applied) + " cluster(s)";
  if (!tracked.errors.empty()) {
    state = CommitState::kFailure;
    const auto& [cluster, message] = *tracked.errors.begin();
    description = std::to_string(tracked.errors.size()) + " of " +
                  std::to_string(tracked.clusters.size()) + " cluster(s) failed; " + cluster + ": " + message;
  } else if (superseded > 0) {
    state = CommitState::kError;
    description = "superseded by " + short_commit(tracked.superseded_by) + " before " +
                  std::to_string(superseded) + " cluster(s) were applied";
  }
  if (state == tracked.posted) return;
  tracked.posted = state;
  sink_.post(commit, state, description);
}

}  // namespace nkd::syncd
