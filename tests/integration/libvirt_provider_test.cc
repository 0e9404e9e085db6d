// LibvirtProvider's contract against libvirt's own test driver (in-process, no daemon):
// test:///default, which every connection of this process shares, so the test looks at what the
// provider made through a connection of its own, and a test driver host of tests/data/libvirt/
// (an LVM pool, where disks are full copies). Each test has a cluster name of its own.
#include <gtest/gtest.h>
#include <unistd.h>

#include "state/sqlite_state_store.h"
#include "tests/integration/libvirt_fixture.h"
#include "tests/support/test_support.h"

namespace nkd::providers::libvirt {
namespace {

using testing::HostView;
using testing::make_cluster;
using testing::make_render;

constexpr const char* kPool = "default-pool";
constexpr const char* kBase = "nkd-test-base.qcow2";

class LibvirtProviderContract : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = "lvt" + std::to_string(getpid() % 100000) + "-" + std::to_string(++counter_);
    state_ = state::SqliteStateStore::open(scratch_.str() + "/state.db").value();
    view_.ensure_volume(kPool, kBase, "qcow2");
  }
  void TearDown() override {
    // Whatever a failing test left: the provider's own prune, then a look that it worked.
    (void)provider().remove(cluster_);
  }
  LibvirtProvider& provider() {
    if (!provider_)
      provider_ = std::make_unique<LibvirtProvider>(settings_, clock_, *state_, &metrics_);
    return *provider_;
  }
  model::LibvirtPlatform platform() const {
    return model::LibvirtPlatform{.connection = "local",
                                  .storage_pool = kPool,
                                  .base_volume = kBase,
                                  .domain_type = "qemu",
                                  .size = {.vcpus = 1, .memory_mib = 512, .disk_gib = 2}};
  }
  std::vector<std::string> domains() const { return view_.domains(cluster_ + "-"); }
  std::vector<std::string> volumes() const { return view_.volumes(kPool, cluster_ + "-"); }

  static inline int counter_ = 0;
  std::string cluster_;
  nkd::testing::ScratchDir scratch_;
  std::unique_ptr<state::SqliteStateStore> state_;
  LibvirtSettings settings_{.connections = {{"local", {.uri = "test:///default"}}}};
  SystemClock clock_;
  metrics::Metrics metrics_{"test"};
  HostView view_{"test:///default"};
  std::unique_ptr<LibvirtProvider> provider_;
};

TEST_F(LibvirtProviderContract, MakesEachNodeADomainWithMetadataOverlayDiskAndIgnition) {
  const model::Cluster cluster = make_cluster(cluster_, platform(), 2);
  const render::ClusterRender render = make_render(cluster);
  auto outcome = provider().apply(cluster, render, {});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_TRUE(outcome->complete);
  EXPECT_EQ(outcome->message, "libvirt: 3 domains, 3 created, 0 replaced, 0 deleted");
  EXPECT_EQ(domains(),
            (std::vector<std::string>{cluster_ + "-cp-0", cluster_ + "-w-0", cluster_ + "-w-1"}));
  const std::string node = cluster_ + "-w-1";
  const std::string xml = view_.domain_xml(node);
  const std::optional<NodeMetadata> metadata = parse_metadata(xml);
  ASSERT_TRUE(metadata.has_value()) << xml;
  EXPECT_EQ(metadata->cluster, cluster_);
  EXPECT_EQ(metadata->node, node);
  EXPECT_EQ(metadata->role, "worker");
  EXPECT_EQ(metadata->digest, testing::node_of(render, node).ignition_sha256);
  EXPECT_EQ(metadata->boot, testing::node_of(render, node).boot_digest.get());
  // Ignition through fw_cfg, from the node's own volume; the disk reads through to the base.
  const auto entries = start_tags(xml, "entry");
  ASSERT_EQ(entries.size(), 1u) << xml;
  EXPECT_EQ(entries[0].at("name"), "opt/com.coreos/config");
  EXPECT_EQ(entries[0].at("file"), "/default-pool/" + node + "-ignition");
  const std::string disk = view_.volume_xml(kPool, node + "-disk");
  EXPECT_NE(disk.find("<path>/default-pool/" + std::string(kBase) + "</path>"), std::string::npos)
      << disk;
  EXPECT_NE(disk.find("<capacity unit='bytes'>2147483648</capacity>"), std::string::npos) << disk;
  EXPECT_EQ(volumes().size(), 6u);
  EXPECT_GE(testing::libvirt_requests(metrics_, "define_domain", "ok"), 3);

  // Again with the same render: nothing is made twice.
  auto again = provider().apply(cluster, render, {});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->message, "libvirt: 3 domains, 0 created, 0 replaced, 0 deleted");
  EXPECT_EQ(testing::libvirt_requests(metrics_, "define_domain", "ok"), 3);
  EXPECT_TRUE(state_->pending_intents(cluster_)->empty());
}

