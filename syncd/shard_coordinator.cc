#include "syncd/shard_coordinator.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "common/crypto.h"

namespace nkd::syncd {
namespace {

// The first 64 bits of SHA-256 over the pair: spread evenly, and the same on every replica
// and every build, which a std::hash is not.
std::uint64_t rendezvous_weight(const std::string& cluster, const std::string& replica) {
  return std::stoull(sha256_hex(cluster + '\n' + replica).substr(0, 16), nullptr, 16);
}

}  // namespace

std::string rendezvous_owner(const std::string& cluster, const std::vector<std::string>& replicas) {
  std::string best;
  std::uint64_t best_weight = 0;
  for (const std::string& replica : replicas) {
    const std::uint64_t weight = rendezvous_weight(cluster, replica);
    if (best.empty() || weight > best_weight || (weight == best_weight && replica < best)) {
      best = replica;
      best_weight = weight;
    }
  }
  return best;
}

ShardCoordinator::ShardCoordinator(state::ShardStore& store, ShardSettings settings,
                                   metrics::Metrics& metrics, const Clock& clock)
    : store_(store), settings_(std::move(settings)), metrics_(metrics), clock_(clock) {}

ShardCoordinator::~ShardCoordinator() { stop(); }

Status ShardCoordinator::start(Listeners listeners) {
  listeners_ = std::move(listeners);
  const state::ReplicaInfo self{
      .id = settings_.replica_id, .url = settings_.advertise_url, .since_ms = clock_.now_unix_ms()};
  if (auto joined = store_.join(self, settings_.lease_ttl_seconds); !joined) {
    return joined.error().wrap("joining the replicas on etcd as " + settings_.replica_id);
  }
  {
    std::lock_guard lock(mutex_);
    joined_ = true;
  }
  spdlog::info(
      "replica {} joined the replicas on etcd (lease TTL {} s); its clusters are split "
      "with the others by rendezvous hashing",
      settings_.replica_id, settings_.lease_ttl_seconds);
  refresh();
  if (settings_.refresh_in_background) thread_ = std::thread([this] { loop(); });
  return ok_status();
}

void ShardCoordinator::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  bool joined = false;
  {
    std::lock_guard lock(mutex_);
    std::swap(joined, joined_);
  }
  if (!joined) return;
  if (auto left = store_.leave(); !left) {
    spdlog::warn(
        "leaving the replicas: {} (the others take this replica's clusters when its "
        "lease expires, in at most {} s)",
        left.error().message, settings_.lease_ttl_seconds);
  } else {
    spdlog::info("replica {} left: the others take its clusters now", settings_.replica_id);
  }
}

void ShardCoordinator::clusters_changed() {
  {
    std::lock_guard lock(mutex_);
    refresh_requested_ = true;
  }
  wake_.notify_all();
}

void ShardCoordinator::loop() {
  const auto period = std::chrono::milliseconds(
      std::max<std::int64_t>(500, settings_.lease_ttl_seconds * 1000 / 3));
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      clock_.wait_for(lock, wake_, period, [&] { return refresh_requested_ || stopping_; });
      if (stopping_) return;
      refresh_requested_ = false;
    }
    refresh();
  }
}

void ShardCoordinator::renew_lease() {
  auto ttl = store_.renew();
  if (!ttl) {
    metrics_.lease_renewals_total.Add({{"result", "failed"}}).Increment();
    spdlog::warn(
        "renewing replica {}'s lease: {}; its clusters stay its own only until the "
        "lease's deadline",
        settings_.replica_id, ttl.error().message);
    return;
  }
  if (*ttl > 0) {
    metrics_.lease_renewals_total.Add({{"result", "ok"}}).Increment();
    return;
  }
  metrics_.lease_renewals_total.Add({{"result", "expired"}}).Increment();
  spdlog::warn(
      "replica {}'s lease had expired (the process was stopped, or cut off from etcd, "
      "for more than {} s): the others may own its clusters now, and it writes nothing "
      "for them; joining again",
      settings_.replica_id, settings_.lease_ttl_seconds);
  const state::ReplicaInfo self{
      .id = settings_.replica_id, .url = settings_.advertise_url, .since_ms = clock_.now_unix_ms()};
  if (auto joined = store_.join(self, settings_.lease_ttl_seconds); !joined) {
    spdlog::error("replica {} could not join again: {}", settings_.replica_id,
                  joined.error().message);
  }
}

