// Contract tests of OpenStackProvider's Neutron side against the real test cloud
// (tests/openstack/): every server boots on a port of its own, named after its node and tagged
// nkd / nkd.cluster / nkd.node, with a fixed IP; a virtual IP is reserved by a port "<cluster>-vip"
// and allowed on the control-plane ports; a second apply makes nothing; scale-down takes the
// worker's port with its server; the cluster's one floating IP follows the virtual IP as it is
// added, moved and removed, keeping its address; a port left by a crash (untagged, or for a node
// no longer wanted) is reused or deleted, never doubled; prune leaves no port, VIP port or
// floating IP. Ports and floating IPs are counted directly against Neutron's REST API
// (tests/support/openstack_control_plane.h), not through nkd's client.
//
// Virtual IPs come from 10.0.0.200-254, which seed.py keeps out of private-subnet's allocation
// pool; each test uses addresses of its own, so the tests may run side by side.
#include <gtest/gtest.h>

#include <set>

#include "providers/openstack/api_util.h"
#include "tests/integration/openstack_provider_fixture.h"

namespace nkd::providers::openstack {
namespace {

using nlohmann::json;
using testing::OpenStackControlPlane;

constexpr const char* kCloud = OpenStackControlPlane::kDemoCloud;

std::set<std::string> tags_of(const json& object) {
  std::set<std::string> tags;
  for (const json& tag : object.value("tags", json::array())) tags.insert(tag.get<std::string>());
  return tags;
}

std::vector<std::string> fixed_ips_of(const json& port) {
  std::vector<std::string> addresses;
  for (const json& address : port.value("fixed_ips", json::array())) {
    addresses.push_back(address.value("ip_address", ""));
  }
  return addresses;
}

std::vector<std::string> allowed_of(const json& port) {
  std::vector<std::string> addresses;
  for (const json& pair : port.value("allowed_address_pairs", json::array())) {
    addresses.push_back(pair.value("ip_address", ""));
  }
  return addresses;
}

std::string text(const json& object, const char* key) {
  return object.contains(key) && object[key].is_string() ? object[key].get<std::string>() : "";
}

class OpenStackPortsContract : public OpenStackProviderContract {
 protected:
  // The cluster 1 + `workers` with virtual IP `vip` ("" for none).
  model::Cluster cluster_of(int workers, const std::string& vip = "",
                            const std::string& external_network = "") {
    model::Cluster cluster = make_cluster(cluster_, kCloud, workers);
    cluster.kubernetes.virtual_ip.address = vip;
    std::get<model::OpenStackPlatform>(cluster.platform).external_network = external_network;
    return cluster;
  }
  // Frees the test's virtual IPs of ports an interrupted earlier run left on them.
  void reserve_for_test(std::initializer_list<const char*> addresses) {
    for (const char* address : addresses) OpenStackControlPlane::free_address(kCloud, address);
  }
  // The one port named `name` (a test failure when there is not exactly one).
  json port_named(const std::string& name) {
    auto ports = ports_by_name();
    EXPECT_EQ(ports[name].size(), 1u) << "ports named " << name;
    return ports[name].empty() ? json::object() : ports[name][0];
  }
  // The floating IPs of this test's cluster: tagged with it, or described as made for it.
  std::vector<json> cluster_floating_ips() {
    std::vector<json> mine;
    for (json& address : OpenStackControlPlane::neutron_list(kCloud, "floatingips")) {
      if (tags_of(address).contains("nkd.cluster=" + cluster_) ||
          text(address, "description").find(" for " + cluster_ + "-") != std::string::npos) {
        mine.push_back(std::move(address));
      }
    }
    return mine;
  }
  std::string private_network_id() {
    const auto networks = OpenStackControlPlane::neutron_list(kCloud, "networks", "name=private");
    return networks.empty() ? "" : text(networks[0], "id");
  }
};

TEST_F(OpenStackPortsContract, EveryNodeBootsOnItsOwnTaggedPortBesideTheVipPortAndScaleDownTakesIt) {
  reserve_for_test({"10.0.0.210"});
  auto openstack = provider();
  const model::Cluster cluster = cluster_of(1, "10.0.0.210");
  Result<ApplyOutcome> first = openstack->apply(cluster, make_render(cluster), {});
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->complete) << first->message;
  const std::map<std::string, std::string> servers = ids_of(first->nodes);
  const std::string control_plane = cluster_ + "-cp-0", worker = cluster_ + "-w-0";

