// Unit tests of the OpenStack client's pure parts: the auth request body, token and catalog
// parsing, endpoint choice, error and quota mapping.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "providers/openstack/api_util.h"
#include "providers/openstack/compute.h"
#include "providers/openstack/keystone.h"

namespace nkd::providers::openstack {
namespace {

using nlohmann::json;

CloudConfig password_cloud() {
  return CloudConfig{.name = "dc1",
                     .auth = {.auth_url = "http://127.0.0.1:5000/v3/",
                              .username = "ops",
                              .password = Secret("pw"),
                              .project_name = "k8s",
                              .user_domain_name = "Default",
                              .project_domain_id = "default"}};
}

TEST(OpenStackAuthBody, PasswordBodyScopesProjectWithDomains) {
  json body = json::parse(auth_request_body(password_cloud()).reveal());
  const json& identity = body["auth"]["identity"];
  EXPECT_EQ(identity["methods"], json::array({"password"}));
  EXPECT_EQ(identity["password"]["user"]["name"], "ops");
  EXPECT_EQ(identity["password"]["user"]["domain"]["name"], "Default");
  EXPECT_EQ(identity["password"]["user"]["password"], "pw");
  EXPECT_EQ(body["auth"]["scope"]["project"]["name"], "k8s");
  EXPECT_EQ(body["auth"]["scope"]["project"]["domain"]["id"], "default");
}

TEST(OpenStackAuthBody, IdsNeedNoDomain) {
  CloudConfig cloud = password_cloud();
  cloud.auth.user_id = "u-1";
  cloud.auth.project_id = "p-1";
  json body = json::parse(auth_request_body(cloud).reveal());
  EXPECT_EQ(body["auth"]["identity"]["password"]["user"]["id"], "u-1");
  EXPECT_FALSE(body["auth"]["identity"]["password"]["user"].contains("domain"));
  EXPECT_EQ(body["auth"]["scope"]["project"], json({{"id", "p-1"}}));
}

TEST(OpenStackAuthBody, ApplicationCredentialHasNoScope) {
  CloudConfig cloud{.name = "a",
                    .method = AuthMethod::kApplicationCredential,
                    .auth = {.auth_url = "http://k",
                             .application_credential_id = "ac",
                             .application_credential_secret = Secret("s")}};
  json body = json::parse(auth_request_body(cloud).reveal());
  EXPECT_EQ(body["auth"]["identity"]["application_credential"], json({{"id", "ac"}, {"secret", "s"}}));
  EXPECT_FALSE(body["auth"].contains("scope"));
}

TEST(OpenStackAuthBody, TokensUrlAddsV3OnlyWhenMissing) {
  EXPECT_EQ(tokens_url("http://k:5000"), "http://k:5000/v3/auth/tokens");
  EXPECT_EQ(tokens_url("http://k:5000/v3/"), "http://k:5000/v3/auth/tokens");
  EXPECT_EQ(tokens_url("https://k/identity/v3"), "https://k/identity/v3/auth/tokens");
}

HttpResponse token_response() {
  json body{{"token",
             {{"expires_at", "2026-11-25T10:00:00.000000Z"},
              {"project", {{"id", "p-42"}}},
              {"catalog",
               {{{"type", "compute"},
                 {"endpoints",
                  {{{"interface", "public"}, {"region_id", "RegionOne"}, {"url", "http://a/v2.1/"}},
                   {{"interface", "internal"}, {"region_id", "RegionOne"}, {"url", "http://i/v2.1"}},
                   {{"interface", "public"}, {"region_id", "RegionTwo"}, {"url", "http://b/v2.1"}}}}}}}}}};
  return HttpResponse{.status = 201, .headers = {{"x-subject-token", "tok"}}, .body = body.dump()};
}

TEST(OpenStackToken, ParsesTokenExpiryProjectAndCatalog) {
  Result<Token> token = parse_token_response(token_response());
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->value.reveal(), "tok");
  EXPECT_EQ(token->expires_at_ms, 1'795'600'800'000);
  EXPECT_EQ(token->project_id, "p-42");
  ASSERT_EQ(token->catalog.size(), 3u);
}

TEST(OpenStackToken, RejectsResponseWithoutSubjectToken) {
  HttpResponse response = token_response();
  response.headers.clear();
  EXPECT_EQ(parse_token_response(response).error().code, ErrorCode::kParse);
}

TEST(OpenStackToken, EndpointChosenByTypeRegionAndInterface) {
  const auto catalog = parse_token_response(token_response())->catalog;
  EXPECT_EQ(find_endpoint(catalog, "compute", "RegionOne", "public").value(), "http://a/v2.1");
  EXPECT_EQ(find_endpoint(catalog, "compute", "RegionOne", "internal").value(), "http://i/v2.1");
  EXPECT_EQ(find_endpoint(catalog, "compute", "RegionTwo", "public").value(), "http://b/v2.1");
  EXPECT_EQ(find_endpoint(catalog, "compute", "", "public").value(), "http://a/v2.1");
  EXPECT_EQ(find_endpoint(catalog, "network", "", "public").error().code, ErrorCode::kNotFound);
}

TEST(OpenStackErrors, NovaQuotaIsQuotaExceededNamingInstances) {
  HttpResponse response{.status = 403, .body = R"({"forbidden": {"code": 403, "message":
      "Quota exceeded for instances: Requested 1, but already used 2 of 2 instances"}})"};
  Error error = error_from_response(response, "creating server c-w-3");
  EXPECT_EQ(error.code, ErrorCode::kQuotaExceeded);
  EXPECT_NE(error.message.find("quota exceeded for instances"), std::string::npos) << error.message;
}

