#include "providers/openstack/keystone.h"

#include <ctime>

#include <nlohmann/json.hpp>

#include "common/http_status.h"
#include "metrics/metered_http_client.h"

namespace nkd::providers::openstack {
namespace {

RetryPolicy with_clock(RetryPolicy policy, const Clock& clock) {
  policy.clock = &clock;
  return policy;
}

// The `provider` label of every OpenStack call in nkd_provider_requests_total.
constexpr const char* kProviderLabel = "openstack";

using nlohmann::json;

// {"name": ..., "domain": {...}} or {"id": ...}: Keystone wants a domain only with a name.
json named(const std::string& id, const std::string& name, const std::string& domain_id,
           const std::string& domain_name) {
  if (!id.empty()) return json{{"id", id}};
  json object{{"name", name}};
  object["domain"] = domain_id.empty() ? json{{"name", domain_name}} : json{{"id", domain_id}};
  return object;
}

json identity_of(const CloudConfig& cloud) {
  const CloudAuth& auth = cloud.auth;
  if (cloud.method == AuthMethod::kApplicationCredential) {
    json credential{{"secret", auth.application_credential_secret.reveal()}};
    if (!auth.application_credential_id.empty()) {
      credential["id"] = auth.application_credential_id;
    } else {
      credential["name"] = auth.application_credential_name;
      credential["user"] = named(auth.user_id, auth.username, auth.user_domain_id,
                                 auth.user_domain_name);
    }
    return json{{"methods", {"application_credential"}}, {"application_credential", credential}};
  }
  json user = named(auth.user_id, auth.username, auth.user_domain_id, auth.user_domain_name);
  user["password"] = auth.password.reveal();
  return json{{"methods", {"password"}}, {"password", {{"user", user}}}};
}

std::string trim_slashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string text_at(const json& object, const char* key) {
  auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

std::vector<CatalogEndpoint> catalog_of(const json& token) {
  std::vector<CatalogEndpoint> catalog;
  auto services = token.find("catalog");
  if (services == token.end() || !services->is_array()) return catalog;
  for (const json& service : *services) {
    auto endpoints = service.find("endpoints");
    if (!service.is_object() || endpoints == service.end() || !endpoints->is_array()) continue;
    for (const json& endpoint : *endpoints) {
      if (!endpoint.is_object()) continue;
      std::string region = text_at(endpoint, "region_id");
      if (region.empty()) region = text_at(endpoint, "region");
      catalog.push_back(CatalogEndpoint{.service_type = text_at(service, "type"),
                                        .interface = text_at(endpoint, "interface"),
                                        .region = region,
                                        .url = trim_slashes(text_at(endpoint, "url"))});
    }
  }
  return catalog;
}

}  // namespace

Secret auth_request_body(const CloudConfig& cloud) {
  json auth{{"identity", identity_of(cloud)}};
  // An application credential carries its own scope; a password is scoped to the project.
  const CloudAuth& credentials = cloud.auth;
  if (cloud.method == AuthMethod::kPassword &&
      !(credentials.project_id.empty() && credentials.project_name.empty())) {
    auth["scope"] = {{"project", named(credentials.project_id, credentials.project_name,
                                       credentials.project_domain_id,
                                       credentials.project_domain_name)}};
  }
  return Secret(json{{"auth", auth}}.dump());
}

std::string tokens_url(const std::string& auth_url) {
  std::string base = trim_slashes(auth_url);
  if (!base.ends_with("/v3")) base += "/v3";
  return base + "/auth/tokens";
}

Result<std::int64_t> parse_keystone_time(std::string_view text) {
  std::tm parts{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  const std::string copy(text);
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &year, &month, &day, &hour, &minute,
                  &second) != 6) {
    return Error{ErrorCode::kParse, "Keystone time '" + copy + "' is not ISO 8601 (YYYY-MM-DDTHH:MM:SS)"};
  }
  parts.tm_year = year - 1900;
  parts.tm_mon = month - 1;
  parts.tm_mday = day;
  parts.tm_hour = hour;
  parts.tm_min = minute;
  parts.tm_sec = second;
  return static_cast<std::int64_t>(timegm(&parts)) * 1000;
}

Result<Token> parse_token_response(const HttpResponse& response) {
  const std::string value = response.header("x-subject-token");
  json body = json::parse(response.body, nullptr, false);
  if (value.empty() || body.is_discarded() || !body.contains("token") ||
      !body["token"].is_object()) {
    return Error{ErrorCode::kParse,
                 "Keystone's token response has no X-Subject-Token header or no token object; "
                 "check that auth_url points at Keystone v3"};
  }
  const json& token = body["token"];
  NKD_ASSIGN_OR_RETURN_WRAP(std::int64_t expires, parse_keystone_time(text_at(token, "expires_at")),
                            "reading the token's expires_at");
  std::string project_id;
  if (auto project = token.find("project"); project != token.end() && project->is_object()) {
    project_id = text_at(*project, "id");
  }
  return Token{.value = Secret(value),
               .expires_at_ms = expires,
               .project_id = project_id,
               .catalog = catalog_of(token)};
}

Result<std::string> find_endpoint(const std::vector<CatalogEndpoint>& catalog,
                                  std::string_view service_type, std::string_view region,
                                  std::string_view interface) {
  for (const CatalogEndpoint& endpoint : catalog) {
    if (endpoint.service_type == service_type && endpoint.interface == interface &&
        (region.empty() || endpoint.region == region)) {
      return endpoint.url;
    }
  }
  return Error{ErrorCode::kNotFound,
               "the service catalog has no " + std::string(interface) + " endpoint of type '" +
                   std::string(service_type) + "'" +
                   (region.empty() ? "" : " in region '" + std::string(region) + "'") +
                   "; check region_name and interface in clouds.yaml"};
}

Keystone::Keystone(CloudConfig cloud, HttpClient& http, const Clock& clock,
                   metrics::Metrics* metrics, RetryPolicy retry)
    : cloud_(std::move(cloud)),
      http_(http),
      clock_(clock),
      metrics_(metrics),
      retry_(with_clock(std::move(retry), clock)) {}

int Keystone::authentications() const {
  std::lock_guard lock(mutex_);
  return authentications_;
}

HttpRequest Keystone::tls_settings(HttpRequest request) const {
  request.ca_file = cloud_.cacert;
  request.verify_tls = cloud_.verify;
  return request;
}

Result<Token> Keystone::token() {
  std::lock_guard lock(mutex_);
  if (cached_ && cached_->expires_at_ms - kRefreshBeforeExpiryMs > clock_.now_unix_ms()) {
    return *cached_;
  }
  NKD_ASSIGN_OR_RETURN(Token fresh, authenticate());
  cached_ = fresh;
  ++authentications_;
  return fresh;
}

Result<Token> Keystone::authenticate() {
  HttpRequest request = tls_settings(HttpRequest{
      .method = "POST",
      .url = tokens_url(cloud_.auth.auth_url),
      .headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}},
      .body = auth_request_body(cloud_).reveal(),
  });
  // Asking for a token changes nothing, so it may be retried like a GET.
  RetryPolicy policy = retry_;
  policy.retry_non_idempotent = true;
  metrics::MeteredHttpClient metered(http_, clock_, metrics_, kProviderLabel, "token_issue");
  const std::string what = "authenticating cloud '" + cloud_.name + "' at " + request.url;
  NKD_ASSIGN_OR_RETURN_WRAP(HttpResponse response, send_with_retry(metered, request, policy), what);
  if (response.status == 401 || response.status == 403) {
    // Keystone answers a wrong password or a disabled user either way; both need new credentials.
    return Error{ErrorCode::kUnauthenticated, what + ": Keystone refused the credentials (HTTP " +
                                                  std::to_string(response.status) +
                                                  "); check the cloud's auth in clouds.yaml"};
  }
  if (response.status != 201 && response.status != 200) {
    return error_for_response(response, what + ": Keystone answered HTTP " +
                                            std::to_string(response.status) +
                                            "; retry later or check the identity service");
  }
  NKD_ASSIGN_OR_RETURN_WRAP(Token token, parse_token_response(response), what);
  return token;
}