  ASSERT_EQ(ports_by_name().size(), 3u) << "one port per node and the VIP port";
  for (const std::string& node : {control_plane, worker}) {
    const json port = port_named(node);
    EXPECT_EQ(tags_of(port),
              (std::set<std::string>{"nkd", "nkd.cluster=" + cluster_, "nkd.node=" + node}));
    ASSERT_EQ(fixed_ips_of(port).size(), 1u);
    EXPECT_TRUE(fixed_ips_of(port)[0].starts_with("10.0.0.")) << fixed_ips_of(port)[0];
    EXPECT_EQ(text(port, "device_id"), servers.at(node)) << "the server boots on its own port";
  }
  const json vip = port_named(cluster_ + "-vip");
  EXPECT_EQ(tags_of(vip), (std::set<std::string>{"nkd", "nkd.cluster=" + cluster_, "nkd.vip"}));
  EXPECT_EQ(fixed_ips_of(vip), std::vector<std::string>{"10.0.0.210"});
  EXPECT_EQ(text(vip, "device_id"), "") << "the VIP port is bound to no server";
  EXPECT_EQ(allowed_of(port_named(control_plane)), std::vector<std::string>{"10.0.0.210"});
  EXPECT_TRUE(allowed_of(port_named(worker)).empty()) << "only control-plane ports hold the VIP";
  EXPECT_EQ(port_creates(), 3);

  Result<ApplyOutcome> again = openstack->apply(cluster, make_render(cluster), {});
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->complete);
  EXPECT_EQ(creates(), 2);
  EXPECT_EQ(port_creates(), 3) << "a second apply makes no port";
  EXPECT_EQ(ports_by_name().size(), 3u);

  const model::Cluster smaller = cluster_of(0, "10.0.0.210");
  Result<ApplyOutcome> scaled = openstack->apply(smaller, make_render(smaller), {});
  ASSERT_TRUE(scaled.ok()) << scaled.error().message;
  EXPECT_EQ(servers_in(), 1u);
  const auto left = ports_by_name();
  EXPECT_FALSE(left.contains(worker)) << "the worker's port goes with its server";
  EXPECT_EQ(left.size(), 2u);

  ASSERT_TRUE(openstack->remove(cluster_).ok());
  EXPECT_EQ(servers_in(), 0u);
  EXPECT_TRUE(ports_by_name().empty()) << "prune leaves no port and no VIP port";
  EXPECT_TRUE(OpenStackControlPlane::neutron_list(
                  kCloud, "ports", "tags=" + url_encode("nkd.cluster=" + cluster_)).empty());
}

TEST_F(OpenStackPortsContract, TheFloatingIpFollowsTheVirtualIpKeepsItsAddressAndGoesAtPrune) {
  reserve_for_test({"10.0.0.211", "10.0.0.212"});
  auto openstack = provider();
  const std::string control_plane = cluster_ + "-cp-0", vip_port = cluster_ + "-vip";
  auto apply = [&](const model::Cluster& cluster) {
    Result<ApplyOutcome> applied = openstack->apply(cluster, make_render(cluster), {});
    ASSERT_TRUE(applied.ok()) << applied.error().message;
    EXPECT_TRUE(applied->complete) << applied->message;
  };
  auto the_floating_ip = [&]() {
    const std::vector<json> addresses = cluster_floating_ips();
    EXPECT_EQ(addresses.size(), 1u) << "one floating IP per cluster";
    return addresses.empty() ? json::object() : addresses[0];
  };

  apply(cluster_of(0, "", "public"));  // no virtual IP: on the first control-plane port
  const json first = the_floating_ip();
  const std::string address = text(first, "floating_ip_address");
  EXPECT_EQ(text(first, "port_id"), text(port_named(control_plane), "id"));
  EXPECT_EQ(text(first, "description"), "made by nkd for " + control_plane);
  EXPECT_TRUE(tags_of(first).contains("nkd.cluster=" + cluster_));

  apply(cluster_of(0, "10.0.0.211", "public"));  // virtual IP added: the floating IP moves to it
  json moved = the_floating_ip();
  EXPECT_EQ(text(moved, "floating_ip_address"), address) << "moved, not made anew";
  EXPECT_EQ(text(moved, "port_id"), text(port_named(vip_port), "id"));
  EXPECT_EQ(text(moved, "fixed_ip_address"), "10.0.0.211");
  EXPECT_EQ(text(moved, "description"), "made by nkd for " + vip_port);
  EXPECT_EQ(allowed_of(port_named(control_plane)), std::vector<std::string>{"10.0.0.211"});

  apply(cluster_of(0, "10.0.0.212", "public"));  // virtual IP changed: port, pairs, binding
  EXPECT_EQ(fixed_ips_of(port_named(vip_port)), std::vector<std::string>{"10.0.0.212"});
  EXPECT_EQ(allowed_of(port_named(control_plane)), std::vector<std::string>{"10.0.0.212"})
      << "the old address is no longer allowed";
  moved = the_floating_ip();
  EXPECT_EQ(text(moved, "floating_ip_address"), address);
  EXPECT_EQ(text(moved, "fixed_ip_address"), "10.0.0.212") << "bound to the port's new address";

  const int port_posts = port_creates();
  apply(cluster_of(0, "10.0.0.212", "public"));
  EXPECT_EQ(port_creates(), port_posts);
  EXPECT_EQ(requests("floating_ip_create", "201"), 1) << "made once, then only moved";

  apply(cluster_of(0, "", "public"));  // virtual IP removed: its port goes, the floating IP moves back
  EXPECT_FALSE(ports_by_name().contains(vip_port));
  EXPECT_TRUE(allowed_of(port_named(control_plane)).empty());
  const json back = the_floating_ip();
  EXPECT_EQ(text(back, "floating_ip_address"), address);
  EXPECT_EQ(text(back, "port_id"), text(port_named(control_plane), "id"));

  apply(cluster_of(0, "10.0.0.211"));  // no external network: no floating IP
  EXPECT_TRUE(cluster_floating_ips().empty());
  apply(cluster_of(0, "10.0.0.211", "public"));
  ASSERT_EQ(cluster_floating_ips().size(), 1u);
  ASSERT_TRUE(openstack->remove(cluster_).ok());
  EXPECT_TRUE(ports_by_name().empty());
  EXPECT_TRUE(cluster_floating_ips().empty()) << "prune leaves no floating IP";
}

