#include "syncd/daemon.h"

#include <spdlog/spdlog.h>

#include "common/secret_file.h"
#include "render/render.h"
#include "source/remote_url.h"
#include "state/cluster_pki_store.h"
#include "syncd/listener_tls.h"

namespace nkd::syncd {

namespace {

// Each forge's secret; warns once about the forges whose hooks can never be accepted.
Result<WebhookSecrets> load_webhook_secrets(const WebhooksConfig& config) {
  WebhookSecrets secrets;
  std::string without_secret;
  for (const WebhookKind kind : kWebhookKinds) {
    const std::string file = config.secret_file_for(to_string(kind));
    if (file.empty()) {
      without_secret += std::string(without_secret.empty() ? "" : ", ") + to_string(kind);
      continue;
    }
    NKD_ASSIGN_OR_RETURN(
        auto secret,
        read_secret_file(file, std::string("webhook secret file of ") + to_string(kind)));
    secrets.set(kind, std::move(secret));
  }
  if (!without_secret.empty()) {
    spdlog::warn(
        "webhooks: no secret for {}: POST /hooks/<forge> answers 401 to every request of these "
        "forges; set webhooks.secretFile (all forges) or webhooks.secretFiles.<forge>",
        without_secret);
  }
  return secrets;
}

// The operator endpoints' token; an empty Secret (the endpoints refuse) when none is set.
Result<Secret> load_operator_token(const std::string& file) {
  if (file.empty()) {
    spdlog::info("api.operatorTokenFile is not set: suspend, resume and sync requests are refused");
    return Secret();
  }
  NKD_ASSIGN_OR_RETURN(auto token,
                       read_secret_file(file, "operator token file (api.operatorTokenFile)"));
  if (token.reveal().size() < 16) {
    return Error{ErrorCode::kInvalidArgument,
                 "the operator token in " + file +
                     " is shorter than 16 characters; write a long random one (openssl rand -hex 32)"};
  }
  return token;
}

// The reconciler as the commit step hands it an accepted commit's clusters.
class ReconcilerReceiver final : public CommitReceiver {
 public:
  explicit ReconcilerReceiver(reconcile::Reconciler& reconciler) : reconciler_(reconciler) {}
  void submit_all(std::vector<reconcile::DesiredCluster> changed) override {
    reconciler_.submit_all(std::move(changed));
  }
  void observe_revisions(const std::vector<std::string>& unchanged,
                         const source::CommitInfo& commit) override {
    reconciler_.observe_revisions(unchanged, commit);
  }
  void prune(const std::string& cluster, const std::string& commit) override {
    reconciler_.prune(cluster, commit);
  }
  void orphan(const std::string& cluster, const std::string& commit) override {
    reconciler_.orphan(cluster, commit);
  }

