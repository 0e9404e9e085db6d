// Daemon: `nkd syncd`. Wires the stages of DESIGN.md §1 together: a source loop that polls (or
// is woken by a webhook), validates and renders each new commit, and hands changed clusters to
// the reconciler; the HTTP server; the state store. A commit with any invalid definition is
// rejected as a whole and the last accepted commit stays in force.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/curl_http_client.h"
#include "common/progress_monitor.h"
#include "metrics/metrics.h"
#include "model/diagnostics.h"
#include "model/mac_addresses.h"
#include "providers/baremetal/baremetal_provider.h"
#include "providers/openstack/openstack_provider.h"
#include "reconcile/reconciler.h"
#include "source/source.h"
#include "state/state_store.h"
#include "syncd/config.h"
#include "syncd/forge/commit_status.h"
#include "syncd/http/http_server.h"
#include "syncd/http/tls_transport.h"
#include "syncd/notify/notifier.h"
#include "syncd/published_config_store.h"
#include "syncd/stored_fetch_tokens.h"

namespace nkd::syncd {

class Daemon {
 public:
  // `version` and `commit` are nkd's own (nkd_build_info).
  static Result<std::unique_ptr<Daemon>> create(DaemonConfig config, const std::string& version,
                                                const std::string& commit);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Starts the HTTP server, the reconcilers and the source loop.
  [[nodiscard]] Status start();
  // Stops every thread and closes the store; safe to call twice.
  void stop();
  // Wakes the source loop to fetch now (webhooks); bursts coalesce into one fetch.
  void trigger_fetch();
  // Applies a new config's live settings (poll interval); other changes need a restart.
  void reload(const DaemonConfig& config);
  // The loops (source, reconcile workers) stuck on one step past their bound; empty while the
  // daemon makes progress. systemd's watchdog is fed only then. Thread-safe.
  [[nodiscard]] std::vector<std::string> stalled_loops() const { return progress_.stalled(); }
  // Suspend, resume or sync a cluster (the operator endpoints); sync also fetches Git now.
  [[nodiscard]] Result<std::string> operator_action(OperatorAction action,
                                                    const std::string& cluster,
                                                    const std::string& reason);

 private:
  Daemon(DaemonConfig config, std::unique_ptr<state::StateStore> store,
         std::unique_ptr<source::Source> source, providers::openstack::Clouds clouds,
         const std::string& version, const std::string& commit);
  void source_loop();
  void poll_once();
  void process_commit(const std::string& commit_id, std::int64_t fetched_at_ms);
  void reject_commit(const std::string& commit_id, const std::vector<model::Diagnostic>& diagnostics);
  // Errors for MACs of `loaded` clusters that an accepted cluster not reloaded (still in
  // `present`) already claims: the commit loads only the clusters it changed.
  [[nodiscard]] std::vector<model::Diagnostic> macs_claimed_elsewhere(
      const model::RepositoryModel& loaded, const std::set<std::string>& present) const;
  void restore_fetched_configs();
  // Renders `cluster` with its stored (or new) PKI when a reconcile worker asks.
  reconcile::RenderFunction render_function(const model::Cluster& cluster);
  [[nodiscard]] Status start_commit_statuses();
  [[nodiscard]] Status start_notifications();
  // Routes the reconciler's reports to the commit statuses and the notifier, whichever exist.
  void listen_to_reconciler();
  // HTTPS material per http.tls (or, with http.insecure, a warning): before the listener starts.
  [[nodiscard]] Status prepare_listener_security();

  DaemonConfig config_;
  SystemClock clock_;
  ProgressMonitor progress_{clock_};
  ProgressMonitor::Loop source_heartbeat_;
  metrics::Metrics metrics_;
  std::unique_ptr<state::StateStore> store_;
  std::unique_ptr<source::Source> source_;
  StateConfigStore published_configs_;
  StoredFetchTokens fetch_tokens_;
  providers::BareMetalProvider bare_metal_;
  // Every call to a cloud or a cluster goes through it, so egress.allow holds for them all.
  CurlHttpClient egress_client_;
  std::unique_ptr<providers::openstack::OpenStackProvider> openstack_;  // when clouds: is set
  std::unique_ptr<reconcile::ClusterSync> cluster_sync_;  // when clusterAccess: direct
  std::unique_ptr<reconcile::Reconciler> reconciler_;
  std::unique_ptr<HttpServer> http_;
  // Set once by start(), before any render: the listener's certificate (null for plain HTTP)
  // and the CA pointer configs pin (empty for plain HTTP).
  std::shared_ptr<const TlsContext> listener_tls_;
  std::string ignition_ca_pem_;
  // Commit statuses, when forge: is configured (null otherwise).
  std::unique_ptr<CurlHttpClient> forge_client_;
  std::unique_ptr<ForgeStatusPublisher> forge_publisher_;
  std::unique_ptr<CommitStatusTracker> commit_statuses_;
  // Notifications, when notifications: lists sinks (null otherwise).
  std::unique_ptr<notify::Notifier> notifier_;

  std::thread source_thread_;
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool fetch_requested_ = false;
  bool stopping_ = false;
  std::atomic<bool> fetched_once_{false};
  std::atomic<std::int64_t> poll_interval_ms_;

  // Owned by the source thread.
  std::string accepted_commit_;
  std::string seen_commit_;
  std::set<std::string> known_clusters_;
  std::map<std::string, std::vector<model::MacClaim>> mac_claims_;  // of the accepted clusters
  std::string exported_revision_;
};

}  // namespace nkd::syncd
