#include "providers/openstack/metered_http.h"

#include <chrono>

namespace nkd::providers::openstack {
namespace {

std::string code_label(const Result<HttpResponse>& outcome) {
  if (outcome) return std::to_string(outcome->status);
  switch (outcome.error().code) {
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kEgressDenied: return "egress_denied";
    case ErrorCode::kUnauthenticated: return "tls";
    default: return "error";
  }
}

}  // namespace

Result<HttpResponse> MeteredHttpClient::send(const HttpRequest& request) {
  const auto started = clock_.steady_now();
  Result<HttpResponse> outcome = inner_.send(request);
  if (metrics_ != nullptr) {
    const double seconds =
        std::chrono::duration<double>(clock_.steady_now() - started).count();
    metrics_->provider_requests_total
        .Add({{"provider", kProviderLabel}, {"operation", operation_}, {"code", code_label(outcome)}})
        .Increment();
    metrics_->provider_request_duration_seconds
        .Add({{"provider", kProviderLabel}, {"operation", operation_}},
             metrics::Metrics::fast_buckets())
        .Observe(seconds);
  }
  return outcome;
}

}  // namespace nkd::providers::openstack
