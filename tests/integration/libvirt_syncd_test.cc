// `nkd syncd` with a libvirt cluster: the daemon reads libvirt.connections from syncd.yaml and
// hands a spec.platform.libvirt cluster to the libvirt provider, which makes its domains on the
// connection the cluster names (libvirt's test driver, in the daemon's own process).
#include <gtest/gtest.h>

#include "tests/support/syncd_fixture.h"
#include "tests/support/test_support.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;

// The OpenStack example cluster, moved to the test driver host of tests/data/libvirt/ (whose
// pools hold 100 GiB: six disks of 12 GiB beside the 10 GiB base).
std::map<std::string, std::string> libvirt_repository() {
  const std::string example = testing::source_dir() + "/examples-repo/clusters/prod-east/";
  std::string definition = testing::read_file(example + "cluster.yaml");
  const auto start = definition.find("    openstack:");
  const auto end = definition.find("  os:");
  definition = definition.substr(0, start) +
               "    libvirt: {connection: host, storagePool: images, baseVolume: nestos.qcow2,"
               " network: cluster-net, diskGiB: 12}\n" +
               definition.substr(end);
  return {{"clusters/prod-east/cluster.yaml", definition},
          {"clusters/prod-east/files/motd", testing::read_file(example + "files/motd")},
          {"clusters/prod-east/files/node-exporter.service",
           testing::read_file(example + "files/node-exporter.service")}};
}

TEST(LibvirtSyncd, TheDaemonAppliesALibvirtClusterOnTheConnectionItNames) {
  testing::SyncdFixture fixture(libvirt_repository());
  fixture.start_daemon("1s", "libvirt:\n  connections:\n    host: {uri: \"test://" +
                                 testing::source_dir() + "/tests/data/libvirt/test-host.xml\"}\n");
  const std::string head = fixture.head();
  ASSERT_TRUE(fixture.wait_applied("prod-east", head, 30s)) << fixture.log();
  const auto cluster = fixture.get_json("/api/v1/clusters/prod-east");
  EXPECT_TRUE(cluster["lastError"].is_null()) << cluster.dump();
  ASSERT_EQ(cluster["nodes"].size(), 6u) << cluster.dump();
  const std::string metrics = fixture.metrics();
  EXPECT_NE(metrics.find("nkd_provider_requests_total{code=\"ok\",operation=\"define_domain\","
                         "provider=\"libvirt\"} 6"),
            std::string::npos)
      << metrics;
}

}  // namespace
}  // namespace nkd
