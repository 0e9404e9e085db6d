// Contract tests of the Nova, Glance and Neutron clients against the real test cloud
// (tests/openstack/): create -> ACTIVE, a flavor too big -> ERROR "No valid host", the instances
// quota named in the error, listing by metadata, deletion, name resolution.
#include <gtest/gtest.h>

#include <unistd.h>

#include "common/curl_http_client.h"
#include "metrics/metrics.h"
#include "providers/openstack/compute.h"
#include "providers/openstack/image.h"
#include "providers/openstack/network.h"
#include "tests/support/openstack_control_plane.h"
#include "tests/support/test_support.h"

namespace nkd::providers::openstack {
namespace {

using std::chrono::seconds;
using testing::OpenStackControlPlane;

class OpenStackCompute : public ::testing::Test {
 protected:
  void SetUp() override {
    NKD_REQUIRE_OPENSTACK_CLOUD();
    prefix_ = "nkdt-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
              "-" + std::to_string(getpid()) + "-";
    for (char& c : prefix_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  void TearDown() override {
    if (prefix_.empty()) return;
    OpenStackControlPlane::delete_servers(OpenStackControlPlane::kDemoCloud, prefix_);
    OpenStackControlPlane::delete_servers(OpenStackControlPlane::kQuotaCloud, prefix_);
  }
  Keystone& keystone(const std::string& cloud = OpenStackControlPlane::kDemoCloud) {
    if (!keystone_) {
      Clouds clouds = load_clouds_file(OpenStackControlPlane::clouds_yaml()).value();
      keystone_ = std::make_unique<Keystone>(find_cloud(clouds, cloud).value(), http_, clock_, &metrics_);
    }
    return *keystone_;
  }
  ServerSpec spec(ComputeService& compute, const std::string& suffix, const std::string& flavor) {
    return ServerSpec{.name = prefix_ + suffix,
                      .flavor_id = compute.resolve_flavor(flavor).value(),
                      .image_id = ImageService(*keystone_).resolve_image("cirros").value(),
                      .metadata = {{"nkd.cluster", prefix_}, {"nkd.node", prefix_ + suffix}},
                      .user_data = "{\"ignition\": {\"version\": \"3.3.0\"}}"};
  }

  std::string prefix_;
  CurlHttpClient http_{testing::loopback_only()};
  SystemClock clock_;
  metrics::Metrics metrics_{"test"};
  std::unique_ptr<Keystone> keystone_;
};

TEST_F(OpenStackCompute, CreatedServerOnPrivateNetworkBecomesActiveAndIsListedThenDeleted) {
  ComputeService compute(keystone());
  ServerSpec request = spec(compute, "0", "m1.tiny");
  request.network_ids.push_back(NetworkService(keystone()).resolve_network("private").value());
  Result<Server> created = compute.create_server(request);
  ASSERT_TRUE(created.ok()) << created.error().message;
  Result<Server> active = compute.wait_for_server(created->id, seconds(120));
  ASSERT_TRUE(active.ok()) << active.error().message;
  EXPECT_EQ(active->status, "ACTIVE");
  EXPECT_EQ(active->metadata.at("nkd.node"), prefix_ + "0");
  Result<std::vector<Server>> listed = compute.list_servers(prefix_, {{"nkd.cluster", prefix_}});
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().id, created->id);
  EXPECT_EQ(OpenStackControlPlane::server_ids(OpenStackControlPlane::kDemoCloud, prefix_).size(), 1u);
  ASSERT_TRUE(compute.delete_server(created->id).ok());
  ASSERT_TRUE(compute.wait_for_deletion(created->id, seconds(60)).ok());
  EXPECT_TRUE(OpenStackControlPlane::server_ids(OpenStackControlPlane::kDemoCloud, prefix_).empty());
  EXPECT_TRUE(compute.delete_server(created->id).ok()) << "deleting a gone server is done, not an error";
  const std::string text = metrics_.serialize();
  EXPECT_NE(text.find(R"(code="202",operation="server_create",provider="openstack")"), std::string::npos);
  EXPECT_NE(text.find(R"(code="204",operation="server_delete",provider="openstack")"), std::string::npos);
}

TEST_F(OpenStackCompute, FlavorBiggerThanTheHypervisorEndsInErrorNoValidHost) {
  ComputeService compute(keystone());
  Result<Server> created = compute.create_server(spec(compute, "huge", "m1.huge"));
  ASSERT_TRUE(created.ok()) << created.error().message;
  Result<Server> settled = compute.wait_for_server(created->id, seconds(120));
  ASSERT_TRUE(settled.ok()) << settled.error().message;
  EXPECT_EQ(settled->status, "ERROR");
  EXPECT_NE(settled->fault.find("No valid host"), std::string::npos) << settled->fault;
}

TEST_F(OpenStackCompute, QuotaExceededIsAnErrorNamingInstances) {
  keystone(OpenStackControlPlane::kQuotaCloud);
  ComputeService compute(*keystone_);
  for (int i = 0; i < OpenStackControlPlane::kQuotaInstances; ++i) {
    Result<Server> created = compute.create_server(spec(compute, std::to_string(i), "m1.tiny"));
    ASSERT_TRUE(created.ok()) << created.error().message;
    // Nova counts a server against the quota once it is built; creates in one burst pass the
    // API check and are caught later by the conductor's recheck (the server goes to ERROR).
    ASSERT_EQ(compute.wait_for_server(created->id, seconds(120)).value().status, "ACTIVE");
  }
  Result<Server> over = compute.create_server(spec(compute, "over", "m1.tiny"));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, ErrorCode::kQuotaExceeded);
  EXPECT_NE(over.error().message.find("quota exceeded for instances"), std::string::npos)
      << over.error().message;
}

TEST_F(OpenStackCompute, ListingFiltersByMetadataAndNamePrefix) {
  ComputeService compute(keystone());
  ServerSpec mine = spec(compute, "a", "m1.tiny");
  ServerSpec other = spec(compute, "b", "m1.tiny");
  other.metadata["nkd.cluster"] = "someone-else";
  ASSERT_TRUE(compute.create_server(mine).ok());
  ASSERT_TRUE(compute.create_server(other).ok());
  Result<std::vector<Server>> listed = compute.list_servers(prefix_, {{"nkd.cluster", prefix_}});
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().name, prefix_ + "a");
  EXPECT_EQ(compute.list_servers(prefix_ + "b", {}).value().size(), 1u);
}

TEST_F(OpenStackCompute, ResolvesNamesAndReportsMissingAndAmbiguousOnes) {
  ImageService images(keystone());
  Result<std::string> cirros = images.resolve_image("cirros");
  ASSERT_TRUE(cirros.ok()) << cirros.error().message;
  EXPECT_EQ(images.resolve_image(*cirros).value(), *cirros);
  EXPECT_EQ(images.resolve_image("no-such-image").error().code, ErrorCode::kNotFound);
  const std::string duplicate = prefix_ + "dup";
  for (int i = 0; i < 2; ++i) {
    OpenStackControlPlane::openstack(OpenStackControlPlane::kDemoCloud,
                                     {"image", "create", "--private", duplicate});
  }
  Result<std::string> ambiguous = images.resolve_image(duplicate);
  OpenStackControlPlane::openstack(OpenStackControlPlane::kDemoCloud, {"image", "delete", duplicate});
  OpenStackControlPlane::openstack(OpenStackControlPlane::kDemoCloud, {"image", "delete", duplicate});
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(ambiguous.error().message.find("ambiguous"), std::string::npos);
  ComputeService compute(keystone());
  EXPECT_EQ(compute.resolve_flavor("m1.tiny").value(), "1");
  EXPECT_EQ(compute.resolve_flavor("m9.none").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(NetworkService(keystone()).resolve_network("nowhere").error().code, ErrorCode::kNotFound);
}

TEST_F(OpenStackCompute, PortWithFixedIpAndFloatingIpAreMadeAndRemoved) {
  NetworkService network(keystone());
  const std::string private_id = network.resolve_network("private").value();
  Result<Port> port = network.create_port(
      PortSpec{.name = prefix_ + "port", .network_id = private_id, .fixed_ip = "10.0.0.200"});
  ASSERT_TRUE(port.ok()) << port.error().message;
  EXPECT_EQ(port->fixed_ips, std::vector<std::string>{"10.0.0.200"});
  Result<FloatingIp> address = network.create_floating_ip(
      network.resolve_network("public").value(), port->id, "nkd test");
  EXPECT_TRUE(address.ok()) << address.error().message;
  if (address) {
    EXPECT_EQ(network.floating_ips_of_port(port->id).value().size(), 1u);
    EXPECT_TRUE(network.delete_floating_ip(address->id).ok());
  }
  EXPECT_TRUE(network.delete_port(port->id).ok());
  EXPECT_TRUE(network.ports_named(prefix_ + "port").value().empty());
}

}  // namespace
}  // namespace nkd::providers::openstack
