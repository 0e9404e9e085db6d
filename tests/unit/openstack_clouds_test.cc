#include "providers/openstack/clouds.h"

#include <gtest/gtest.h>

#include <sstream>

namespace nkd::providers::openstack {
namespace {

constexpr std::string_view kTwoClouds = R"(
clouds:
  dc1:
    auth:
      auth_url: https://keystone.example.org:5000/v3
      username: ops
      password: hunter2
      project_name: k8s
      user_domain_name: Default
      project_domain_id: default
    region_name: RegionTwo
    interface: internal
    cacert: /etc/nkd/ca.pem
    verify: true
    compute_api_version: "2.37"
  appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: http://127.0.0.1:5000
      application_credential_id: 0123abcd
      application_credential_secret: s3cr3t
    verify: false
)";

TEST(OpenStackClouds, ParsesPasswordCloudWithEveryField) {
  Result<Clouds> clouds = parse_clouds_yaml(kTwoClouds, "clouds.yaml");
  ASSERT_TRUE(clouds.ok()) << clouds.error().message;
  const CloudConfig& dc1 = clouds->at("dc1");
  EXPECT_EQ(dc1.method, AuthMethod::kPassword);
  EXPECT_EQ(dc1.auth.auth_url, "https://keystone.example.org:5000/v3");
  EXPECT_EQ(dc1.auth.username, "ops");
  EXPECT_EQ(dc1.auth.password.reveal(), "hunter2");
  EXPECT_EQ(dc1.auth.project_name, "k8s");
  EXPECT_EQ(dc1.auth.user_domain_name, "Default");
  EXPECT_EQ(dc1.auth.project_domain_id, "default");
  EXPECT_EQ(dc1.region_name, "RegionTwo");
  EXPECT_EQ(dc1.interface, "internal");
  EXPECT_EQ(dc1.cacert, "/etc/nkd/ca.pem");
  EXPECT_TRUE(dc1.verify);
}

TEST(OpenStackClouds, ParsesApplicationCredentialWithVerifyOffAndPublicDefault) {
  Result<Clouds> clouds = parse_clouds_yaml(kTwoClouds, "clouds.yaml");
  ASSERT_TRUE(clouds.ok()) << clouds.error().message;
  const CloudConfig& cloud = clouds->at("appcred");
  EXPECT_EQ(cloud.method, AuthMethod::kApplicationCredential);
  EXPECT_EQ(cloud.auth.application_credential_id, "0123abcd");
  EXPECT_EQ(cloud.auth.application_credential_secret.reveal(), "s3cr3t");
  EXPECT_EQ(cloud.interface, "public");
  EXPECT_FALSE(cloud.verify);
}

TEST(OpenStackClouds, InfersApplicationCredentialWithoutAuthType) {
  Result<Clouds> clouds = parse_clouds_yaml(R"(clouds:
  c: {auth: {auth_url: "http://k/v3", application_credential_id: x, application_credential_secret: y}}
)", "f");
  ASSERT_TRUE(clouds.ok()) << clouds.error().message;
  EXPECT_EQ(clouds->at("c").method, AuthMethod::kApplicationCredential);
}

TEST(OpenStackClouds, SharedDomainFillsUserAndProjectDomains) {
  Result<Clouds> clouds = parse_clouds_yaml(R"(clouds:
  c: {auth: {auth_url: "http://k/v3", username: u, password: p, project_name: pr, domain_id: d1}}
)", "f");
  ASSERT_TRUE(clouds.ok()) << clouds.error().message;
  EXPECT_EQ(clouds->at("c").auth.user_domain_id, "d1");
  EXPECT_EQ(clouds->at("c").auth.project_domain_id, "d1");
}

TEST(OpenStackClouds, AcceptsIdsWithoutDomains) {
  Result<Clouds> clouds = parse_clouds_yaml(R"(clouds:
  c: {auth: {auth_url: "http://k/v3", user_id: u1, password: p, project_id: p1}}
)", "f");
  ASSERT_TRUE(clouds.ok()) << clouds.error().message;
  EXPECT_EQ(clouds->at("c").auth.user_id, "u1");
  EXPECT_EQ(clouds->at("c").auth.project_id, "p1");
}

TEST(OpenStackClouds, RejectsUserNameWithoutDomain) {
  Result<Clouds> clouds = parse_clouds_yaml(R"(clouds:
  c: {auth: {auth_url: "http://k/v3", username: u, password: p, project_id: p1}}
)", "f");
  ASSERT_FALSE(clouds.ok());
  EXPECT_EQ(clouds.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(clouds.error().message.find("user_domain_name"), std::string::npos);
}

TEST(OpenStackClouds, RejectsMissingAuthUrlNamingTheCloud) {
  Result<Clouds> clouds = parse_clouds_yaml(R"(clouds:
  broken: {auth: {user_id: u, password: p}}
)", "clouds.yaml");
  ASSERT_FALSE(clouds.ok());
  EXPECT_NE(clouds.error().message.find("clouds.yaml: cloud 'broken'"), std::string::npos);
  EXPECT_NE(clouds.error().message.find("auth_url"), std::string::npos);
}

TEST(OpenStackClouds, RejectsUnknownInterfaceAndAuthType) {
  EXPECT_FALSE(parse_clouds_yaml(R"(clouds:
  c: {interface: private, auth: {auth_url: "http://k", user_id: u, password: p}}
)", "f").ok());
  EXPECT_FALSE(parse_clouds_yaml(R"(clouds:
  c: {auth_type: token, auth: {auth_url: "http://k", user_id: u, password: p}}
)", "f").ok());
}

TEST(OpenStackClouds, ErrorsNeverContainTheSecret) {
  Result<Clouds> clouds = parse_clouds_yaml(R"(clouds:
  c: {auth: {auth_url: "http://k", username: u, password: topsecretvalue}}
)", "f");
  ASSERT_FALSE(clouds.ok());
  EXPECT_EQ(clouds.error().message.find("topsecretvalue"), std::string::npos);
  std::ostringstream printed;
  printed << Secret("topsecretvalue");
  EXPECT_EQ(printed.str(), "<redacted>");
}

TEST(OpenStackClouds, ReportsYamlSyntaxErrorWithPosition) {
  Result<Clouds> clouds = parse_clouds_yaml("clouds:\n  c: [unclosed\n", "clouds.yaml");
  ASSERT_FALSE(clouds.ok());
  EXPECT_EQ(clouds.error().code, ErrorCode::kParse);
  EXPECT_EQ(clouds.error().message.rfind("clouds.yaml:", 0), 0u);
}

TEST(OpenStackClouds, FindCloudListsKnownNamesWhenMissing) {
  Result<Clouds> clouds = parse_clouds_yaml(kTwoClouds, "clouds.yaml");
  ASSERT_TRUE(clouds.ok());
  Result<CloudConfig> missing = find_cloud(*clouds, "dc9");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("appcred, dc1"), std::string::npos);
  EXPECT_TRUE(find_cloud(*clouds, "dc1").ok());
}

}  // namespace
}  // namespace nkd::providers::openstack
