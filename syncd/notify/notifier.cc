#include "syncd/notify/notifier.h"

#include <spdlog/spdlog.h>

#include "common/crypto.h"
#include "common/secret_file.h"
#include "metrics/metered_http_client.h"
#include "syncd/notify/sink_requests.h"

namespace nkd::syncd::notify {

namespace {

// What stop() allows each delivery still queued: one try, quickly, so a stop stays well inside
// systemd's stop timeout however many receivers are down.
constexpr std::int64_t kDrainingTimeoutMs = 2'000;
constexpr std::int64_t kDrainingConnectTimeoutMs = 1'000;

}  // namespace

Result<std::unique_ptr<Notifier>> Notifier::create(const std::vector<SinkConfig>& sinks,
                                                   HttpClient& client, const Clock& clock,
                                                   metrics::Metrics& metrics,
                                                   NotifierOptions options) {
  std::unique_ptr<Notifier> notifier(new Notifier(client, clock, metrics, std::move(options)));
  for (const SinkConfig& sink : sinks) {
    Secret secret;
    if (!sink.secret_file.empty()) {
      NKD_ASSIGN_OR_RETURN(
          auto read,
          read_secret_file(sink.secret_file, "secret file of notification sink " + sink.name));
      if (read.empty()) {
        return Error{ErrorCode::kInvalidArgument, "secret file " + sink.secret_file +
                                                      " of notification sink " + sink.name +
                                                      " is empty; put the shared secret in it"};
      }
      secret = std::move(read);
    }
    notifier->add_sink(sink, std::move(secret));
  }
  return notifier;
}

Notifier::Notifier(HttpClient& client, const Clock& clock, metrics::Metrics& metrics,
                   NotifierOptions options)
    : client_(client), clock_(clock), metrics_(metrics), options_(std::move(options)) {}

Notifier::~Notifier() { stop(); }

void Notifier::add_sink(SinkConfig config, Secret secret) {
  auto sink =
      std::make_unique<Sink>(Sink{.config = std::move(config), .secret = std::move(secret)});
  Sink* raw = sink.get();
  // Exported at 0, so a rate over the counters works before anything happened.
  metrics_.notification_queue_dropped_total.Add({{"sink", raw->config.name}});
  raw->worker = std::make_unique<BoundedWorker<Delivery>>(
      options_.queue_capacity, options_.drain_limit, clock_,
      BoundedWorker<Delivery>::Callbacks{
          .deliver = [this, raw](Delivery& delivery,
                                 bool draining) { deliver(*raw, delivery, draining); },
          .overflowed =
              [this, raw](const Delivery& oldest) {
                metrics_.notification_queue_dropped_total.Add({{"sink", raw->config.name}})
                    .Increment();
                spdlog::warn("notification sink {}: queue full, dropped the oldest ({})",
                             raw->config.name, to_string(oldest.event.kind));
              },
          .abandoned =
              [this, raw](std::size_t count) {
                metrics_.notification_queue_dropped_total.Add({{"sink", raw->config.name}})
                    .Increment(static_cast<double>(count));
                spdlog::warn("stopping: {} notification(s) for sink {} not sent", count,
                             raw->config.name);
              }});
  sinks_.push_back(std::move(sink));
}

void Notifier::stop() {
  for (const auto& sink : sinks_) sink->worker->stop();
}

Event Notifier::event(EventKind kind, const std::string& cluster, const std::string& commit,
                      const std::string& message) const {
  return Event{.kind = kind,
               .cluster = cluster,
               .commit = commit,
               .message = message,
               .at_unix_ms = clock_.now_unix_ms()};
}

void Notifier::publish(Event event) {
  for (const auto& sink : sinks_) {
    if (!sink->config.wants(event.kind)) continue;
    sink->worker->push(Delivery{.event = event, .id = to_hex(random_bytes(16))});
  }
}

void Notifier::commit_accepted(const std::string& commit, const std::string& message) {
  publish(event(EventKind::kCommitAccepted, "", commit, message));
}

void Notifier::commit_rejected(const std::string& commit, const std::string& first_error) {
  publish(event(EventKind::kCommitRejected, "", commit, first_error));
}

void Notifier::cluster_outcome(const std::string& cluster, const std::string& commit, bool applied,
                               const std::string& message) {
  const std::string outcome = (applied ? "applied:" : "failed:") + commit;
  {
    std::lock_guard lock(mutex_);
    std::string& last = clusters_[cluster].outcome;
    if (last == outcome) return;
    last = outcome;
  }
  publish(event(applied ? EventKind::kClusterApplied : EventKind::kClusterFailed, cluster, commit,
                message));
}

void Notifier::cluster_drift(const std::string& cluster, const std::string& commit,
                             int drifted_objects, const std::string& message) {
  {
    std::lock_guard lock(mutex_);
    std::string& last = clusters_[cluster].drift;
    const std::string now = drifted_objects > 0 ? message : "";
    if (last == now) return;
    last = now;
    if (drifted_objects <= 0) return;  // drift gone: remembered, not sent
  }
  publish(event(EventKind::kClusterDrift, cluster, commit, message));
}

void Notifier::waiting_for_window(const std::string& cluster, const std::string& commit,
                                  const std::string& message) {
  {
    std::lock_guard lock(mutex_);
    std::string& last = clusters_[cluster].window;
    if (last == commit) return;
    last = commit;
  }
  publish(event(EventKind::kWaitingForWindow, cluster, commit, message));
}

HttpRequest Notifier::request_for(const Sink& sink, const Delivery& delivery) const {
  switch (sink.config.type) {
    case SinkType::kGeneric: {
      return generic_request(sink.config.url, sink.secret, delivery.event, delivery.id,
                             clock_.now_unix_ms() / 1000);
    }
    case SinkType::kSlack:
      return slack_request(sink.config.url, delivery.event);
    case SinkType::kAlertmanager:
      return alertmanager_request(sink.config.url, delivery.event);
  }
  return slack_request(sink.config.url, delivery.event);
}

void Notifier::deliver(Sink& sink, const Delivery& delivery, bool draining) {
  HttpRequest request = request_for(sink, delivery);
  RetryPolicy policy = options_.retry;
  BoundedWorker<Delivery>& worker = *sink.worker;
  policy.clock = &clock_;
  policy.stop = worker.stop_token();
  if (draining) {
    policy.max_attempts = 1;
    request.timeout_ms = std::min(request.timeout_ms, kDrainingTimeoutMs);
    request.connect_timeout_ms = std::min(request.connect_timeout_ms, kDrainingConnectTimeoutMs);
  }
  metrics::MeteredHttpClient metered(client_, clock_, &metrics_, "notify", to_string(sink.config.type));
  const auto response = send_with_retry(metered, request, policy);
  const bool delivered = response.ok() && response->status / 100 == 2;
  metrics_.notifications_total
      .Add({{"sink", sink.config.name}, {"result", delivered ? "delivered" : "failed"}})
      .Increment();
  if (delivered) return;
  // The URL is left out on purpose: Slack's carries its credential.
  if (!response) {
    spdlog::warn("notification sink {} ({}): {} not delivered: {}", sink.config.name,
                 to_string(sink.config.type), to_string(delivery.event.kind),
                 response.error().code == ErrorCode::kEgressDenied
                     ? "egress refused; add the receiver's address to egress.allow"
                     : std::string(error_code_name(response.error().code)));
  } else {
    spdlog::warn("notification sink {} ({}): {} not delivered: HTTP {}", sink.config.name,
                 to_string(sink.config.type), to_string(delivery.event.kind), response->status);
  }
}

}  // namespace nkd::syncd::notify
