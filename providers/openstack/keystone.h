// Keystone v3 authentication and the authorized request path every OpenStack call takes.
//
// Keystone: gets a project-scoped token with a password or an application credential
// (POST /v3/auth/tokens; the token is the X-Subject-Token header), caches it until 60 s before
// its expires_at, and finds service endpoints in the token's catalog by type, region and
// interface. send() resolves the service's endpoint, adds the token, goes through
// send_with_retry with a per-call timeout and counts every attempt in the provider metrics; on a
// 401 it drops the cached token, authenticates again and retries once. Thread-safe: the token
// cache is behind one mutex, and only one thread authenticates at a time.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/http_client.h"
#include "common/secret.h"
#include "metrics/metrics.h"
#include "providers/openstack/clouds.h"

namespace nkd::providers::openstack {

struct CatalogEndpoint {
  std::string service_type;
  std::string interface;
  std::string region;
  std::string url;
};

struct Token {
  Secret value;
  std::int64_t expires_at_ms = 0;
  std::string project_id;
  std::vector<CatalogEndpoint> catalog;
};

// The JSON body of POST /v3/auth/tokens for `cloud` (a Secret: it carries the password).
[[nodiscard]] Secret auth_request_body(const CloudConfig& cloud);
// The tokens URL for an auth_url with or without a trailing "/v3" or "/".
[[nodiscard]] std::string tokens_url(const std::string& auth_url);
// Reads a 201 response of POST /v3/auth/tokens.
[[nodiscard]] Result<Token> parse_token_response(const HttpResponse& response);
// "2026-11-25T10:00:00.000000Z" as Unix milliseconds.
[[nodiscard]] Result<std::int64_t> parse_keystone_time(std::string_view text);
// The URL (no trailing '/') of `service_type` at `interface`, in `region` unless it is empty.
[[nodiscard]] Result<std::string> find_endpoint(const std::vector<CatalogEndpoint>& catalog,
                                                std::string_view service_type,
                                                std::string_view region,
                                                std::string_view interface);

// One request to an OpenStack service: `path` is appended to the service's catalog URL.
struct ServiceRequest {
  std::string operation;     // metric label: "server_create", "image_list", ...
  std::string service_type;  // "compute", "image", "network"
  std::string method = "GET";
  std::string path;
  std::string body;          // JSON text, or empty
  std::vector<std::pair<std::string, std::string>> headers;
  std::int64_t timeout_ms = 30'000;
};

class Keystone {
 public:
  static constexpr std::int64_t kRefreshBeforeExpiryMs = 60'000;

  // `http`, `clock` and `metrics` (may be null) must outlive this object. `clock` decides token
  // expiry and times the retries (it replaces retry.clock) and every wait of the services that
  // use this Keystone.
  Keystone(CloudConfig cloud, HttpClient& http, const Clock& clock, metrics::Metrics* metrics,
           RetryPolicy retry = {});

  // A valid token, from the cache when it has more than a minute left.
  [[nodiscard]] Result<Token> token();
  // The endpoint of `service_type` for the cloud's region and interface.
  [[nodiscard]] Result<std::string> endpoint(std::string_view service_type);
  // Sends `request` with the token; any HTTP status is a value, transport failures are errors.
  [[nodiscard]] Result<HttpResponse> send(const ServiceRequest& request);
  // Number of successful authentications (tests check caching and re-auth with it).
  [[nodiscard]] int authentications() const;
  [[nodiscard]] const CloudConfig& cloud() const { return cloud_; }
  [[nodiscard]] const Clock& clock() const { return clock_; }

 private:
  Result<Token> authenticate();
  void forget(const Secret& stale);
  HttpRequest tls_settings(HttpRequest request) const;
  Result<HttpResponse> send_once(const ServiceRequest& request, const Token& token);

  const CloudConfig cloud_;
  HttpClient& http_;
  const Clock& clock_;
  metrics::Metrics* metrics_;
  const RetryPolicy retry_;
  mutable std::mutex mutex_;
  std::optional<Token> cached_;
  int authentications_ = 0;
};

}  // namespace nkd::providers::openstack
