// The real Ignition binary applies a rendered worker config to a scratch root, and the files land
// where a booting node expects them (tests/support/ignition_runner.h says how it runs and what
// cannot run here). ignition_apply_tree_test.cc applies every node of many clusters and checks the
// trees against kubeadm's own types.
#include <gtest/gtest.h>

#include <filesystem>

#include "render/ignition/ignition.h"
#include "tests/support/ignition_runner.h"
#include "tests/support/render_fixtures.h"
#include "tests/support/test_support.h"

namespace nkd {
namespace {

namespace fs = std::filesystem;

class IgnitionApply : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::ignition_installed())
      GTEST_SKIP() << testing::kIgnitionBinary << " is not installed";
  }

  std::string in_root(const std::string& path) const { return root_.read(path); }

  testing::IgnitionRoot root_;
};

TEST_F(IgnitionApply, WorkerConfigLandsUnderTheTargetRoot) {
  const auto cluster = testing::openstack_cluster();
  model::Node worker;
  for (const auto& node : model::expand_nodes(cluster)) {
    if (node.name == "prod-east-workers-0") worker = node;
  }
  const std::string config =
      ignition::node_config(cluster, worker, testing::placeholder_pki(cluster));
  const std::string failure = root_.apply(config);
  ASSERT_EQ(failure, "");
  EXPECT_FALSE(root_.needed_network()) << "a rendered config must not need the network";

  EXPECT_EQ(in_root("/etc/hostname"), "prod-east-workers-0\n");
  const std::string dropin = in_root("/etc/systemd/system/kubelet.service.d/10-nkd.conf");
  EXPECT_NE(dropin.find("--config=/var/lib/kubelet/config.yaml"), std::string::npos);
  EXPECT_NE(in_root("/var/lib/kubelet/config.yaml").find("cgroupDriver: systemd"),
            std::string::npos);
  const std::string kubeadm_unit = in_root("/etc/systemd/system/nkd-kubeadm.service");
  EXPECT_NE(kubeadm_unit.find("kubeadm join --config /etc/kubernetes/kubeadm/config.yaml"),
            std::string::npos);
  EXPECT_NE(in_root("/etc/kubernetes/kubeadm/config.yaml").find("kind: JoinConfiguration"),
            std::string::npos);
  EXPECT_EQ(fs::status(root_.on_node("/etc/kubernetes/kubeadm/config.yaml")).permissions() &
                fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_NE(in_root("/etc/containerd/config.toml").find("SystemdCgroup = true"), std::string::npos);
  EXPECT_NE(in_root("/etc/systemd/system/housekeeper-daemon.service")
                .find("ExecStart=/usr/bin/housekeeper-daemon"),
            std::string::npos);
  EXPECT_NE(in_root("/etc/systemd/system/housekeeper-daemon.service").find("KillMode=process"),
            std::string::npos);
  EXPECT_EQ(in_root("/etc/motd"), "Managed by nkd\n");
  EXPECT_FALSE(fs::exists(root_.on_node("/etc/kubernetes/pki"))) << "a worker gets no kubeadm PKI";

  const std::string presets = in_root("/etc/systemd/system-preset/20-ignition.preset");
  for (const char* unit : {"kubelet.service", "nkd-kubeadm.service", "containerd.service",
                           "housekeeper-daemon.service", "node-exporter.service"}) {
    EXPECT_NE(presets.find(std::string("enable ") + unit + "\n"), std::string::npos) << unit;
  }

  if (!root_.applies_users()) return;
  EXPECT_NE(in_root("/etc/passwd").find("\nnest:x:"), std::string::npos);
  EXPECT_NE(in_root("/etc/group").find("wheel:x:10:nest"), std::string::npos);
  EXPECT_NE(in_root("/home/nest/.ssh/authorized_keys.d/ignition")
                .find("ssh-ed25519 AAAAC3Nza ops@example"),
            std::string::npos);
}

}  // namespace
}  // namespace nkd
