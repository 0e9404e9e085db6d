// MeteredHttpClient: an HttpClient decorator that records every attempt it forwards in
// nkd_provider_requests_total{provider,operation,code} and
// nkd_provider_request_duration_seconds{provider,operation}. Put it under send_with_retry so each
// retry is counted with its own code. `code` is the HTTP status, or the transport error's name
// ("timeout", "unavailable", ...). Metrics may be null (nothing is recorded). Thread-safe as the
// wrapped client is; it is a short-lived object made per call.
#pragma once

#include <string>

#include "common/clock.h"
#include "common/http_client.h"
#include "metrics/metrics.h"

namespace nkd::providers::openstack {

inline constexpr const char* kProviderLabel = "openstack";

class MeteredHttpClient final : public HttpClient {
 public:
  MeteredHttpClient(HttpClient& inner, const Clock& clock, metrics::Metrics* metrics,
                    std::string operation)
      : inner_(inner), clock_(clock), metrics_(metrics), operation_(std::move(operation)) {}

  [[nodiscard]] Result<HttpResponse> send(const HttpRequest& request) override;

 private:
  HttpClient& inner_;
  const Clock& clock_;
  metrics::Metrics* metrics_;
  std::string operation_;
};

}  // namespace nkd::providers::openstack