TEST_F(OpenStackPortsContract, PortsACrashLeftAreReusedOrDeletedNeverDoubled) {
  reserve_for_test({"10.0.0.213"});
  auto openstack = provider();
  const model::Cluster cluster = cluster_of(1, "10.0.0.213");
  const render::ClusterRender render = make_render(cluster);
  const std::string worker = cluster_ + "-w-0", network = private_network_id();
  ASSERT_FALSE(network.empty());
  // A crashed run: intents recorded, the worker's and the VIP's ports made (the answers lost
  // before nkd tagged them), no server; and a tagged port of a node no pool has any more.
  ASSERT_TRUE(state_->add_intent(state::Intent{.cluster = cluster_, .kind = "create-server",
                                               .target = worker}).ok());
  ASSERT_TRUE(state_->add_intent(state::Intent{.cluster = cluster_, .kind = "create-port",
                                               .target = cluster_ + "-vip"}).ok());
  const json made = OpenStackControlPlane::neutron_send(
      kCloud, "POST", "/v2.0/ports",
      {{"port", {{"name", worker}, {"network_id", network}, {"description", "made by nkd"}}}});
  const json vip = OpenStackControlPlane::neutron_send(
      kCloud, "POST", "/v2.0/ports",
      {{"port", {{"name", cluster_ + "-vip"}, {"network_id", network},
                 {"fixed_ips", json::array({{{"ip_address", "10.0.0.213"}}})},
                 {"description", "made by nkd: virtual IP of cluster " + cluster_}}}});
  const json leftover = OpenStackControlPlane::neutron_send(
      kCloud, "POST", "/v2.0/ports",
      {{"port", {{"name", cluster_ + "-w-7"}, {"network_id", network}, {"description", "made by nkd"}}}});
  ASSERT_TRUE(made.is_object() && vip.is_object() && leftover.is_object());
  const std::string leftover_id = text(leftover["port"], "id");
  ASSERT_TRUE(OpenStackControlPlane::neutron_send(
                  kCloud, "PUT", "/v2.0/ports/" + leftover_id + "/tags",
                  {{"tags", {"nkd", "nkd.cluster=" + cluster_, "nkd.node=" + cluster_ + "-w-7"}}})
                  .is_object());

  Result<ApplyOutcome> applied = openstack->apply(cluster, render, {});
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_TRUE(applied->complete) << applied->message;
  EXPECT_EQ(port_creates(), 1) << "only the control-plane node's port was missing";
  const json port = port_named(worker);
  EXPECT_EQ(text(port, "id"), text(made["port"], "id")) << "the port the crashed run made is used";
  EXPECT_EQ(text(port, "device_id"), ids_of(applied->nodes).at(worker));
  EXPECT_EQ(tags_of(port),
            (std::set<std::string>{"nkd", "nkd.cluster=" + cluster_, "nkd.node=" + worker}));
  const json reserved = port_named(cluster_ + "-vip");
  EXPECT_EQ(text(reserved, "id"), text(vip["port"], "id"));
  EXPECT_TRUE(tags_of(reserved).contains("nkd.vip"));
  EXPECT_FALSE(ports_by_name().contains(cluster_ + "-w-7")) << "a port whose server never came "
                                                               "and whose node is gone is deleted";
  EXPECT_EQ(ports_by_name().size(), 3u);
  EXPECT_TRUE(state_->pending_intents(cluster_).value().empty());

  // Prune also takes a port whose server never came, its node still wanted.
  const json unused = OpenStackControlPlane::neutron_send(
      kCloud, "POST", "/v2.0/ports",
      {{"port", {{"name", cluster_ + "-w-1"}, {"network_id", network}, {"description", "made by nkd"}}}});
  ASSERT_TRUE(unused.is_object());
  ASSERT_TRUE(OpenStackControlPlane::neutron_send(
                  kCloud, "PUT", "/v2.0/ports/" + text(unused["port"], "id") + "/tags",
                  {{"tags", {"nkd", "nkd.cluster=" + cluster_, "nkd.node=" + cluster_ + "-w-1"}}})
                  .is_object());
  ASSERT_TRUE(openstack->remove(cluster_).ok());
  EXPECT_TRUE(ports_by_name().empty());
}

}  // namespace
}  // namespace nkd::providers::openstack