 private:
  reconcile::Reconciler& reconciler_;
};

}  // namespace

Result<std::string> Daemon::operator_action(OperatorAction action, const std::string& cluster,
                                            const std::string& reason) {
  // Suspensions live in the owner's memory as well as in the store: only the owner changes them.
  if (shards_ && !shards_->owns(cluster)) {
    return Error{ErrorCode::kConflict, "replica " + shards_->replica_id() +
                                           " does not own it: " + shards_->owner_hint(cluster)};
  }
  switch (action) {
    case OperatorAction::kSuspend: return reconciler_->suspend(cluster, reason);
    case OperatorAction::kResume: return reconciler_->resume(cluster);
    case OperatorAction::kSync: {
      // Git first: a commit found by the fetch is submitted (and queued) on its own.
      auto queued = reconciler_->sync_now(cluster);
      if (queued) trigger_fetch();
      if (!queued) return queued;
      return *queued + "; fetching Git now";
    }
  }
  return Error{ErrorCode::kInternal, "unknown operator action"};
}

Daemon::Daemon(DaemonConfig config, DaemonParts parts, const Clock& clock,
               const std::string& version, const std::string& commit)
    : config_(std::move(config)),
      clock_(clock),
      metrics_(version, commit),
      store_(std::move(parts.store)),
      sealer_(std::move(parts.sealer)),
      source_(std::move(parts.source)),
      verifier_(std::move(parts.verifier)),
      published_configs_(*store_),
      fetch_tokens_(*store_, clock_),
      bare_metal_(
          published_configs_,
          [this](const std::string& cluster, const providers::ObservedNode& node) {
            state::NodeRecord record{.cluster = cluster,
                                     .name = node.name,
                                     .pool = node.pool,
                                     .role = node.role,
                                     .provider_id = node.provider_id,
                                     .config_digest = node.config_digest,
                                     .fetched_digest = node.config_digest,
                                     .state = node.state,
                                     .updated_at_ms = clock_.now_unix_ms()};
            if (auto status = store_->note_fetch(record); !status) {
              spdlog::error("recording Ignition fetch of {}/{}: {}", cluster, node.name,
                            status.error().message);
            }
            spdlog::info("node {}/{} fetched its Ignition config {}", cluster, node.name,
                         node.config_digest.substr(0, 12));
          },
          &fetch_tokens_),
      http_client_(std::move(parts.http)),
      poll_interval_ms_(config_.repository.poll_interval_ms) {
  source_heartbeat_ = progress_.add("the source loop");
  if (!parts.clouds.empty()) {
    openstack_ = std::make_unique<providers::openstack::OpenStackProvider>(
        std::move(parts.clouds), *http_client_, clock_, *store_, &metrics_,
        providers::openstack::OpenStackProviderOptions{
            .max_concurrent_creates = config_.openstack.max_concurrent_creates});
  }
  if (!config_.libvirt.connections.empty()) {
    libvirt_ = std::make_unique<providers::libvirt::LibvirtProvider>(config_.libvirt, clock_,
                                                                     *store_, &metrics_);
  }
  if (config_.reconcile.cluster_access == reconcile::ClusterAccess::kDirect) {
    cluster_sync_ = std::make_unique<reconcile::ClusterSync>(
        *store_, *http_client_, clock_, &metrics_,
        reconcile::ClusterSyncOptions{.ready_timeout_ms = config_.reconcile.ready_timeout_ms,
                           .rollout_stall_ms = config_.reconcile.rollout_stall_ms,
                           .api_servers = config_.reconcile.api_servers});
  }
  reconciler_ = std::make_unique<reconcile::Reconciler>(
      *store_, bare_metal_, openstack_.get(), metrics_, clock_,
      reconcile::ReconcilerOptions{.workers = config_.reconcile.workers,
                        .retry_base_ms = config_.reconcile.retry_base_ms,
                        .retry_cap_ms = config_.reconcile.retry_cap_ms,
                        .resync_interval_ms = config_.reconcile.resync_interval_ms,
                        .incomplete_requeue_ms = 2'000,
                        .cluster_access = config_.reconcile.cluster_access,
                        .maintenance_windows = config_.reconcile.maintenance_windows});
  reconciler_->set_cluster_sync(cluster_sync_.get());
  if (state::ShardStore* shard_store = store_->shards(); shard_store && config_.state.etcd) {
    const state::EtcdSettings& etcd = *config_.state.etcd;
    shards_ = std::make_unique<ShardCoordinator>(
        *shard_store,
        ShardSettings{.replica_id = etcd.replica_id,
                      .advertise_url = etcd.advertise_url,
                      .lease_ttl_seconds = etcd.lease_ttl_seconds},
        metrics_, clock_);
    reconciler_->set_ownership(shards_.get());
  }
  reconciler_->set_libvirt_provider(libvirt_.get());
  reconciler_->set_progress_monitor(&progress_,
                                    std::chrono::milliseconds(config_.stall_timeout_ms));
  reconciler_->set_pointer_publisher(
      [this](const model::Cluster& cluster, const render::ClusterRender& render) {
        return bare_metal_.publish_for_pointers(cluster, render);
      });
  commit_receiver_ = std::make_unique<ReconcilerReceiver>(*reconciler_);
  commit_step_ = make_commit_step();
}

std::unique_ptr<CommitStep> Daemon::make_commit_step() {
  // The listeners look at commit_statuses_ and notifier_ when called: start() makes them later.
  CommitListeners listeners{
      .started =
          [this](const std::string& commit, const std::vector<std::string>& changed) {
            if (commit_statuses_) commit_statuses_->commit_started(commit, changed);
          },
      .cluster_removed =
          [this](const std::string& cluster, const std::string& commit) {
            if (commit_statuses_) commit_statuses_->cluster_removed(cluster, commit);
          },
      .accepted =
          [this](const std::string& commit, const std::string& summary) {
            if (notifier_) notifier_->commit_accepted(commit, summary);
          },
      .rejected =
          [this](const std::string& commit, const std::string& first_error) {
            if (commit_statuses_) commit_statuses_->commit_rejected(commit, first_error);
            if (notifier_) notifier_->commit_rejected(commit, first_error);
          }};
  return std::make_unique<CommitStep>(
      *source_, *store_, *commit_receiver_, metrics_, clock_,
      CommitStepOptions{
          .prune = config_.prune,
          .render_for = [this](const model::Cluster& cluster) { return render_function(cluster); },
          .listeners = std::move(listeners),
          .verify = verifier_ ? commit_verification() : nullptr});
}

std::function<source::SignatureCheck(const std::string&, const std::string&)>
Daemon::commit_verification() {
  return [this](const std::string& commit, const std::string& accepted) {
    return verifier_->verify(*source_, commit, accepted, clock_.now_unix_ms() / 1000);
  };
}

reconcile::RenderFunction Daemon::render_function(const model::Cluster& cluster) {
  return [this, cluster]() -> Result<std::shared_ptr<const render::ClusterRender>> {
    const auto started = clock_.steady_now();
    auto pki = state::load_or_create_pki(*store_, cluster, clock_.now_unix_ms() / 1000);
    if (!pki) {
      metrics_.render_errors_total.Add({}).Increment();
      return pki.error();
    }
    auto render = std::make_shared<const render::ClusterRender>(
        render::render_cluster(cluster, *pki,
                               render::RenderOptions{.ignition_base_url = config_.public_url,
                                                     .ignition_ca_pem = ignition_ca_pem_}));
    metrics_.render_duration_seconds.Add({}, metrics::Metrics::fast_buckets())
        .Observe(std::chrono::duration<double>(clock_.steady_now() - started).count());
    return std::shared_ptr<const render::ClusterRender>(std::move(render));
  };
}

Daemon::~Daemon() { stop(); }

Status Daemon::start() {
  NKD_ASSIGN_OR_RETURN(auto secrets, load_webhook_secrets(config_.webhooks));
  NKD_ASSIGN_OR_RETURN(auto operator_token, load_operator_token(config_.operator_token_file));
  restore_fetched_configs();
  // Sharded, each replica exports the clusters it reconciles, as it reconciles them.
  if (!shards_) reconciler_->restore_metrics();
  reconciler_->restore_suspensions();
  NKD_RETURN_IF_ERROR(start_commit_statuses());
  NKD_RETURN_IF_ERROR(start_notifications());
  listen_to_reconciler();
  NKD_RETURN_IF_ERROR(prepare_listener_security());
  http_ = std::make_unique<HttpServer>(
      HttpServerOptions{.host = config_.listen_host(),
                        .port = config_.listen_port(),
                        .watched_ref = config_.repository.ref,
                        .webhook_secrets = secrets,
                        .webhook_networks = {.ipv4_bits = config_.webhooks.rate_limit_ipv4_prefix,
                                             .ipv6_bits = config_.webhooks.rate_limit_ipv6_prefix},
                        .clock = &clock_,
                        .connections = config_.http_limits,
                        .tls = listener_tls_,
                        .public_url = config_.public_url,
                        .operator_token = std::move(operator_token)},
      *store_, metrics_, bare_metal_,
      HttpCallbacks{
          .source_ready = [this] { return fetched_once_.load(); },
          .trigger_fetch =
              [this] {
                trigger_fetch();
                if (shards_) shards_->signal_fetch();  // the owners may be other replicas
              },
          .operator_action =
              [this](OperatorAction action, const std::string& cluster, const std::string& reason) {
                return operator_action(action, cluster, reason);
              },
          .owner_of = shards_ ? std::function<std::string(const std::string&)>(
                                    [this](const std::string& cluster) {
                                      return shards_->owner_of(cluster);
                                    })
                              : nullptr,
          .replicas = shards_ ? std::function<nlohmann::json()>(
                                    [this] { return shards_->replicas_document(); })
                              : nullptr});
  NKD_RETURN_IF_ERROR(http_->start());
  metrics_.source_poll_interval_seconds.Add({}).Set(
      static_cast<double>(poll_interval_ms_.load()) / 1000.0);
  reconciler_->start();
  NKD_RETURN_IF_ERROR(start_sharding());
  source_thread_ = std::thread([this] { source_loop(); });
  spdlog::info("nkd syncd watching {} at {} (poll every {} ms), listening on {}://{}:{}, egress {}",
               source::display_url(config_.repository.url), config_.repository.ref,
               poll_interval_ms_.load(), listener_tls_ ? "https" : "http", config_.listen_host(),
               http_->port(), config_.egress_text);
  return ok_status();
}

Status Daemon::start_sharding() {
  if (!shards_) return ok_status();
  return shards_->start(ShardCoordinator::Listeners{
      .took_over =
          [this](const std::vector<std::string>& clusters) { reconciler_->take_over(clusters); },
      .fetch_signalled = [this] { trigger_fetch(); },
      .clusters = [this] { return reconciler_->cluster_names(); }});
}

Status Daemon::prepare_listener_security() {
  metrics_.http_insecure.Add({}).Set(config_.serves_https() ? 0 : 1);
  if (!config_.serves_https()) {
    spdlog::warn(
        "http.insecure: true: the listener serves plain HTTP; bare-metal configs (cluster CA keys, "
        "service-account key) and node tokens cross the network in cleartext. Remove "
        "http.insecure to serve HTTPS (nkd makes its own CA), or set http.tls");
    return ok_status();
  }
  NKD_ASSIGN_OR_RETURN(auto files,
                       prepare_listener_tls(config_, clock_.now_unix_ms() / 1000, sealer_));
  NKD_ASSIGN_OR_RETURN(auto context,
                       files.cert_pem.empty()
                           ? TlsContext::from_files(files.cert_file, files.key_file)
                           : TlsContext::from_pem(files.cert_pem, files.key_pem, files.cert_file));
  listener_tls_ = std::move(context);
  ignition_ca_pem_ = files.ca_pem;
  spdlog::info("serving HTTPS with {}; pointer configs pin the CA in {}", files.cert_file,
               files.ca_file);
  return ok_status();
}

Status Daemon::start_commit_statuses() {
  if (config_.forge.kind.empty()) return ok_status();
  NKD_ASSIGN_OR_RETURN(
      auto publisher, ForgeStatusPublisher::create(config_.forge, *http_client_, clock_, metrics_));
  forge_publisher_ = std::move(publisher);
  commit_statuses_ = std::make_unique<CommitStatusTracker>(*forge_publisher_);
  spdlog::info("posting commit statuses to {} {} as '{}'", config_.forge.kind,
               config_.forge.repository, config_.forge.context);
  return ok_status();
}

Status Daemon::start_notifications() {
  if (config_.notifications.empty()) return ok_status();
  NKD_ASSIGN_OR_RETURN(auto notifier, notify::Notifier::create(config_.notifications, *http_client_,
                                                               clock_, metrics_));
  notifier_ = std::move(notifier);
  std::string names;
  for (const auto& sink : config_.notifications) {
    names += (names.empty() ? "" : ", ") + sink.name + " (" + notify::to_string(sink.type) + ")";
  }
  spdlog::info("sending notifications to {}", names);
  return ok_status();
}

void Daemon::listen_to_reconciler() {
  if (commit_statuses_ || notifier_) {
    reconciler_->set_outcome_listener([this](const std::string& cluster, const std::string& commit,
                                             bool applied, const std::string& message) {
      if (commit_statuses_) commit_statuses_->cluster_finished(cluster, commit, applied, message);
      if (notifier_) notifier_->cluster_outcome(cluster, commit, applied, message);
    });
  }
  if (!notifier_) return;
  reconciler_->set_drift_listener([this](const std::string& cluster, const std::string& commit,
                                         int drifted_objects, const std::string& message) {
    notifier_->cluster_drift(cluster, commit, drifted_objects, message);
  });
  reconciler_->set_window_listener(
      [this](const std::string& cluster, const std::string& commit, const std::string& message) {
        notifier_->waiting_for_window(cluster, commit, message);
      });
}

void Daemon::stop() {
  {
    std::lock_guard lock(wake_mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  // A fetch from a server that stopped answering would hold the join until its deadline.
  if (source_) source_->cancel();
  if (source_thread_.joinable()) source_thread_.join();
  if (reconciler_) reconciler_->stop();
  // After the reconciles stopped: leaving hands this replica's clusters to the others at once.
  if (shards_) shards_->stop();
  if (forge_publisher_) forge_publisher_->stop();
  if (notifier_) notifier_->stop();
  if (http_) http_->stop();
  store_.reset();
  spdlog::info("nkd syncd stopped");
}

void Daemon::trigger_fetch() {
  {
    std::lock_guard lock(wake_mutex_);
    fetch_requested_ = true;
  }
  wake_.notify_all();
}

void Daemon::reload(const DaemonConfig& config) {
  poll_interval_ms_ = config.repository.poll_interval_ms;
  metrics_.source_poll_interval_seconds.Add({}).Set(
      static_cast<double>(poll_interval_ms_.load()) / 1000.0);
  spdlog::info("config reloaded: poll interval {} ms (other changes take effect on restart)",
               poll_interval_ms_.load());
  trigger_fetch();
}

void Daemon::restore_fetched_configs() {
  auto clusters = store_->list_clusters();
  if (!clusters) return;
  for (const auto& cluster : *clusters) {
    auto nodes = store_->nodes(cluster.name);
    if (!nodes) continue;
    for (const auto& node : *nodes) {
      if (!node.fetched_digest.empty()) {
        bare_metal_.restore_fetched(cluster.name, node.name, node.fetched_digest);
      }
    }
  }
}

void Daemon::source_loop() {
  // A poll may take its fetch's deadline and then a step's worth of validating and rendering.
  const auto poll_bound =
      std::chrono::milliseconds(config_.repository.fetch_timeout_ms + config_.stall_timeout_ms);
  while (true) {
    {
      ProgressMonitor::Step step(progress_, source_heartbeat_, poll_bound);
      poll_once();
    }
    std::unique_lock lock(wake_mutex_);
    clock_.wait_for(lock, wake_, std::chrono::milliseconds(poll_interval_ms_.load()),
                    [this] { return stopping_ || fetch_requested_; });
    if (stopping_) return;
    fetch_requested_ = false;
  }
}

void Daemon::poll_once() {
  const auto started = clock_.steady_now();
  PhaseTimer phases(clock_);
  auto fetched = source_->fetch();
  phases.lap("fetch");
  const double seconds = std::chrono::duration<double>(clock_.steady_now() - started).count();
  metrics_.source_fetch_duration_seconds.Add({}, metrics::Metrics::fast_buckets()).Observe(seconds);
  if (!fetched) {
    metrics_.source_fetch_total.Add({{"result", "failure"}}).Increment();
    if (fetched.error().code == ErrorCode::kTimeout) {
      metrics_.source_fetch_timeouts_total.Add({}).Increment();
    }
    spdlog::error("fetching {}: {} (the last applied state stays in force)",
                  source::display_url(config_.repository.url), fetched.error().message);
    return;
  }
  metrics_.source_fetch_total.Add({{"result", "success"}}).Increment();
  metrics_.source_last_fetch_timestamp_seconds.Add({}).Set(
      static_cast<double>(clock_.now_unix_ms()) / 1000.0);
  fetched_once_ = true;
  const std::string& commit = fetched->commit_id;
  if (commit == seen_commit_) return;
  if (fetched->force_pushed) {
    spdlog::warn("{} was force-pushed: now at {}, previously {}", config_.repository.ref,
                 commit.substr(0, 12), seen_commit_.substr(0, 12));
  }
  if (!exported_revision_.empty()) {
    metrics_.source_revision_info.Remove(
        &metrics_.source_revision_info.Add({{"revision", exported_revision_}}));
  }
  metrics_.source_revision_info.Add({{"revision", commit}}).Set(1);
  exported_revision_ = commit;
  seen_commit_ = commit;
  if (commit_step_->take(commit, clock_.now_unix_ms(), &phases) == CommitStep::Outcome::kUnread) {
    seen_commit_.clear();  // try again on the next poll
  }
  if (shards_) shards_->clusters_changed();  // new clusters are claimed now, not a period later
}

}  // namespace nkd::syncd