TEST_F(LibvirtProviderContract, ScalesDownWorkersHighestIndexFirstEachDrainedBeforeItGoes) {
  model::Cluster cluster = make_cluster(cluster_, platform(), 3);
  ASSERT_TRUE(provider().apply(cluster, make_render(cluster), {}));
  cluster.pools[1].replicas = 1;
  std::vector<std::string> drained;
  ApplyHooks hooks{.before_delete = [&](const std::string& node) {
    drained.push_back(node);
    // Drained while its domain still exists.
    EXPECT_FALSE(view_.domain_xml(node).empty()) << node;
    return ok_status();
  }};
  auto outcome = provider().apply(cluster, make_render(cluster), hooks);
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(drained, (std::vector<std::string>{cluster_ + "-w-2", cluster_ + "-w-1"}));
  EXPECT_EQ(domains(), (std::vector<std::string>{cluster_ + "-cp-0", cluster_ + "-w-0"}));
  EXPECT_EQ(volumes(),
            (std::vector<std::string>{cluster_ + "-cp-0-disk", cluster_ + "-cp-0-ignition",
                                      cluster_ + "-w-0-disk", cluster_ + "-w-0-ignition"}));
}

TEST_F(LibvirtProviderContract, AFailingDrainStopsTheDelete) {
  model::Cluster cluster = make_cluster(cluster_, platform(), 2);
  ASSERT_TRUE(provider().apply(cluster, make_render(cluster), {}));
  cluster.pools[1].replicas = 0;
  ApplyHooks hooks{.before_delete = [](const std::string& node) -> Status {
    return Error{ErrorCode::kUnavailable, "cannot evict from " + node};
  }};
  auto outcome = provider().apply(cluster, make_render(cluster), hooks);
  ASSERT_FALSE(outcome);
  EXPECT_NE(outcome.error().message.find("cannot evict from " + cluster_ + "-w-1"),
            std::string::npos);
  EXPECT_EQ(domains().size(), 3u);
}

TEST_F(LibvirtProviderContract, ReplacesStaleWorkersBatchByBatchAndRefusesTheControlPlane) {
  const model::Cluster cluster = make_cluster(cluster_, platform(), 3, /*max_unavailable=*/2);
  ASSERT_TRUE(provider().apply(cluster, make_render(cluster, "motd-1"), {}));
  const std::string old_worker = view_.domain_uuid(cluster_ + "-w-0");
  const std::string old_control_plane = view_.domain_uuid(cluster_ + "-cp-0");
  std::vector<std::string> drained;
  ApplyHooks hooks{.before_delete = [&](const std::string& node) {
    drained.push_back(node);
    return ok_status();
  }};
  const render::ClusterRender changed = make_render(cluster, "motd-2");
  auto outcome = provider().apply(cluster, changed, hooks);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, ErrorCode::kConflict) << outcome.error().message;
  EXPECT_NE(outcome.error().message.find("control-plane node(s) " + cluster_ + "-cp-0"),
            std::string::npos);
  EXPECT_EQ(drained,
            (std::vector<std::string>{cluster_ + "-w-0", cluster_ + "-w-1", cluster_ + "-w-2"}));
  EXPECT_NE(view_.domain_uuid(cluster_ + "-w-0"), old_worker);
  EXPECT_EQ(view_.domain_uuid(cluster_ + "-cp-0"), old_control_plane);
  EXPECT_EQ(parse_metadata(view_.domain_xml(cluster_ + "-w-2"))->digest,
            testing::node_of(changed, cluster_ + "-w-2").ignition_sha256);
  EXPECT_EQ(domains().size(), 4u);
}

