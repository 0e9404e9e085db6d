// Metrics: the daemon's Prometheus registry and every family DESIGN.md §7 names. One instance per
// daemon, passed to the stages that record events. prometheus-cpp families are thread-safe.
#pragma once

#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "metrics/process_collector.h"

namespace nkd::metrics {

class Metrics {
  // Declared first: the family references below are initialized from it.
  std::shared_ptr<prometheus::Registry> registry_;

 public:
  // `version` and `commit` label nkd_build_info.
  explicit Metrics(const std::string& version, const std::string& commit = "unknown");

  [[nodiscard]] std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  // The Prometheus text exposition of everything registered, plus the process_* families.
  [[nodiscard]] std::string serialize() const;

  prometheus::Family<prometheus::Counter>& source_fetch_total;
  prometheus::Family<prometheus::Histogram>& source_fetch_duration_seconds;
  prometheus::Family<prometheus::Gauge>& source_revision_info;
  prometheus::Family<prometheus::Gauge>& source_last_fetch_timestamp_seconds;
  prometheus::Family<prometheus::Histogram>& render_duration_seconds;
  prometheus::Family<prometheus::Counter>& render_errors_total;
  prometheus::Family<prometheus::Counter>& reconcile_total;
  prometheus::Family<prometheus::Histogram>& reconcile_duration_seconds;
  prometheus::Family<prometheus::Gauge>& cluster_applied_revision_info;
  prometheus::Family<prometheus::Gauge>& cluster_applied_timestamp_seconds;
  prometheus::Family<prometheus::Gauge>& cluster_ready;
  prometheus::Family<prometheus::Gauge>& cluster_nodes;
  prometheus::Family<prometheus::Gauge>& cluster_drift;
  // 1 while an operator has suspended the cluster (or its spec.suspend is true); and 1 while
  // changes that disturb its nodes wait for a maintenance window (phase WaitingForWindow).
  prometheus::Family<prometheus::Gauge>& cluster_suspended;
  prometheus::Family<prometheus::Gauge>& cluster_waiting_for_window;
  prometheus::Family<prometheus::Gauge>& cluster_waiting_for_wave;
  prometheus::Family<prometheus::Counter>& provider_requests_total;
  prometheus::Family<prometheus::Histogram>& provider_request_duration_seconds;
  prometheus::Family<prometheus::Counter>& webhook_requests_total;
  prometheus::Family<prometheus::Histogram>& commit_to_applied_seconds;
  prometheus::Family<prometheus::Gauge>& build_info;
  // Beyond §7, for the alert rules (examples-repo/alerts): 1 when the watched ref's head commit
  // was accepted, 0 when it was rejected as invalid; and the configured poll interval, so
  // "no fetch in three intervals" needs no number copied into the rules.
  prometheus::Family<prometheus::Gauge>& source_head_valid;
  prometheus::Family<prometheus::Gauge>& source_poll_interval_seconds;
  // Fetches cut off at repository.fetchTimeout (also counted as failures in source_fetch_total).
  prometheus::Family<prometheus::Counter>& source_fetch_timeouts_total;
  // Heads not applied because their signature is not trusted (repository.verify), by reason:
  // unsigned, unknown_key, bad_signature, key_not_allowed, malformed, unverifiable.
  prometheus::Family<prometheus::Counter>& source_verification_failures_total;
  // The HTTP server under load or attack: connections refused (busy) or closed to make room
  // (evicted), handler failures answered with a generic 500, and refused Ignition fetches (an
  // unknown node or a wrong token: the warnings about them are rate-limited, this is not).
  prometheus::Family<prometheus::Counter>& http_connections_dropped_total;
  prometheus::Family<prometheus::Counter>& http_handler_failures_total;
  prometheus::Family<prometheus::Counter>& ignition_refused_total;
  // 1 while the listener serves plain HTTP (http.insecure: true), 0 with HTTPS: configs that
  // hold private keys then cross the network in cleartext, which an alert should say.
  prometheus::Family<prometheus::Gauge>& http_insecure;
  // Outbound notifications (syncd/notify): each delivery's end by sink and result, and those a
  // full queue or a stop dropped before they were sent, by sink.
  prometheus::Family<prometheus::Counter>& notifications_total;
  prometheus::Family<prometheus::Counter>& notification_queue_dropped_total;
  // iPXE scripts asked for at /boot/...: served, or unknown (no such MAC or node).
  prometheus::Family<prometheus::Counter>& boot_scripts_total;
  // Several replicas on etcd: the clusters this replica owns, the live replicas it sees, and
  // its lease renewals by result (ok; failed: etcd did not answer; expired: the lease had gone,
  // with every cluster it owned).
  prometheus::Family<prometheus::Gauge>& shard_clusters;
  prometheus::Family<prometheus::Gauge>& shard_replicas;
  prometheus::Family<prometheus::Counter>& lease_renewals_total;

  // Bucket sets sized to what each duration measures.
  static prometheus::Histogram::BucketBoundaries fast_buckets();  // 1 ms .. 10 s
  static prometheus::Histogram::BucketBoundaries slow_buckets();  // 100 ms .. 30 min

 private:
  ProcessCollector process_;
};

}  // namespace nkd::metrics
