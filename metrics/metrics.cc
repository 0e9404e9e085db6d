#include "metrics/metrics.h"

#include <prometheus/text_serializer.h>

#include <iterator>

namespace nkd::metrics {

namespace {

template <typename Builder>
auto& add(Builder builder, const std::string& name, const std::string& help,
          prometheus::Registry& registry) {
  return builder.Name(name).Help(help).Register(registry);
}

}  // namespace

Metrics::Metrics(const std::string& version, const std::string& commit)
    : registry_(std::make_shared<prometheus::Registry>()),
      source_fetch_total(add(prometheus::BuildCounter(), "nkd_source_fetch_total",
                             "Fetches of the watched ref, by result.", *registry_)),
      source_fetch_duration_seconds(
          add(prometheus::BuildHistogram(), "nkd_source_fetch_duration_seconds",
              "Time to list refs and fetch the watched ref.", *registry_)),
      source_revision_info(add(prometheus::BuildGauge(), "nkd_source_revision_info",
                               "The commit the watched ref points at (value 1).", *registry_)),
      source_last_fetch_timestamp_seconds(
          add(prometheus::BuildGauge(), "nkd_source_last_fetch_timestamp_seconds",
              "Unix time of the last successful fetch.", *registry_)),
      render_duration_seconds(add(prometheus::BuildHistogram(), "nkd_render_duration_seconds",
                                  "Time to load, validate and render a commit.", *registry_)),
      render_errors_total(add(prometheus::BuildCounter(), "nkd_render_errors_total",
                              "Commits rejected by validation or rendering.", *registry_)),
      reconcile_total(add(prometheus::BuildCounter(), "nkd_reconcile_total",
                          "Reconciles by cluster and result.", *registry_)),
      reconcile_duration_seconds(add(prometheus::BuildHistogram(), "nkd_reconcile_duration_seconds",
                                     "Time of one reconcile of a cluster.", *registry_)),
      cluster_applied_revision_info(
          add(prometheus::BuildGauge(), "nkd_cluster_applied_revision_info",
              "The commit applied to each cluster (value 1).", *registry_)),
      cluster_applied_timestamp_seconds(
          add(prometheus::BuildGauge(), "nkd_cluster_applied_timestamp_seconds",
              "Unix time the cluster's applied revision was recorded.", *registry_)),
      cluster_ready(add(prometheus::BuildGauge(), "nkd_cluster_ready",
                        "1 when the cluster is Ready.", *registry_)),
      cluster_nodes(add(prometheus::BuildGauge(), "nkd_cluster_nodes",
                        "Nodes of each cluster by state.", *registry_)),
      cluster_drift(add(prometheus::BuildGauge(), "nkd_cluster_drift",
                        "1 when the cluster's objects differ from what nkd applied.", *registry_)),
      cluster_suspended(add(prometheus::BuildGauge(), "nkd_cluster_suspended",
                            "1 while the cluster is suspended and not reconciled.", *registry_)),
      cluster_waiting_for_window(
          add(prometheus::BuildGauge(), "nkd_cluster_waiting_for_window",
              "1 while changes that disturb the cluster's nodes wait for a maintenance window.",
              *registry_)),
      cluster_waiting_for_wave(
          add(prometheus::BuildGauge(), "nkd_cluster_waiting_for_wave",
              "1 while the cluster's new render waits for the clusters of an earlier rollout "
              "wave.",
              *registry_)),
      provider_requests_total(add(prometheus::BuildCounter(), "nkd_provider_requests_total",
                                  "Provider API requests by operation and status code.",
                                  *registry_)),
      provider_request_duration_seconds(add(prometheus::BuildHistogram(),
                                            "nkd_provider_request_duration_seconds",
                                            "Provider API request time.", *registry_)),
      webhook_requests_total(add(prometheus::BuildCounter(), "nkd_webhook_requests_total",
                                 "Webhook requests by kind and result.", *registry_)),
      commit_to_applied_seconds(add(prometheus::BuildHistogram(), "nkd_commit_to_applied_seconds",
                                    "From a commit's fetch to its recorded outcome.", *registry_)),
      build_info(
          add(prometheus::BuildGauge(), "nkd_build_info", "nkd's version (value 1).", *registry_)),
      source_head_valid(add(prometheus::BuildGauge(), "nkd_source_head_valid",
                            "1 when the watched ref's head commit was accepted, 0 when rejected.",
                            *registry_)),
      source_poll_interval_seconds(add(prometheus::BuildGauge(), "nkd_source_poll_interval_seconds",
                                       "The configured repository poll interval.", *registry_)),
      source_fetch_timeouts_total(add(prometheus::BuildCounter(), "nkd_source_fetch_timeouts_total",
                                      "Fetches cut off at repository.fetchTimeout.", *registry_)),
      source_verification_failures_total(
          add(prometheus::BuildCounter(), "nkd_source_verification_failures_total",
              "Heads not applied because their signature is not trusted, by reason.", *registry_)),
      http_connections_dropped_total(add(
          prometheus::BuildCounter(), "nkd_http_connections_dropped_total",
          "HTTP connections refused or closed by the connection limits, by reason.", *registry_)),
      http_handler_failures_total(add(prometheus::BuildCounter(), "nkd_http_handler_failures_total",
                                      "HTTP requests answered 500 because a handler failed.",
                                      *registry_)),
      ignition_refused_total(add(prometheus::BuildCounter(), "nkd_ignition_refused_total",
                                 "Ignition fetches refused (unknown node or wrong token).",
                                 *registry_)),
      http_insecure(add(prometheus::BuildGauge(), "nkd_http_insecure",
                        "1 when the listener serves plain HTTP (http.insecure), 0 with HTTPS.",
                        *registry_)),
      notifications_total(add(prometheus::BuildCounter(), "nkd_notifications_total",
                              "Notifications by sink and result (delivered, failed).", *registry_)),
      notification_queue_dropped_total(
          add(prometheus::BuildCounter(), "nkd_notification_queue_dropped_total",
              "Notifications dropped unsent: a sink's queue was full, or the daemon stopped.",
              *registry_)),
      boot_scripts_total(add(prometheus::BuildCounter(), "nkd_boot_scripts_total",
                             "GET /boot answers by result (served, unknown).", *registry_)),
      shard_clusters(add(prometheus::BuildGauge(), "nkd_shard_clusters",
                         "Clusters this replica owns (several replicas on etcd).", *registry_)),
      shard_replicas(add(prometheus::BuildGauge(), "nkd_shard_replicas",
                         "Live replicas this replica sees, itself included.", *registry_)),
      lease_renewals_total(add(prometheus::BuildCounter(), "nkd_lease_renewals_total",
                               "Renewals of this replica's etcd lease, by result (ok, failed, "
                               "expired).",
                               *registry_)) {
  build_info.Add({{"version", version}, {"commit", commit}}).Set(1);
}

prometheus::Histogram::BucketBoundaries Metrics::fast_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

prometheus::Histogram::BucketBoundaries Metrics::slow_buckets() {
  return {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800};
}

std::string Metrics::serialize() const {
  auto families = registry_->Collect();
  auto process = process_.Collect();
  families.insert(families.end(), std::make_move_iterator(process.begin()),
                  std::make_move_iterator(process.end()));
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace nkd::metrics