TEST_F(LibvirtProviderContract, OutsideAMaintenanceWindowReplacesAndDeletesWait) {
  model::Cluster cluster = make_cluster(cluster_, platform(), 2);
  ASSERT_TRUE(provider().apply(cluster, make_render(cluster), {}));
  cluster.pools[1].replicas = 1;
  auto outcome =
      provider().apply(cluster, make_render(cluster), {.may_disturb = [] { return false; }});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_FALSE(outcome->complete);
  EXPECT_EQ(outcome->held, std::vector<std::string>{"delete " + cluster_ + "-w-1"});
  EXPECT_EQ(domains().size(), 3u);
}

TEST_F(LibvirtProviderContract, LeavesADomainOfTheNodesNameThatNkdDidNotMakeAlone) {
  const std::string name = cluster_ + "-w-0";
  const std::string foreign =
      "<domain type='test'><name>" + name +
      "</name><memory unit='MiB'>128</memory><os><type>hvm</type></os></domain>";
  ASSERT_TRUE(DomainPtr(virDomainDefineXML(view_.get(), foreign.c_str())));
  const model::Cluster cluster = make_cluster(cluster_, platform(), 1);
  auto outcome = provider().apply(cluster, make_render(cluster), {});
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, ErrorCode::kConflict);
  EXPECT_EQ(outcome.error().retry().kind, RetryKind::kStalled);
  EXPECT_NE(outcome.error().message.find("that nkd did not make"), std::string::npos);
  EXPECT_EQ(parse_metadata(view_.domain_xml(name)), std::nullopt);
  // Prune does not take it either: it is not the cluster's.
  {
    const Status removed = provider().remove(cluster_);
    ASSERT_TRUE(removed) << removed.error().message;
  }
  EXPECT_EQ(domains(), std::vector<std::string>{name});
  const DomainPtr domain(virDomainLookupByName(view_.get(), name.c_str()));
  ASSERT_EQ(virDomainUndefine(domain.get()), 0);
}

TEST_F(LibvirtProviderContract, PruneRemovesEveryDomainAndVolumeOfTheCluster) {
  const model::Cluster cluster = make_cluster(cluster_, platform(), 2);
  ASSERT_TRUE(provider().apply(cluster, make_render(cluster), {}));
  ASSERT_EQ(volumes().size(), 6u);
  // A fresh provider (a restarted daemon) does not know the cluster's connection.
  provider_.reset();
  {
    const Status removed = provider().remove(cluster_);
    ASSERT_TRUE(removed) << removed.error().message;
  }
  EXPECT_TRUE(domains().empty());
  EXPECT_TRUE(volumes().empty());
  EXPECT_FALSE(view_.volume_xml(kPool, kBase).empty());  // the base image stays
}

TEST_F(LibvirtProviderContract, ACrashedCreateOfANodeNoLongerWantedLeavesNoVolumes) {
  const std::string node = cluster_ + "-w-4";
  // What a crash between the disk's create and the domain's define leaves: an intent and volumes.
  ASSERT_TRUE(state_->add_intent({.cluster = cluster_,
                                  .kind = "create-domain",
                                  .target = node,
                                  .payload = R"({"connection":"local","pool":"default-pool"})"}));
  view_.ensure_volume(kPool, node + "-disk", "qcow2");
  view_.ensure_volume(kPool, node + "-ignition", "raw");
  const model::Cluster cluster = make_cluster(cluster_, platform(), 1);
  auto outcome = provider().apply(cluster, make_render(cluster), {});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(volumes(),
            (std::vector<std::string>{cluster_ + "-cp-0-disk", cluster_ + "-cp-0-ignition",
                                      cluster_ + "-w-0-disk", cluster_ + "-w-0-ignition"}));
  EXPECT_TRUE(state_->pending_intents(cluster_)->empty());
}

