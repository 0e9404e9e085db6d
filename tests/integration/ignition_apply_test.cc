// The real Ignition binary (Debian's initramfs build, 2.14) applies a rendered worker config to a
// scratch root, and the files land where a booting node expects them.
//
// How it runs: `-platform file` reads the config from $IGNITION_CONFIG_FILE. The `fetch-offline`
// stage fetches it, writes the cache (-config-cache) and, had the config needed the network, the
// -neednet flag file; the `files` stage then reads the cache and writes files, units, drop-ins,
// users and systemd presets under -root. Everything is redirected into the scratch directory.
//
// What cannot run here, and how the test handles it:
// - SELinux relabeling: the files stage ends by running `setfiles` against the target's SELinux
//   policy (after reading <root>/etc/selinux/config). A scratch root has no policy and
//   policycoreutils is not installed, so the test writes an /etc/selinux/config and puts a stub
//   `setfiles` first on PATH that consumes the path list. File labels are not verified.
// - Users: Ignition calls `useradd --root <root>`, which chroots and therefore needs root. As root
//   the test seeds a minimal passwd/group/shadow/gshadow and checks the user, its wheel
//   membership and SSH key (written with the new user's identity, hence a traversable scratch
//   directory). Unprivileged, it drops `passwd` from the config and checks files only.
// - Presets: Ignition only writes /etc/systemd/system-preset/20-ignition.preset; applying it
//   (systemctl preset at first boot) needs the target's systemd as PID 1. The preset lines are
//   checked, not their effect.
// - The disks, mount and kargs stages need block devices or a bootloader and are not run (a
//   rendered config has no storage.disks, filesystems or kernelArguments).
// - Ignition still reads the host's /usr/lib/ignition/{base.d,user.ign}; both are absent here.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "render/ignition/ignition.h"
#include "tests/support/render_fixtures.h"
#include "tests/support/test_support.h"

namespace nkd {
namespace {

namespace fs = std::filesystem;

constexpr const char* kIgnition = "/usr/lib/dracut/modules.d/30ignition/ignition";

class IgnitionApply : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kIgnition)) GTEST_SKIP() << kIgnition << " is not installed";
    root_ = scratch_.path() / "root";
    run_ = scratch_.path() / "run";
    fs::create_directories(root_ / "etc" / "selinux");
    fs::create_directories(run_);
    testing::write_file(root_ / "etc/selinux/config", "SELINUX=disabled\nSELINUXTYPE=targeted\n");
    const fs::path stub_dir = scratch_.path() / "bin";
    fs::create_directories(stub_dir);
    testing::write_file(stub_dir / "setfiles", "#!/bin/sh\ncat >/dev/null\nexit 0\n");
    fs::permissions(stub_dir / "setfiles", fs::perms::owner_all | fs::perms::group_read |
                                               fs::perms::group_exec | fs::perms::others_read |
                                               fs::perms::others_exec);
    const char* path = std::getenv("PATH");
    search_path_ = stub_dir.string() + ":" + (path != nullptr ? path : "/usr/sbin:/usr/bin");
  }

  void seed_account_files() {
    // Ignition writes a user's SSH keys with that user's identity, so the new user must be able
    // to traverse the scratch directory (mkdtemp makes it 0700).
    fs::permissions(scratch_.path(), fs::perms::owner_all | fs::perms::group_read |
                                         fs::perms::group_exec | fs::perms::others_read |
                                         fs::perms::others_exec);
    testing::write_file(root_ / "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
    testing::write_file(root_ / "etc/group", "root:x:0:\nwheel:x:10:\n");
    testing::write_file(root_ / "etc/shadow", "root:*:19000:0:99999:7:::\n");
    testing::write_file(root_ / "etc/gshadow", "root:*::\nwheel:!::\n");
    fs::permissions(root_ / "etc/shadow", fs::perms::owner_read | fs::perms::owner_write);
    fs::permissions(root_ / "etc/gshadow", fs::perms::owner_read | fs::perms::owner_write);
  }

  testing::CommandResult run_stage(const std::string& stage, const fs::path& config) {
    return testing::run_command(
        {"env", "IGNITION_CONFIG_FILE=" + config.string(), "PATH=" + search_path_, kIgnition,
         "-platform", "file", "-stage", stage, "-root", root_.string(), "-config-cache",
         (run_ / "ignition.json").string(), "-state-file", (run_ / "state").string(), "-neednet",
         (run_ / "neednet").string(), "-log-to-stdout"});
  }

  std::string in_root(const std::string& path) const {
    return testing::read_file(root_ / path.substr(1));
  }

  testing::ScratchDir scratch_;
  fs::path root_;
  fs::path run_;
  std::string search_path_;
};

TEST_F(IgnitionApply, WorkerConfigLandsUnderTheTargetRoot) {
  const auto cluster = testing::openstack_cluster();
  model::Node worker;
  for (const auto& node : model::expand_nodes(cluster)) {
    if (node.name == "prod-east-workers-0") worker = node;
  }
  auto config = nlohmann::json::parse(
      ignition::node_config(cluster, worker, testing::placeholder_pki(cluster)));
  const bool as_root = geteuid() == 0;
  if (as_root) {
    seed_account_files();
  } else {
    config.erase("passwd");
  }
  const fs::path config_path = scratch_.path() / "worker.ign";
  testing::write_file(config_path, config.dump());

  const auto fetch = run_stage("fetch-offline", config_path);
  ASSERT_EQ(fetch.exit_code, 0) << fetch.out << fetch.err;
  EXPECT_TRUE(fs::exists(run_ / "ignition.json"));
  EXPECT_FALSE(fs::exists(run_ / "neednet")) << "a rendered config must not need the network";
  const auto files = run_stage("files", config_path);
  ASSERT_EQ(files.exit_code, 0) << files.out << files.err;

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
  EXPECT_EQ(fs::status(root_ / "etc/kubernetes/kubeadm/config.yaml").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_NE(in_root("/etc/containerd/config.toml").find("SystemdCgroup = true"), std::string::npos);
  EXPECT_NE(in_root("/etc/systemd/system/housekeeper-daemon.service")
                .find("ExecStart=/usr/bin/housekeeper-daemon"),
            std::string::npos);
  EXPECT_NE(in_root("/etc/systemd/system/housekeeper-daemon.service").find("KillMode=process"),
            std::string::npos);
  EXPECT_EQ(in_root("/etc/motd"), "Managed by nkd\n");
  EXPECT_FALSE(fs::exists(root_ / "etc/kubernetes/pki")) << "a worker gets no kubeadm PKI";

  const std::string presets = in_root("/etc/systemd/system-preset/20-ignition.preset");
  for (const char* unit : {"kubelet.service", "nkd-kubeadm.service", "containerd.service",
                           "housekeeper-daemon.service", "node-exporter.service"}) {
    EXPECT_NE(presets.find(std::string("enable ") + unit + "\n"), std::string::npos) << unit;
  }

  if (!as_root) return;
  EXPECT_NE(in_root("/etc/passwd").find("\nnest:x:"), std::string::npos);
  EXPECT_NE(in_root("/etc/group").find("wheel:x:10:nest"), std::string::npos);
  EXPECT_NE(in_root("/home/nest/.ssh/authorized_keys.d/ignition")
                .find("ssh-ed25519 AAAAC3Nza ops@example"),
            std::string::npos);
}

}  // namespace
}  // namespace nkd
