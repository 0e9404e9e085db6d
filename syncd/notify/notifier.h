// Notifier: sends nkd's events (notification_event.h) to the sinks of `notifications:` in
// syncd.yaml. Each sink has its own worker thread and bounded queue (BoundedWorker), so a slow
// or dead receiver delays only its own deliveries and never the source loop or a reconcile: the
// methods below only queue. A full queue drops its oldest delivery
// (nkd_notification_queue_dropped_total{sink}). A delivery is retried with jittered backoff on
// 5xx, 429, resets and timeouts (RetryPolicy), each attempt with a timeout; every connection goes
// through the HttpClient given, which holds the egress allow-list. Outcomes are counted in
// nkd_notifications_total{sink,result} (result: delivered | failed), and each attempt in
// nkd_provider_requests_total{provider="notify",operation=<sink type>,code}.
//
// A reconcile reports its outcome on every attempt (retries, resyncs); the notifier passes on
// changes only: a cluster's applied or failed state at a commit once, drift when the count or
// the objects change, waiting for a window once per commit. What it remembers is in memory, so
// after a restart the first outcome of each cluster is sent again.
//
// Thread-safe. Sink URLs may carry credentials (Slack's do): logs name the sink, never its URL.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/bounded_worker.h"
#include "common/clock.h"
#include "common/http_client.h"
#include "common/result.h"
#include "common/secret.h"
#include "metrics/metrics.h"
#include "syncd/notify/notification_config.h"
#include "syncd/notify/notification_event.h"

namespace nkd::syncd::notify {

struct NotifierOptions {
  std::size_t queue_capacity = 256;  // per sink
  // How long stop() keeps delivering what is queued (one quick try each) before dropping it.
  std::chrono::milliseconds drain_limit{5'000};
  RetryPolicy retry{.max_attempts = 4,
                    .base_delay_ms = 500,
                    .max_delay_ms = 8'000,
                    .total_deadline_ms = 60'000,
                    .retry_non_idempotent = true};  // receivers deduplicate by delivery ID
};

class Notifier {
 public:
  // Reads each generic sink's secret file; an error names the sink and the file. `clock` gives
  // event times, signature timestamps and the waits between retries.
  static Result<std::unique_ptr<Notifier>> create(const std::vector<SinkConfig>& sinks,
                                                  HttpClient& client, const Clock& clock,
                                                  metrics::Metrics& metrics,
                                                  NotifierOptions options = {});
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  void commit_accepted(const std::string& commit, const std::string& message);
  void commit_rejected(const std::string& commit, const std::string& first_error);
  // The end of a reconcile attempt of `cluster` toward `commit` (the reconciler's outcome).
  void cluster_outcome(const std::string& cluster, const std::string& commit, bool applied,
                       const std::string& message);
  // The drift a look at the cluster found (`drifted_objects` 0: none).
  void cluster_drift(const std::string& cluster, const std::string& commit, int drifted_objects,
                     const std::string& message);
  void waiting_for_window(const std::string& cluster, const std::string& commit,
                          const std::string& message);
  // Queues `event` for every sink that wants its kind, as it is.
  void publish(Event event);
  // Delivers what is queued for at most the drain limit, then joins the workers; idempotent.
  void stop();

 private:
  struct Delivery {
    Event event;
    std::string id;  // X-Nkd-Delivery: the same on every retry, so receivers can deduplicate
  };
  struct Sink {
    SinkConfig config;
    Secret secret;
    std::unique_ptr<BoundedWorker<Delivery>> worker;
  };
  struct ClusterMemory {
    std::string outcome;  // "applied:<commit>" or "failed:<commit>" last sent
    std::string drift;    // the drift message last sent ("" none)
    std::string window;   // the commit last reported waiting
  };

  Notifier(HttpClient& client, const Clock& clock, metrics::Metrics& metrics,
           NotifierOptions options);
  void add_sink(SinkConfig config, Secret secret);
  void deliver(Sink& sink, const Delivery& delivery, bool draining);
  [[nodiscard]] HttpRequest request_for(const Sink& sink, const Delivery& delivery) const;
  [[nodiscard]] Event event(EventKind kind, const std::string& cluster, const std::string& commit,
                            const std::string& message) const;

  HttpClient& client_;
  const Clock& clock_;
  metrics::Metrics& metrics_;
  NotifierOptions options_;
  std::mutex mutex_;  // guards clusters_
  std::map<std::string, ClusterMemory> clusters_;
  std::vector<std::unique_ptr<Sink>> sinks_;  // fixed after create()
};

}  // namespace nkd::syncd::notify
