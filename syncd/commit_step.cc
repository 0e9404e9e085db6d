#include "syncd/commit_step.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <map>
#include <optional>

#include "model/loader.h"
#include "model/mac_addresses.h"
#include "model/upgrade_path.h"

namespace nkd::syncd {

namespace {

std::string cluster_of(const model::Diagnostic& diagnostic) {
  constexpr std::string_view kPrefix = "clusters/";
  if (!diagnostic.path.starts_with(kPrefix)) return "";
  const auto rest = diagnostic.path.substr(kPrefix.size());
  return rest.substr(0, rest.find('/'));
}

// The error, if any, for `cluster` against its definition at `revision`; nullopt when that
// commit or definition cannot be read (an unreadable old revision must never block a new one).
std::optional<model::Diagnostic> refused_against(source::Source& source, const model::Cluster& cluster,
                                                 const std::string& revision,
                                                 std::string_view label) {
  auto tree = source.tree(revision);
  if (!tree) {
    spdlog::debug("upgrade path of {}: cannot read commit {} ({}); not checked", cluster.name,
                  revision.substr(0, 12), tree.error().message);
    return std::nullopt;
  }
  // Most commits keep the version: a look at one field spares the full load of the old one.
  const auto version = model::peek_kubernetes_version(**tree, cluster.name);
  const auto plugin = model::peek_kubernetes_field(**tree, cluster.name, "networkPlugin")
                          .value_or(model::to_string(model::NetworkPlugin::kCalico));
  if (version && *version == cluster.kubernetes.version &&
      plugin == model::to_string(cluster.kubernetes.network_plugin)) {
    return std::nullopt;
  }
  const model::LoadResult loaded = model::load_clusters(**tree, {cluster.name});
  const model::Cluster* before = loaded.model.find(cluster.name);
  if (before == nullptr) {
    spdlog::debug("upgrade path of {}: its definition at {} does not load; not checked",
                  cluster.name, revision.substr(0, 12));
    return std::nullopt;
  }
  return model::check_cluster_transition(*before, cluster, label);
}

// Errors for loaded clusters whose spec.kubernetes.version cannot follow the version of the
// definition they have applied (kubeadm moves one minor at a time and never back), nor, while a
// rollout is still under way, the one the cluster last reached (its clusterRevision): a commit
// pushed mid-rollout must be one step from the nodes that have not moved yet too. A cluster with
// nothing applied is not checked.
std::vector<model::Diagnostic> refused_upgrades(source::Source& source,
                                                state::ClusterRecordStore& store,
                                                const model::RepositoryModel& loaded,
                                                const std::string& commit_id) {
  std::vector<model::Diagnostic> refused;
  for (const model::Cluster& cluster : loaded.clusters) {
    auto record = store.get_cluster(cluster.name);
    if (!record || !record->has_value()) continue;
    const std::pair<const std::string*, std::string_view> compared[] = {
        {&(*record)->applied_revision, "applied"}, {&(*record)->cluster_revision, "running"}};
    for (const auto& [revision, label] : compared) {
      if (revision->empty() || *revision == commit_id) continue;
      if (auto diagnostic = refused_against(source, cluster, *revision, label)) {
        refused.push_back(std::move(*diagnostic));
        break;
      }
    }
  }
  return refused;
}

}  // namespace

CommitStep::CommitStep(source::Source& source, state::ClusterRecordStore& store,
                       CommitReceiver& receiver, metrics::Metrics& metrics, const Clock& clock,
                       CommitStepOptions options)
    : source_(source),
      store_(store),
      receiver_(receiver),
      metrics_(metrics),
      clock_(clock),
      options_(std::move(options)) {}

CommitStep::Outcome CommitStep::take(const std::string& commit_id, std::int64_t fetched_at_ms,
                                     PhaseTimer* phases) {
  PhaseTimer own_phases(clock_);
  try {
    return process(commit_id, fetched_at_ms, phases != nullptr ? *phases : own_phases);
  } catch (const std::exception& error) {
    // A commit is untrusted input: whatever its processing throws (an allocation a definition
    // asks for, a library exception the loader does not expect) rejects it, and the source
    // thread, which every later commit needs, lives on.
    return reject(commit_id, {model::Diagnostic{
                                 .path = "clusters/",
                                 .severity = model::Severity::kError,
                                 .message = std::string("cannot process this commit (") +
                                            error.what() +
                                            "); the last accepted commit stays applied"}});
  }
}

std::vector<model::Diagnostic> CommitStep::macs_claimed_elsewhere(
    const model::RepositoryModel& loaded, const std::set<std::string>& present) const {
  std::vector<model::MacClaim> checked;
  std::set<std::string> reloaded;
  for (const model::Cluster& cluster : loaded.clusters) {
    const auto claims = model::mac_claims(cluster);
    checked.insert(checked.end(), claims.begin(), claims.end());
    reloaded.insert(cluster.name);
  }
  // Borrowed, not copied: a commit that changes one cluster of 1,000 spent most of its checks
  // copying the other clusters' 13,000 claims.
  std::vector<const model::MacClaim*> established;
  for (const auto& [name, claims] : mac_claims_) {
    if (!present.contains(name) || reloaded.contains(name)) continue;
    for (const model::MacClaim& claim : claims) established.push_back(&claim);
  }
  return model::duplicate_macs(checked, established);
}

CommitStep::Outcome CommitStep::process(const std::string& commit_id, std::int64_t fetched_at_ms,
                                        PhaseTimer& phases) {
  auto tree = source_.tree(commit_id);
  auto info = source_.commit_info(commit_id);
  if (!tree || !info) {
    spdlog::error("reading commit {}: {}", commit_id.substr(0, 12),
                  !tree ? tree.error().message : info.error().message);
    return Outcome::kUnread;
  }
  auto names = model::list_cluster_names(**tree);
  if (!names && names.error().code == ErrorCode::kQuotaExceeded) {
    // Too many clusters is the commit's fault, not a passing one: reject it, do not retry.
    return reject(commit_id, {model::Diagnostic{.path = "clusters/",
                                                .severity = model::Severity::kError,
                                                .message = names.error().message}});
  }
  if (!names) {
    spdlog::error("listing clusters at {}: {}", commit_id.substr(0, 12), names.error().message);
    return Outcome::kUnread;
  }
  if (options_.verify) {
    const source::SignatureCheck check = options_.verify(commit_id, accepted_commit_);
    if (!check.trusted()) return reject_untrusted(commit_id, check, *names);
    spdlog::info("commit {} is signed by {}", commit_id.substr(0, 12), check.detail);
  }
  phases.lap("read");
  const std::vector<std::string> to_load = clusters_to_load(commit_id, *names);
  phases.lap("diff");
  const model::LoadResult loaded = model::load_clusters(**tree, to_load);
  phases.lap("load");
  for (const auto& diagnostic : loaded.diagnostics) {
    if (diagnostic.severity == model::Severity::kWarning) spdlog::warn("{}", model::format(diagnostic));
  }
  if (!loaded.ok()) return reject(commit_id, loaded.diagnostics);
  if (auto refused = refused_upgrades(source_, store_, loaded.model, commit_id); !refused.empty()) {
    return reject(commit_id, refused);
  }
  const std::set<std::string> present(names->begin(), names->end());
  if (auto duplicates = macs_claimed_elsewhere(loaded.model, present); !duplicates.empty()) {
    return reject(commit_id, duplicates);
  }
  phases.lap("checks");
  accept(commit_id, *info, loaded.model, *names, fetched_at_ms, phases);
  return Outcome::kAccepted;
}

std::vector<std::string> CommitStep::clusters_to_load(const std::string& commit_id,
                                                      const std::vector<std::string>& names) {
  if (accepted_commit_.empty()) return names;
  auto changed = source_.changed_clusters(accepted_commit_, commit_id);
  if (!changed) return names;  // the difference cannot be worked out: load them all
  const std::set<std::string> present(names.begin(), names.end());
  std::vector<std::string> to_load;
  for (const auto& name : *changed) {
    if (present.contains(name)) to_load.push_back(name);
  }
  return to_load;
}

void CommitStep::accept(const std::string& commit_id, const source::CommitInfo& info,
                        const model::RepositoryModel& loaded, const std::vector<std::string>& names,
                        std::int64_t fetched_at_ms, PhaseTimer& phases) {
  const std::set<std::string> present(names.begin(), names.end());
  // Rendering happens in the reconcile workers (render_for), one cluster at a time.
  std::map<std::string, reconcile::DesiredCluster> rendered;
  for (const model::Cluster& cluster : loaded.clusters) {
    rendered.emplace(cluster.name, reconcile::DesiredCluster{.cluster = cluster,
                                                  .render = options_.render_for(cluster),
                                                  .commit = info,
                                                  .fetched_at_ms = fetched_at_ms});
  }
  if (options_.listeners.started) {
    std::vector<std::string> changed;
    for (const auto& [name, desired] : rendered) changed.push_back(name);
    options_.listeners.started(commit_id, changed);
  }
  std::vector<reconcile::DesiredCluster> batch;
  for (auto& [name, desired] : rendered) batch.push_back(std::move(desired));
  receiver_.submit_all(std::move(batch));
  phases.lap("hand-off");
  std::vector<std::string> unchanged;
  for (const auto& name : names) {
    if (!rendered.contains(name)) unchanged.push_back(name);
  }
  receiver_.observe_revisions(unchanged, info);
  phases.lap("unchanged noted");
  if (auto records = store_.list_clusters()) {
    for (const auto& record : *records) {
      if (present.contains(record.name)) continue;
      if (options_.prune) {
        receiver_.prune(record.name, commit_id);
      } else {
        receiver_.orphan(record.name, commit_id);
      }
      if (options_.listeners.cluster_removed) {
        options_.listeners.cluster_removed(record.name, commit_id);
      }
    }
  }
  phases.lap("removals");
  std::erase_if(mac_claims_, [&](const auto& entry) { return !present.contains(entry.first); });
  for (const model::Cluster& cluster : loaded.clusters) {
    mac_claims_[cluster.name] = model::mac_claims(cluster);
  }
  accepted_commit_ = commit_id;
  metrics_.source_head_valid.Add({}).Set(1);
  const std::size_t changed_count = loaded.clusters.size();
  const std::size_t unchanged_count = names.size() - changed_count;
  if (options_.listeners.accepted) {
    options_.listeners.accepted(commit_id, std::to_string(changed_count) + " cluster(s) changed, " +
                                               std::to_string(unchanged_count) + " unchanged");
  }
  spdlog::info("accepted commit {} by {}: {} cluster(s) changed, {} unchanged",
               commit_id.substr(0, 12), info.author, changed_count, unchanged_count);
  spdlog::debug("commit {} in the source loop: {}", commit_id.substr(0, 12), phases.text());
}

CommitStep::Outcome CommitStep::reject(const std::string& commit_id,
                                       const std::vector<model::Diagnostic>& diagnostics) {
  metrics_.render_errors_total.Add({}).Increment();
  metrics_.source_head_valid.Add({}).Set(0);
  std::map<std::string, std::string> errors_by_cluster;
  for (const auto& diagnostic : diagnostics) {
    if (diagnostic.severity != model::Severity::kError) continue;
    spdlog::error("commit {} rejected: {}", commit_id.substr(0, 12), model::format(diagnostic));
    auto& text = errors_by_cluster[cluster_of(diagnostic)];
    if (text.empty()) text = "commit " + commit_id.substr(0, 12) + " rejected: " + model::format(diagnostic);
  }
  const auto first = std::find_if(diagnostics.begin(), diagnostics.end(), [](const auto& diagnostic) {
    return diagnostic.severity == model::Severity::kError;
  });
  if (first != diagnostics.end() && options_.listeners.rejected) {
    options_.listeners.rejected(commit_id, model::format(*first));
  }
  for (const auto& [name, message] : errors_by_cluster) {
    if (name.empty()) continue;
    if (auto status = store_.note_rejection(name, commit_id, message, clock_.now_unix_ms());
        !status) {
      spdlog::error("recording rejected commit for {}: {}", name, status.error().message);
    }
  }
  spdlog::warn("commit {} rejected; {} stays applied", commit_id.substr(0, 12),
               accepted_commit_.empty() ? "nothing" : accepted_commit_.substr(0, 12));
  return Outcome::kRejected;
}

CommitStep::Outcome CommitStep::reject_untrusted(const std::string& commit_id,
                                                 const source::SignatureCheck& check,
                                                 const std::vector<std::string>& names) {
  const char* reason =
      source::rejection_label(check.rejection.value_or(source::Rejection::kUnverifiable));
  metrics_.source_verification_failures_total.Add({{"reason", reason}}).Increment();
  const std::string message =
      std::string("signature not trusted (") + reason + "): " + check.detail;
  std::vector<model::Diagnostic> diagnostics;
  for (const std::string& name : names) {
    diagnostics.push_back(model::Diagnostic{
        .path = "clusters/" + name + "/", .severity = model::Severity::kError, .message = message});
  }
  if (diagnostics.empty()) {
    diagnostics.push_back(model::Diagnostic{
        .path = "clusters/", .severity = model::Severity::kError, .message = message});
  }
  return reject(commit_id, diagnostics);
}

}  // namespace nkd::syncd