std::vector<std::string> ShardCoordinator::rebalance(state::ShardView& view,
                                                     const std::vector<std::string>& clusters) {
  std::vector<std::string> replicas;
  for (const state::ReplicaInfo& replica : view.replicas) replicas.push_back(replica.id);
  // Not registered (its lease went between the renewal and the read): it owns nothing.
  if (std::find(replicas.begin(), replicas.end(), settings_.replica_id) == replicas.end()) {
    return {};
  }
  std::set<std::string> names(clusters.begin(), clusters.end());
  for (const auto& [cluster, owner] : view.owners) {
    if (owner.replica == settings_.replica_id) names.insert(cluster);
  }
  std::vector<std::string> unclaimed;      // this replica's, held by none
  std::vector<std::string> claimed;        // this replica's from this refresh on
  std::map<std::string, int> handed_over;  // by the replica each goes to
  for (const std::string& cluster : names) {
    const std::string heir = rendezvous_owner(cluster, replicas);
    const auto owner = view.owners.find(cluster);
    const bool held_here =
        owner != view.owners.end() && owner->second.replica == settings_.replica_id;
    if (heir == settings_.replica_id) {
      if (owner == view.owners.end()) unclaimed.push_back(cluster);
      // Handed over by its previous owner (or kept through a failed hand-over): this replica's
      // as soon as it holds the fence.
      if (held_here && store_.adopt(cluster, owner->second)) {
        claimed.push_back(cluster);
      }
    } else if (held_here) {
      const auto to = std::find_if(view.replicas.begin(), view.replicas.end(),
                                   [&](const state::ReplicaInfo& r) { return r.id == heir; });
      if (auto given = store_.hand_over(cluster, owner->second.revision, *to); !given) {
        spdlog::warn("handing cluster {} over: {}", cluster, given.error().message);
      } else {
        ++handed_over[heir];
        owner->second = {.replica = heir, .revision = 0, .lease = to->lease};  // its from now on
      }
    }
  }
  for (const auto& [replica, count] : handed_over) {
    spdlog::info("replica {} handed {} cluster(s) to replica {}", settings_.replica_id, count,
                 replica);
  }
  auto revisions = store_.claim(unclaimed);
  if (!revisions) {
    spdlog::warn("claiming {} cluster(s): {}", unclaimed.size(), revisions.error().message);
    return claimed;
  }
  for (const auto& [cluster, revision] : *revisions) {
    claimed.push_back(cluster);
    view.owners[cluster] = {.replica = settings_.replica_id, .revision = revision};
  }
  return claimed;
}

void ShardCoordinator::refresh() {
  renew_lease();
  auto view = store_.read();
  if (!view) {
    spdlog::warn("reading the replicas and owners from etcd: {}", view.error().message);
    return;
  }
  const std::vector<std::string> clusters =
      listeners_.clusters ? listeners_.clusters() : std::vector<std::string>{};
  // The view then shows the owners as they are after this refresh's claims and releases.
  const std::vector<std::string> claimed = rebalance(*view, clusters);
  bool signalled = false;
  std::size_t owned = 0;
  for (const auto& [cluster, owner] : view->owners) owned += owner.replica == settings_.replica_id;
  {
    std::lock_guard lock(mutex_);
    if (seen_signal_ && view->fetch_signal_revision != last_signal_) signalled = true;
    seen_signal_ = true;
    last_signal_ = view->fetch_signal_revision;
    view_ = *view;
  }
  metrics_.shard_clusters.Add({}).Set(static_cast<double>(owned));
  metrics_.shard_replicas.Add({}).Set(static_cast<double>(view->replicas.size()));
  if (!claimed.empty()) {
    spdlog::info("replica {} took over {} cluster(s); it owns {} now", settings_.replica_id,
                 claimed.size(), owned);
    if (listeners_.took_over) listeners_.took_over(claimed);
  }
  if (signalled && listeners_.fetch_signalled) listeners_.fetch_signalled();
}

bool ShardCoordinator::owns(const std::string& cluster) const {
  return store_.fences().revision_of(cluster).has_value();
}

std::string ShardCoordinator::owner_of(const std::string& cluster) const {
  std::lock_guard lock(mutex_);
  const auto found = view_.owners.find(cluster);
  return found == view_.owners.end() ? "" : found->second.replica;
}

std::string ShardCoordinator::owner_hint(const std::string& cluster) const {
  std::lock_guard lock(mutex_);
  const auto found = view_.owners.find(cluster);
  if (found == view_.owners.end()) {
    return "no replica owns cluster " + cluster + " at the moment; try again in a few seconds";
  }
  std::string hint = "cluster " + cluster + " is owned by replica " + found->second.replica;
  for (const state::ReplicaInfo& replica : view_.replicas) {
    if (replica.id == found->second.replica && !replica.url.empty()) hint += " at " + replica.url;
  }
  return hint + "; send the request there";
}

nlohmann::json ShardCoordinator::replicas_document() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, int> counts;
  for (const auto& [cluster, owner] : view_.owners) ++counts[owner.replica];
  nlohmann::json replicas = nlohmann::json::array();
  for (const state::ReplicaInfo& replica : view_.replicas) {
    replicas.push_back(
        {{"id", replica.id}, {"url", replica.url}, {"clusters", counts[replica.id]}});
  }
  return {{"self", settings_.replica_id},
          {"leaseTtlSeconds", settings_.lease_ttl_seconds},
          {"replicas", std::move(replicas)}};
}

void ShardCoordinator::signal_fetch() {
  if (auto signalled = store_.signal_fetch(); !signalled) {
    spdlog::warn("telling the other replicas to fetch: {} (they fetch at their next poll)",
                 signalled.error().message);
  }
}

}  // namespace nkd::syncd
