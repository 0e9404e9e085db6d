// MeteredHttpClient: the one place nkd meters its outbound HTTP. A decorator over any HttpClient
// that records each attempt it forwards, once, in
//   nkd_provider_requests_total{provider,operation,code} and
//   nkd_provider_request_duration_seconds{provider,operation}
// (DESIGN.md §7). Put it under send_with_retry, so a call retried three times counts three
// attempts, each with its own code. `code` is the HTTP status ("200", "429"), or for a transport
// failure the error's name (request_code_label). `provider` names the service family
// ("openstack", "kube", "forge", "notify"), `operation` the call ("server_create", "readyz").
// Metrics may be null: nothing is recorded. Thread-safe as the wrapped client is; cheap enough
// to make per call.
#pragma once

#include <string>
#include <utility>

#include "common/clock.h"
#include "common/http_client.h"
#include "metrics/metrics.h"

namespace nkd::metrics {

class MeteredHttpClient final : public HttpClient {
 public:
  MeteredHttpClient(HttpClient& inner, const Clock& clock, Metrics* metrics, std::string provider,
                    std::string operation)
      : inner_(inner),
        clock_(clock),
        metrics_(metrics),
        provider_(std::move(provider)),
        operation_(std::move(operation)) {}

  [[nodiscard]] Result<HttpResponse> send(const HttpRequest& request) override;

 private:
  HttpClient& inner_;
  const Clock& clock_;
  Metrics* metrics_;
  std::string provider_;
  std::string operation_;
};

// The `code` label of one attempt: the HTTP status, or "timeout", "unavailable",
// "egress_denied", "tls" (the peer was not trusted) or "error" for a transport failure.
[[nodiscard]] std::string request_code_label(const Result<HttpResponse>& outcome);

}  // namespace nkd::metrics
