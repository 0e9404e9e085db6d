// Daemon: `nkd syncd`. Wires the stages of DESIGN.md §1 together: a source loop that polls (or
// is woken by a webhook) and gives each new commit to the commit step (commit_step.h), which
// hands changed clusters to the reconciler; the HTTP server; the state store. A commit with any
// invalid definition is rejected as a whole and the last accepted commit stays in force.
//
// The outside world comes in from outside (DaemonParts and a Clock): Daemon::create builds the
// real ones (SQLite, libgit2, libcurl, the system clock) for `nkd syncd`; tests may pass fakes.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/http_client.h"
#include "common/progress_monitor.h"
#include "metrics/metrics.h"
#include "model/diagnostics.h"
#include "model/mac_addresses.h"
#include "providers/baremetal/baremetal_provider.h"
#include "providers/libvirt/libvirt_provider.h"
#include "providers/openstack/openstack_provider.h"
#include "reconcile/reconciler.h"
#include "source/commit_verifier.h"
#include "source/source.h"
#include "state/secret_sealer.h"
#include "state/state_store.h"
#include "syncd/commit_step.h"
#include "syncd/config.h"
#include "syncd/forge/commit_status.h"
#include "syncd/http/http_server.h"
#include "syncd/http/tls_transport.h"
#include "syncd/notify/notifier.h"
#include "syncd/shard_coordinator.h"
#include "syncd/state_config_store.h"
#include "syncd/stored_fetch_tokens.h"

namespace nkd::syncd {

// What the daemon talks to: each is used from several threads (the store and the HTTP client
// are thread-safe; the source is used by the source loop, and cancelled from stop()).
struct DaemonParts {
  std::unique_ptr<state::StateStore> store;
  // state.encryption's keys, for what the daemon keeps outside the store (the listener's keys).
  state::SecretSealer sealer;
  std::unique_ptr<source::Source> source;
  // Every call to a cloud, a cluster, a forge or a notification sink goes through it, so
  // egress.allow holds for them all.
  std::unique_ptr<HttpClient> http;
  providers::openstack::Clouds clouds;  // of clouds.yaml; empty without one
  // repository.verify's judge of commit signatures; null: every commit is trusted.
  std::unique_ptr<source::CommitVerifier> verifier;
};

class Daemon {
 public:
  // The wiring for `nkd syncd` (daemon_wiring.cc): makes the state directory and the real parts
  // per `config`, on the system clock. `version` and `commit` are nkd's own (nkd_build_info).
  static Result<std::unique_ptr<Daemon>> create(DaemonConfig config, const std::string& version,
                                                const std::string& commit);
  // `clock` must outlive the daemon.
  Daemon(DaemonConfig config, DaemonParts parts, const Clock& clock, const std::string& version,
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
  void source_loop();
  void poll_once();
  // The commit step, reporting to the commit statuses and the notifier once they exist.
  [[nodiscard]] std::unique_ptr<CommitStep> make_commit_step();
  // The commit step's signature check over the source's mirror (verifier_ must be set).
  [[nodiscard]] std::function<source::SignatureCheck(const std::string&, const std::string&)>
  commit_verification();
  void restore_fetched_configs();
  // Renders `cluster` with its stored (or new) PKI when a reconcile worker asks.
  reconcile::RenderFunction render_function(const model::Cluster& cluster);
  [[nodiscard]] Status start_commit_statuses();
  [[nodiscard]] Status start_notifications();
  // Routes the reconciler's reports to the commit statuses and the notifier, whichever exist.
  void listen_to_reconciler();
  // HTTPS material per http.tls (or, with http.insecure, a warning): before the listener starts.
  [[nodiscard]] Status prepare_listener_security();
  // Joins the other replicas (state.etcd) once the reconciler runs.
  [[nodiscard]] Status start_sharding();

  DaemonConfig config_;
  const Clock& clock_;
  ProgressMonitor progress_{clock_};
  ProgressMonitor::Loop source_heartbeat_;
  metrics::Metrics metrics_;
  std::unique_ptr<state::StateStore> store_;
  state::SecretSealer sealer_;
  std::unique_ptr<source::Source> source_;
  std::unique_ptr<source::CommitVerifier> verifier_;
  StateConfigStore published_configs_;
  StoredFetchTokens fetch_tokens_;
  providers::BareMetalProvider bare_metal_;
  std::unique_ptr<HttpClient> http_client_;  // DaemonParts::http
  std::unique_ptr<providers::openstack::OpenStackProvider> openstack_;  // when clouds: is set
  std::unique_ptr<providers::libvirt::LibvirtProvider> libvirt_;  // when libvirt.connections is set
  std::unique_ptr<reconcile::ClusterSync> cluster_sync_;  // when clusterAccess: direct
  std::unique_ptr<reconcile::Reconciler> reconciler_;
  // Several replicas on etcd (state.etcd): this replica's share of the clusters; null alone.
  std::unique_ptr<ShardCoordinator> shards_;
  std::unique_ptr<CommitReceiver> commit_receiver_;  // the reconciler, as the commit step sees it
  std::unique_ptr<CommitStep> commit_step_;
  std::unique_ptr<HttpServer> http_;
  // Set once by start(), before any render: the listener's certificate (null for plain HTTP)
  // and the CA pointer configs pin (empty for plain HTTP).
  std::shared_ptr<const TlsContext> listener_tls_;
  std::string ignition_ca_pem_;
  // Commit statuses, when forge: is configured (null otherwise).
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
  std::string seen_commit_;
  std::string exported_revision_;
};

}  // namespace nkd::syncd
