// Boot scripts from a running `nkd syncd`: a machine asks GET /boot/<mac> (or a node by name)
// and gets an iPXE script whose config URL, with the node's token, fetches the node's config
// from the same daemon; an unknown MAC, an unknown node, a malformed path and a cluster without
// a boot section get one and the same 404; a commit giving a machine a MAC another cluster's
// machine has is rejected naming both places.
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "tests/support/syncd_fixture.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;

// spec.platform.bareMetal.boot for edge-lab, added below its last machine.
constexpr const char* kAddBoot =
    "sed -i '/name: edge-lab-worker-1,/a\\      boot: {kernelURL: http://mirror.test/live-kernel, "
    "initrdURL: http://mirror.test/live-initramfs.img, rootfsURL: "
    "http://mirror.test/live-rootfs.img, "
    "installDevice: /dev/vda, kernelArguments: [console=ttyS0]}' clusters/edge-lab/cluster.yaml";

// The key=value arguments of the script's kernel line.
std::map<std::string, std::string> kernel_arguments(const std::string& script) {
  std::map<std::string, std::string> arguments;
  std::istringstream lines(script);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.starts_with("kernel ")) continue;
    std::istringstream words(line);
    std::string word;
    while (words >> word) {
      const auto equals = word.find('=');
      if (equals != std::string::npos) arguments[word.substr(0, equals)] = word.substr(equals + 1);
    }
  }
  return arguments;
}

TEST(BootScripts, AMachineBootsByMacAndItsConfigUrlFetchesItsConfig) {
  testing::SyncdFixture fixture;
  fixture.start_daemon("1s");
  const std::string head = fixture.commit(kAddBoot, "boot edge-lab from the network");
  ASSERT_TRUE(fixture.wait_applied("edge-lab", head, 30s)) << fixture.log();
  auto client = fixture.client();

  const auto by_mac = client->Get("/boot/52:54:00:00:00:02");
  ASSERT_TRUE(by_mac) << fixture.log();
  ASSERT_EQ(by_mac->status, 200) << by_mac->body;
  EXPECT_TRUE(by_mac->body.starts_with("#!ipxe\n")) << by_mac->body;
  EXPECT_EQ(by_mac->get_header_value("Cache-Control"), "no-store");
  const auto arguments = kernel_arguments(by_mac->body);
  const std::string config_path = "/ignition/edge-lab/edge-lab-worker-0?token=" +
                                  fixture.node_token("edge-lab", "edge-lab-worker-0");
  EXPECT_EQ(arguments.at("coreos.inst.ignition_url"), fixture.url() + config_path);
  EXPECT_EQ(arguments.at("coreos.inst.install_dev"), "/dev/vda");
  EXPECT_EQ(arguments.at("coreos.live.rootfs_url"), "http://mirror.test/live-rootfs.img");
  EXPECT_EQ(arguments.at("ignition.platform.id"), "metal");
  EXPECT_EQ(arguments.at("console"), "ttyS0");
  EXPECT_NE(by_mac->body.find("\ninitrd --name main http://mirror.test/live-initramfs.img\n"),
            std::string::npos);

  const auto config = client->Get(config_path);
  ASSERT_TRUE(config);
  EXPECT_EQ(config->status, 200) << "the script's URL opens the node's config";
  EXPECT_NE(config->body.find("\"ignition\""), std::string::npos);

  const auto upper_case = client->Get("/boot/52-54-00-00-00-02");
  ASSERT_TRUE(upper_case);
  EXPECT_EQ(upper_case->body, by_mac->body) << "iPXE's ${mac:hexhyp} form names the same machine";
  const auto by_name = client->Get("/boot/edge-lab/edge-lab-cp-0");
  ASSERT_TRUE(by_name);
  ASSERT_EQ(by_name->status, 200);
  EXPECT_NE(
      kernel_arguments(by_name->body).at("coreos.inst.ignition_url").find("/edge-lab-cp-0?token="),
      std::string::npos);
  EXPECT_NE(fixture.metrics().find("nkd_boot_scripts_total{result=\"served\"} 3"),
            std::string::npos);
}

TEST(BootScripts, UnknownMachinesAllGetTheSameAnswer) {
  testing::SyncdFixture fixture;
  fixture.start_daemon("1s");
  const std::string head = fixture.commit(kAddBoot, "boot edge-lab from the network");
  ASSERT_TRUE(fixture.wait_applied("edge-lab", head, 30s)) << fixture.log();
  auto client = fixture.client();
  const auto unknown_mac = client->Get("/boot/52:54:00:00:09:99");
  ASSERT_TRUE(unknown_mac);
  EXPECT_EQ(unknown_mac->status, 404);
  for (const char* path : {"/boot/lab-two/lab-two-cp-0",    // a cluster without a boot section
                           "/boot/52:54:00:00:01:01",       // lab-two's machine, likewise
                           "/boot/edge-lab/edge-lab-cp-9",  // no such node
                           "/boot/nowhere/node",            // no such cluster
                           "/boot/not-a-mac"}) {
    const auto answer = client->Get(path);
    ASSERT_TRUE(answer) << path;
    EXPECT_EQ(answer->status, 404) << path;
    EXPECT_EQ(answer->body, unknown_mac->body) << path;
    EXPECT_EQ(answer->get_header_value("Content-Type"),
              unknown_mac->get_header_value("Content-Type"));
  }
  EXPECT_NE(fixture.metrics().find("nkd_boot_scripts_total{result=\"unknown\"} 6"),
            std::string::npos);
}

TEST(BootScripts, AMacAnotherClusterUsesRejectsTheCommitNamingBothPlaces) {
  testing::SyncdFixture fixture;
  fixture.start_daemon("1s");
  ASSERT_TRUE(fixture.wait_applied("lab-two", fixture.head(), 30s)) << fixture.log();
  // Only lab-two changes: edge-lab is not reloaded, and its MACs still count.
  const std::string clash = fixture.commit(
      "sed -i 's/52:54:00:00:01:01/52:54:00:00:00:01/' clusters/lab-two/cluster.yaml", "clash");
  const std::string expected =
      "clusters/lab-two/cluster.yaml:11:58: error: spec.platform.bareMetal.nodes[0].mac "
      "52:54:00:00:00:01 of node lab-two-cp-0 is also the MAC of node edge-lab-cp-0 of cluster "
      "edge-lab (clusters/edge-lab/cluster.yaml:11:59)";
  ASSERT_TRUE(testing::wait_until(
      [&] {
        const auto record = fixture.get_json("/api/v1/clusters/lab-two");
        return record.contains("lastError") && record["lastError"].is_string() &&
               record["lastError"].get<std::string>().find(expected) != std::string::npos;
      },
      30s))
      << fixture.get_json("/api/v1/clusters/lab-two").dump() << fixture.log();
  EXPECT_NE(fixture.get_json("/api/v1/clusters/lab-two")["appliedRevision"], clash);
}

}  // namespace
}  // namespace nkd