void Keystone::forget(const Secret& stale) {
  std::lock_guard lock(mutex_);
  if (cached_ && cached_->value == stale) cached_.reset();
}

Result<std::string> Keystone::endpoint(std::string_view service_type) {
  NKD_ASSIGN_OR_RETURN(Token current, token());
  return find_endpoint(current.catalog, service_type, cloud_.region_name, cloud_.interface);
}

Result<HttpResponse> Keystone::send_once(const ServiceRequest& request, const Token& token) {
  NKD_ASSIGN_OR_RETURN_WRAP(
      std::string base,
      find_endpoint(token.catalog, request.service_type, cloud_.region_name, cloud_.interface),
      "cloud '" + cloud_.name + "'");
  HttpRequest http = tls_settings(HttpRequest{.method = request.method,
                                              .url = base + request.path,
                                              .headers = request.headers,
                                              .body = request.body,
                                              .timeout_ms = request.timeout_ms});
  http.headers.emplace_back("X-Auth-Token", token.value.reveal());
  http.headers.emplace_back("Accept", "application/json");
  if (!request.body.empty()) http.headers.emplace_back("Content-Type", "application/json");
  metrics::MeteredHttpClient metered(http_, clock_, metrics_, kProviderLabel, request.operation);
  // A create refused unprocessed (429, 503) is safe to resend; any other failure of a POST is
  // left to the caller, which looks the resource up before trying again.
  RetryPolicy policy = retry_;
  policy.retry_refused_non_idempotent = true;
  NKD_ASSIGN_OR_RETURN_WRAP(HttpResponse response, send_with_retry(metered, http, policy),
                            request.operation + " " + request.method + " " + base + request.path);
  return response;
}

Result<HttpResponse> Keystone::send(const ServiceRequest& request) {
  NKD_ASSIGN_OR_RETURN(Token current, token());
  Result<HttpResponse> response = send_once(request, current);
  if (!response || response->status != 401) return response;
  // The token was revoked or expired early: authenticate again, once.
  forget(current.value);
  NKD_ASSIGN_OR_RETURN(Token renewed, token());
  return send_once(request, renewed);
}

}  // namespace nkd::providers::openstack