TEST(OpenStackErrors, AQuotaFailureIsStalledAndASlowDownWaitsForItsRetryAfter) {
  HttpResponse quota{.status = 403, .body = R"({"forbidden": {"code": 403, "message":
      "Quota exceeded for cores: Requested 8, but already used 16 of 16 cores"}})"};
  EXPECT_EQ(error_from_response(quota, "creating server c-w-3").retry(), Retry::stalled());
  HttpResponse slow_down{.status = 429, .body = "{}"};
  slow_down.headers["retry-after"] = "20";
  const Error waiting = error_from_response(slow_down, "listing servers");
  EXPECT_EQ(waiting.code, ErrorCode::kUnavailable) << "429 is the same in every client";
  EXPECT_EQ(waiting.retry(), Retry::waiting(20'000));
  EXPECT_EQ(error_from_response(HttpResponse{.status = 502, .body = "{}"}, "x").retry(),
            Retry::transient());
}

TEST(OpenStackErrors, NeutronOverQuotaNamesTheResource) {
  HttpResponse response{.status = 409, .body = R"({"NeutronError": {"type": "OverQuota",
      "message": "Quota exceeded for resources: ['port'].", "detail": ""}})"};
  Error error = error_from_response(response, "creating port");
  EXPECT_EQ(error.code, ErrorCode::kQuotaExceeded);
  EXPECT_NE(error.message.find("quota exceeded for port"), std::string::npos) << error.message;
}

TEST(OpenStackErrors, PlainForbiddenAndConflictKeepTheirCodes) {
  EXPECT_EQ(error_from_response(HttpResponse{.status = 403, .body = "{}"}, "x").code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(error_from_response(HttpResponse{.status = 409, .body = R"({"conflictingRequest":
      {"message": "name in use"}})"}, "x").code, ErrorCode::kConflict);
  EXPECT_EQ(error_from_response(HttpResponse{.status = 503, .body = ""}, "x").code,
            ErrorCode::kUnavailable);
}

TEST(OpenStackServers, ReadsStatusFaultMetadataAndAddresses) {
  Server server = server_from_json(json::parse(R"({"id": "s1", "name": "c-w-0", "status": "ERROR",
      "fault": {"message": "No valid host was found."},
      "metadata": {"nkd.cluster": "c", "nkd.node": "c-w-0"},
      "addresses": {"private": [{"addr": "10.0.0.5"}, {"addr": "203.0.113.9"}]}})"));
  EXPECT_EQ(server.status, "ERROR");
  EXPECT_EQ(server.fault, "No valid host was found.");
  EXPECT_EQ(server.metadata.at("nkd.node"), "c-w-0");
  EXPECT_EQ(server.addresses, (std::vector<std::string>{"10.0.0.5", "203.0.113.9"}));
}

TEST(OpenStackUtil, UrlEncodingAndUuidShape) {
  EXPECT_EQ(url_encode("^a b/c"), "%5Ea%20b%2Fc");
  EXPECT_TRUE(looks_like_uuid("0b2a7c1e-2c5d-4d2b-9a7e-0e4c1f2a3b4c"));
  EXPECT_FALSE(looks_like_uuid("cirros"));
}

}  // namespace
}  // namespace nkd::providers::openstack
