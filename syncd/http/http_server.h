// HttpServer: the daemon's one listener (cpp-httplib): /healthz, /readyz, /metrics, the cluster
// API, webhooks, the bare-metal Ignition endpoint and boot scripts (DESIGN.md §6). Handlers run on
// cpp-httplib's thread pool and only read shared state through thread-safe collaborators.
// Hostile clients are bounded (GuardedServer): connections per address and in all, deadlines
// for headers and requests, and a body limit applied before a body is read. A handler that
// throws answers a generic 500 with a request id; the cause goes to the log only.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/result.h"
#include "common/secret.h"
#include "metrics/metrics.h"
#include "providers/baremetal/baremetal_provider.h"
#include "state/state_store.h"
#include "syncd/http/connection_table.h"
#include "syncd/http/recent_deliveries.h"
#include "syncd/http/webhooks.h"

namespace httplib {
class ContentReader;
struct Request;
struct Response;
}  // namespace httplib

namespace nkd::syncd {

class GuardedServer;
class TlsContext;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 9480;
  std::string watched_ref;
  WebhookSecrets webhook_secrets;
  std::size_t max_webhook_body_bytes = 1 << 20;
  // Per client network (webhook_networks), not per address.
  double webhook_rate_per_second = 5;
  double webhook_burst = 20;
  NetworkPrefixes webhook_networks;
  // How far a generic hook's signed timestamp may be from now, either way.
  std::chrono::seconds webhook_timestamp_window{300};
  // Deliveries remembered per forge to refuse replays: at least twice the timestamp window, so
  // a generic delivery cannot outlive its ID's entry while its timestamp is still accepted.
  std::size_t webhook_replay_capacity = 4096;
  std::chrono::milliseconds webhook_replay_ttl{3'600'000};
  // Webhook timestamps, replay memory and rate limits; null: the real clock.
  const Clock* clock = nullptr;
  ConnectionLimits connections;
  // HTTPS with this certificate; null serves plain HTTP (http.insecure).
  std::shared_ptr<const TlsContext> tls;
  // The base URL nodes fetch Ignition configs from (publicURL), for the URLs in boot scripts.
  std::string public_url;
  // At most one warning per source address per interval about refused Ignition or boot requests.
  std::chrono::milliseconds ignition_warning_interval{60'000};
  // The bearer token of the operator endpoints (api.operatorTokenFile); empty: they refuse
  // every request with 403, saying what to set.
  Secret operator_token;
};

// What an operator asks of a cluster through POST /api/v1/clusters/<name>/<action>.
enum class OperatorAction { kSuspend, kResume, kSync };

struct HttpCallbacks {
  std::function<bool()> source_ready;  // the source fetched at least once
  std::function<void()> trigger_fetch; // a verified push: fetch now (coalesced by the caller)
  // An authenticated operator action; the answer's line, or an error whose code picks the
  // status (kNotFound 404, kConflict 409, else 503). `reason` is suspend's optional note.
  std::function<Result<std::string>(OperatorAction, const std::string& cluster,
                                    const std::string& reason)>
      operator_action;
  // Sharded (several replicas on etcd): the replica that owns a cluster ("" when none does now),
  // shown as each cluster's "owner"; and GET /api/v1/replicas's document. Unset: one replica.
  std::function<std::string(const std::string& cluster)> owner_of;
  std::function<nlohmann::json()> replicas;
};

// What the HTTP server reads of the state store: its health (/readyz), the cluster records and
// history, and the nodes (/api/v1). It writes none of it. A whole StateStore converts.
struct HttpServerStores {
  HttpServerStores(state::StoreHealth& health, state::ClusterRecordStore& records,
                   state::NodeStore& nodes)
      : health(health), records(records), nodes(nodes) {}
  HttpServerStores(state::StateStore& store)  // NOLINT(google-explicit-constructor)
      : HttpServerStores(store, store, store) {}
  state::StoreHealth& health;
  state::ClusterRecordStore& records;
  state::NodeStore& nodes;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpServerStores stores, metrics::Metrics& metrics,
             providers::BareMetalProvider& bare_metal, HttpCallbacks callbacks);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and serves on a background thread; an error when the address cannot be bound.
  [[nodiscard]] Status start();
  void stop();
  [[nodiscard]] int port() const { return bound_port_; }

 private:
  void routes();
  void handle_webhook(const httplib::Request& request, httplib::Response& response,
                      const httplib::ContentReader& read_body);
  // Answers a hook that repeats a delivery or is stale; false when the request may proceed.
  bool refuse_replay(const WebhookRequest& hook, httplib::Response& response,
                     const std::function<void(const char*)>& count);
  void handle_failure(const httplib::Request& request, httplib::Response& response,
                      const std::exception_ptr& failure);
  void handle_ignition(const httplib::Request& request, httplib::Response& response);
  // GET /boot/<mac> and /boot/<cluster>/<node> (boot_endpoint.cc).
  void handle_boot(const httplib::Request& request, httplib::Response& response);
  void handle_cluster(const std::string& name, httplib::Response& response);
  // POST /api/v1/clusters/<name>/{suspend,resume,sync} (operator_routes.cc).
  void operator_routes();
  void handle_operator(const httplib::Request& request, httplib::Response& response);
  void handle_history(const std::string& name, httplib::Response& response);
  nlohmann::json cluster_json(const state::ClusterRecord& record,
                              const std::vector<state::Suspension>& suspensions);

  HttpServerOptions options_;
  HttpServerStores stores_;
  metrics::Metrics& metrics_;
  providers::BareMetalProvider& bare_metal_;
  HttpCallbacks callbacks_;
  const Clock& clock_;  // before the limiters, which are built with it
  RateLimiter rate_limiter_;
  RecentDeliveries recent_deliveries_;
  RateLimiter ignition_warnings_;
  std::unique_ptr<GuardedServer> server_;
  std::thread thread_;
  int bound_port_ = 0;
};

// JSON shapes of DESIGN.md §6, shared with the CLI.
nlohmann::json history_row_json(const state::HistoryRow& row);

}  // namespace nkd::syncd
