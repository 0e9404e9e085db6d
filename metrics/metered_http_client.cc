#include "metrics/metered_http_client.h"

#include <chrono>

namespace nkd::metrics {

std::string request_code_label(const Result<HttpResponse>& outcome) {
  if (outcome) return std::to_string(outcome->status);
  switch (outcome.error().code) {
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kEgressDenied: return "egress_denied";
    case ErrorCode::kUnauthenticated: return "tls";
    default: return "error";
  }
}

Result<HttpResponse> MeteredHttpClient::send(const HttpRequest& request) {
  const auto started = clock_.steady_now();
  Result<HttpResponse> outcome = inner_.send(request);
  if (metrics_ == nullptr) return outcome;
  const double seconds =
      std::chrono::duration<double>(clock_.steady_now() - started).count();
  metrics_->provider_requests_total
      .Add({{"provider", provider_},
            {"operation", operation_},
            {"code", request_code_label(outcome)}})
      .Increment();
  metrics_->provider_request_duration_seconds
      .Add({{"provider", provider_}, {"operation", operation_}}, Metrics::fast_buckets())
      .Observe(seconds);
  return outcome;
}

}  // namespace nkd::metrics