TEST_F(LibvirtProviderContract, ConfigurationMistakesSayWhatToFix) {
  model::LibvirtPlatform unknown = platform();
  unknown.connection = "lab";
  auto outcome = provider().apply(make_cluster(cluster_, unknown, 1), {}, {});
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(outcome.error().message.find("add it under libvirt.connections"), std::string::npos);

  model::LibvirtPlatform no_base = platform();
  no_base.base_volume = "missing.qcow2";
  outcome = provider().apply(make_cluster(cluster_, no_base, 1), {}, {});
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, ErrorCode::kNotFound);
  EXPECT_NE(outcome.error().message.find("base volume 'missing.qcow2' is not in storage pool"),
            std::string::npos);

  model::LibvirtPlatform no_pool = platform();
  no_pool.storage_pool = "nowhere";
  outcome = provider().apply(make_cluster(cluster_, no_pool, 1), {}, {});
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, ErrorCode::kNotFound);
}

TEST_F(LibvirtProviderContract, ADaemonThatIsNotThereIsRetried) {
  const std::string socket = scratch_.str() + "/no-daemon.sock";
  LibvirtProvider absent(
      {.connections = {{"gone", {.uri = "qemu+unix:///system?socket=" + socket}}}}, clock_, *state_,
      &metrics_);
  model::LibvirtPlatform gone = platform();
  gone.connection = "gone";
  auto outcome = absent.apply(make_cluster(cluster_, gone, 1), {}, {});
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, ErrorCode::kUnavailable) << outcome.error().message;
  EXPECT_EQ(outcome.error().retry().kind, RetryKind::kTransient);
  EXPECT_EQ(testing::libvirt_requests(metrics_, "connect", "unavailable"), 1);
}

// A host of its own (tests/data/libvirt/test-host.xml) with an LVM pool: no overlays there, so
// each disk is a full copy of the raw base, at the pool's size.
TEST(LibvirtProviderTestHost, CopiesTheBaseWhereThePoolCannotLayerAndJoinsTheNetwork) {
  nkd::testing::ScratchDir scratch;
  auto state = state::SqliteStateStore::open(scratch.str() + "/state.db").value();
  SystemClock clock;
  const std::string uri =
      "test://" + nkd::testing::source_dir() + "/tests/data/libvirt/test-host.xml";
  LibvirtProvider provider({.connections = {{"host", {.uri = uri}}}}, clock, *state, nullptr);
  const model::Cluster cluster =
      make_cluster("lab",
                   {.connection = "host",
                    .storage_pool = "vg",
                    .base_volume = "nestos",
                    .network = "cluster-net",
                    .size = {.vcpus = 2, .memory_mib = 2048, .disk_gib = 20}},
                   1);
  auto outcome = provider.apply(cluster, make_render(cluster), {});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->message, "libvirt: 2 domains, 2 created, 0 replaced, 0 deleted");
  auto observed = provider.observe("lab");
  ASSERT_TRUE(observed) << observed.error().message;
  ASSERT_EQ(observed->size(), 2u);
  EXPECT_EQ((*observed)[1].name, "lab-w-0");
  EXPECT_EQ((*observed)[1].state, state::NodeState::kProvisioned);
  const Status removed = provider.remove("lab");
  ASSERT_TRUE(removed) << removed.error().message;
  observed = provider.observe("lab");
  ASSERT_TRUE(observed);
  EXPECT_TRUE(observed->empty());
}

}  // namespace
}  // namespace nkd::providers::libvirt
