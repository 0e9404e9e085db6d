// HttpClient: the one way nkd speaks HTTP to the outside (OpenStack, Kubernetes, etcd). An
// interface so callers can be tested with a fake; CurlHttpClient (curl_http_client.h) is the real
// one. send() returns a response for any HTTP status; only transport failures are errors:
// kTimeout, kUnavailable (connect/resolve/reset), kEgressDenied (address outside the allow list),
// kUnauthenticated (TLS peer not trusted), kIo (body over max_body_bytes), kInvalidArgument.
// send_with_retry() adds bounded, jittered retries on top of any HttpClient.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "common/secret.h"

namespace nkd {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::int64_t timeout_ms = 30'000;          // whole transfer
  std::int64_t connect_timeout_ms = 10'000;  // TCP + TLS handshake
  std::string ca_file;                       // PEM bundle on disk; empty = system store
  std::string ca_pem;                        // PEM bundle in memory; wins over ca_file
  std::string client_cert_pem;               // mutual TLS
  Secret client_key_pem;
  bool verify_tls = true;
  // curl's --connect-to "host:port:connect-host:connect-port": dial elsewhere while TLS is still
  // verified against the URL's host (DESIGN.md §4 apiServers).
  std::string connect_to;
  std::size_t max_body_bytes = 64u << 20;
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased; repeated headers joined by ", "
  std::string body;
  double total_time_seconds = 0;

  // The header's value, or "" (the name in any case).
  [[nodiscard]] std::string header(std::string_view name) const;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Thread-safe: each call is independent.
  [[nodiscard]] virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

struct RetryPolicy {
  int max_attempts = 4;
  std::int64_t base_delay_ms = 200;
  std::int64_t max_delay_ms = 10'000;
  std::int64_t total_deadline_ms = 60'000;  // across every attempt and wait
  std::int64_t max_retry_after_ms = 60'000;  // a larger Retry-After gives up instead of waiting
  bool retry_non_idempotent = false;        // POST and PATCH are retried only when true
  // When true, a POST or PATCH answered 429 or 503 is retried even with retry_non_idempotent
  // false: the service refused it without acting, so sending it again cannot do it twice.
  bool retry_refused_non_idempotent = false;
  // The clock that times the waits and the deadline; null means the real one. Tests pass a
  // FakeClock (with auto_advance, its sleeps() are the waits this policy chose).
  const Clock* clock = nullptr;
  // A uniform [0, 1) generator for the jitter; empty means a seeded std::mt19937_64.
  std::function<double()> random_unit;
  // Once requested, before a wait or during it, no further attempt is made and the last outcome
  // is returned (a shutting-down sender stops at once rather than sit out a backoff).
  std::stop_token stop;
};

// True for GET, HEAD, PUT, DELETE, OPTIONS (RFC 9110 §9.2.2).
[[nodiscard]] bool is_idempotent_method(std::string_view method);
// The Retry-After header in milliseconds (delta-seconds form only); -1 when absent or a date.
[[nodiscard]] std::int64_t retry_after_ms(const HttpResponse& response);

// Sends `request`, retrying 5xx (but 501), 429, kUnavailable and kTimeout with capped exponential
// backoff and full jitter; a 429/503 Retry-After is waited out as given. A non-idempotent request
// is retried only as RetryPolicy's retry_* flags allow. Gives up after
// max_attempts or when the deadline would pass, returning the last response or error.
[[nodiscard]] Result<HttpResponse> send_with_retry(HttpClient& client, const HttpRequest& request,
                                                   const RetryPolicy& policy = {});

}  // namespace nkd
