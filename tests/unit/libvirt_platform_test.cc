// spec.platform.libvirt in cluster.yaml and libvirt.connections in syncd.yaml: what they hold,
// and each mistake reported at its file:line with what to do.
#include <gtest/gtest.h>

#include "model/loader.h"
#include "plan/node_plan.h"
#include "syncd/config.h"
#include "tests/support/test_support.h"

namespace nkd::model {
namespace {

// The OpenStack example cluster on libvirt instead, with `platform` as its platform block.
std::string definition_on_libvirt(const std::string& platform) {
  std::string text =
      testing::read_file(testing::source_dir() + "/examples-repo/clusters/prod-east/cluster.yaml");
  const auto start = text.find("    openstack:");
  const auto end = text.find("  os:");
  return text.substr(0, start) + platform + text.substr(end);
}

LoadResult load(const std::string& platform) {
  MapTreeReader tree({{"clusters/prod-east/cluster.yaml", definition_on_libvirt(platform)},
                      {"clusters/prod-east/files/motd", "hello\n"},
                      {"clusters/prod-east/files/node-exporter.service", "[Unit]\n"}});
  return load_repository(tree);
}

std::string messages(const LoadResult& loaded) {
  std::string text;
  for (const Diagnostic& diagnostic : loaded.diagnostics) text += format(diagnostic) + "\n";
  return text;
}

TEST(LibvirtPlatform, ParsesConnectionStorageAndSizesPerPool) {
  const LoadResult loaded = load(R"(    libvirt:
      connection: lab
      storagePool: images
      baseVolume: nestos.qcow2
      network: k8s
      domainType: qemu
      vcpus: 4
      memoryMiB: 8192
      diskGiB: 40
      pools:
        workers: {vcpus: 8, diskGiB: 100}
)");
  ASSERT_TRUE(loaded.diagnostics.empty()) << messages(loaded);
  ASSERT_EQ(loaded.model.clusters.size(), 1u);
  const Cluster& cluster = loaded.model.clusters[0];
  ASSERT_TRUE(cluster.is_libvirt());
  EXPECT_TRUE(cluster.makes_machines());
  const auto& libvirt = std::get<LibvirtPlatform>(cluster.platform);
  EXPECT_EQ(libvirt.connection, "lab");
  EXPECT_EQ(libvirt.storage_pool, "images");
  EXPECT_EQ(libvirt.base_volume, "nestos.qcow2");
  EXPECT_EQ(libvirt.network, "k8s");
  EXPECT_EQ(libvirt.domain_type, "qemu");
  EXPECT_EQ(libvirt.size_of("control-plane").vcpus, 4);
  EXPECT_EQ(libvirt.size_of("control-plane").disk_gib, 40);
  EXPECT_EQ(libvirt.size_of("workers").vcpus, 8);
  EXPECT_EQ(libvirt.size_of("workers").memory_mib, 8192);  // the platform's, the pool not saying
  EXPECT_EQ(libvirt.size_of("workers").disk_gib, 100);
  // Nodes are named as on OpenStack, and a stale worker is replaced, not refused.
  EXPECT_EQ(expand_nodes(cluster).front().name, "prod-east-control-plane-0");
  EXPECT_TRUE(plan::policy_for(cluster, true).machines_replaceable);
}

TEST(LibvirtPlatform, ReportsEachMistakeAtItsLine) {
  const LoadResult loaded = load(R"(    libvirt:
      storagePool: a/b
      baseVolume: nestos.qcow2
      domainType: xen
      memoryMiB: 64
      pools:
        wrokers: {vcpus: 2}
)");
  const std::string text = messages(loaded);
  EXPECT_TRUE(loaded.model.clusters.empty());
  EXPECT_NE(text.find("missing required field 'spec.platform.libvirt.connection'"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(":9:20: error: spec.platform.libvirt.storagePool must not contain '/'"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(":11:19: error: spec.platform.libvirt.domainType must be 'kvm' or 'qemu'"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(":12:18: error: spec.platform.libvirt.memoryMiB must be between 512"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(":14:9: error: spec.platform.libvirt.pools.wrokers sizes a pool that "
                      "spec.pools does not have"),
            std::string::npos)
      << text;
}

TEST(LibvirtPlatform, TwoPlatformsAreRefused) {
  const LoadResult loaded = load(R"(    libvirt: {connection: lab, storagePool: p, baseVolume: b}
    bareMetal: {nodes: []}
)");
  EXPECT_NE(
      messages(loaded).find("spec.platform sets more than one of openstack, bareMetal and libvirt"),
      std::string::npos)
      << messages(loaded);
}

TEST(LibvirtConnections, SyncdYamlNamesTheConnectionsClustersPick) {
  const std::string text = R"(repository: {url: file:///srv/clusters.git, ref: refs/heads/main}
libvirt:
  connections:
    lab: {uri: "qemu+ssh://nkd@127.0.0.1/system?keyfile=/etc/nkd/lab_key", keepaliveInterval: 10s, keepaliveCount: 5}
    local: {uri: "qemu:///system"}
)";
  const auto config = syncd::parse_daemon_config(text, "syncd.yaml", nullptr);
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_EQ(config->libvirt.connections.size(), 2u);
  const auto& lab = config->libvirt.connections.at("lab");
  EXPECT_EQ(lab.uri, "qemu+ssh://nkd@127.0.0.1/system?keyfile=/etc/nkd/lab_key");
  EXPECT_EQ(lab.keepalive_interval_seconds, 10);
  EXPECT_EQ(lab.keepalive_count, 5);
  EXPECT_EQ(config->libvirt.connections.at("local").keepalive_count, 3);

  const auto broken = syncd::parse_daemon_config(
      "repository: {url: file:///x.git, ref: refs/heads/main}\nlibvirt:\n  connections:\n"
      "    lab: {url: \"qemu:///system\"}\n",
      "syncd.yaml", nullptr);
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find(
                "syncd.yaml:4:11: error: unknown key 'url' in libvirt.connections.lab"),
            std::string::npos)
      << broken.error().message;
  EXPECT_NE(broken.error().message.find("missing required field 'libvirt.connections.lab.uri'"),
            std::string::npos)
      << broken.error().message;
}

}  // namespace
}  // namespace nkd::model
