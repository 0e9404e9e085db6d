#include "common/http_client.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>
#include <random>

#include "common/ascii.h"
#include "common/http_status.h"

namespace nkd {

namespace {


// A 429 or 503 says the service turned the request away before acting on it.
bool was_refused(const Result<HttpResponse>& outcome) {
  return outcome.ok() && (outcome->status == 429 || outcome->status == 503);
}

bool is_retryable_error(const Error& error) {
  return error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kTimeout;
}

// Fills in the default clock and jitter source so the loop below calls them blindly.
RetryPolicy with_defaults(RetryPolicy policy) {
  if (policy.clock == nullptr) policy.clock = &real_clock();
  if (!policy.random_unit) {
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    policy.random_unit = [engine] {
      return std::uniform_real_distribution<double>(0.0, 1.0)(*engine);
    };
  }
  policy.max_attempts = std::max(policy.max_attempts, 1);
  return policy;
}

// Full jitter: a uniform wait in [0, min(cap, base * 2^retry)].
std::int64_t backoff_ms(const RetryPolicy& policy, int retry) {
  const int shift = std::min(retry, 30);
  const std::int64_t ceiling =
      std::min(policy.max_delay_ms, policy.base_delay_ms * (std::int64_t{1} << shift));
  return static_cast<std::int64_t>(policy.random_unit() * static_cast<double>(ceiling));
}

// How long to wait before the next attempt, or -1 to stop retrying `outcome`.
std::int64_t next_wait_ms(const RetryPolicy& policy, const Result<HttpResponse>& outcome, int retry) {
  if (!outcome.ok()) return is_retryable_error(outcome.error()) ? backoff_ms(policy, retry) : -1;
  if (!is_retryable_status(outcome->status)) return -1;
  if (outcome->status == 429 || outcome->status == 503) {
    const std::int64_t requested = retry_after_ms(*outcome);
    if (requested > policy.max_retry_after_ms) return -1;
    if (requested >= 0) return requested;
  }
  return backoff_ms(policy, retry);
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  auto found = headers.find(ascii_lower(name));
  return found == headers.end() ? std::string() : found->second;
}

bool is_idempotent_method(std::string_view method) {
  const std::string upper = [&] {
    std::string result(method);
    for (char& c : result) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return result;
  }();
  return upper == "GET" || upper == "HEAD" || upper == "PUT" || upper == "DELETE" ||
         upper == "OPTIONS";
}

std::int64_t retry_after_ms(const HttpResponse& response) {
  std::string value = response.header("retry-after");
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) value.pop_back();
  std::size_t start = 0;
  while (start < value.size() && std::isspace(static_cast<unsigned char>(value[start]))) ++start;
  std::int64_t seconds = 0;
  const char* first = value.data() + start;
  const char* last = value.data() + value.size();
  auto [end, error] = std::from_chars(first, last, seconds);
  if (error != std::errc() || end != last || first == last || seconds < 0) return -1;
  return std::min<std::int64_t>(seconds, 86'400) * 1000;
}

Result<HttpResponse> send_with_retry(HttpClient& client, const HttpRequest& request,
                                     const RetryPolicy& given_policy) {
  const RetryPolicy policy = with_defaults(given_policy);
  const bool may_retry = policy.retry_non_idempotent || is_idempotent_method(request.method);
  const auto deadline =
      policy.clock->steady_now() + std::chrono::milliseconds(policy.total_deadline_ms);
  HttpRequest attempt_request = request;
  for (int attempt = 1;; ++attempt) {
    const auto remaining_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  deadline - policy.clock->steady_now()).count();
    // No attempt may outlive the overall deadline.
    attempt_request.timeout_ms = std::max<std::int64_t>(1, std::min(request.timeout_ms, remaining_ms));
    Result<HttpResponse> outcome = client.send(attempt_request);
    const bool retry_this = may_retry || (policy.retry_refused_non_idempotent && was_refused(outcome));
    if (!retry_this || attempt >= policy.max_attempts) return outcome;
    const std::int64_t wait_ms = next_wait_ms(policy, outcome, attempt - 1);
    if (wait_ms < 0) return outcome;
    if (policy.clock->steady_now() + std::chrono::milliseconds(wait_ms) >= deadline) return outcome;
    if (!policy.clock->sleep_for(std::chrono::milliseconds(wait_ms), policy.stop)) return outcome;
  }
}

}  // namespace nkd
