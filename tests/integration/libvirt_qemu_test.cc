// LibvirtProvider against a real libvirtd with its QEMU driver, started by the suite (one daemon
// for every test here) as root in private mount and PID namespaces: its own config, socket and
// state directories over tmpfs, no system service, no network (the suite runs in a loopback-only
// network namespace), QEMU under TCG (no KVM). Tiny domains boot an empty 1 GiB overlay disk; the
// tests check what QEMU was really given (its command line, the fw_cfg file), that a create
// SIGKILLed half-way and run again makes nothing twice, and that prune leaves no domain, volume
// or QEMU process. Ending the daemon ends every QEMU with it (they live in its PID namespace).
// Skipped when not root or libvirtd/QEMU are not installed (tools/install-deps.sh --test-run).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "state/sqlite_state_store.h"
#include "tests/integration/libvirt_fixture.h"
#include "tests/support/test_support.h"

namespace nkd::providers::libvirt {
namespace {

using testing::HostView;
using testing::make_cluster;
using testing::make_render;

constexpr const char* kQemuPool = "nkd";
constexpr const char* kQemuBase = "base.qcow2";

// The daemon's setup: libvirtd.conf (socket in the scratch directory, no TCP), qemu.conf (QEMU
// as root, no cgroups or namespaces, which a container may not allow), and an /etc/passwd that
// knows the user the QEMU driver resolves at start even when told to run QEMU as root.
void write_sandbox(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  fs::create_directories(root / "etc");
  fs::create_directories(root / "sock");
  fs::create_directories(root / "pool");
  nkd::testing::write_file(root / "etc/libvirtd.conf",
                           "unix_sock_dir = \"" + (root / "sock").string() +
                               "\"\n"
                               "unix_sock_rw_perms = \"0700\"\nauth_unix_rw = \"none\"\n"
                               "auth_unix_ro = \"none\"\nlog_outputs = \"3:stderr\"\n");
  nkd::testing::write_file(
      root / "etc/qemu.conf",
      "user = \"root\"\ngroup = \"root\"\ndynamic_ownership = 0\n"
      "remember_owner = 0\nsecurity_driver = \"none\"\n"
      "cgroup_controllers = [ ]\nnamespaces = [ ]\nstdio_handler = \"file\"\n");
  nkd::testing::write_file(root / "etc/passwd",
                           nkd::testing::read_file("/etc/passwd") +
                               "libvirt-qemu:x:64055:64055:QEMU:/nonexistent:/usr/sbin/nologin\n");
  nkd::testing::write_file(root / "etc/group",
                           nkd::testing::read_file("/etc/group") + "libvirt-qemu:x:64055:\n");
  const std::string etc = (root / "etc").string();
  nkd::testing::write_file(
      root / "start.sh",
      "set -e\n"
      "for dir in /run /var/lib /var/cache /var/log; do mount -t tmpfs tmpfs \"$dir\"; done\n"
      "mkdir -p /etc/libvirt 2>/dev/null || mount -t tmpfs tmpfs /etc/libvirt\n"
      "mount --bind " +
          etc +
          " /etc/libvirt\n"
          "mount --bind " +
          etc +
          "/passwd /etc/passwd\n"
          "mount --bind " +
          etc +
          "/group /etc/group\n"
          // bash stays PID 1 of the namespace and reaps what libvirtd leaves (its QEMU capability
          // probes daemonize); libvirtd as PID 1 would not, and would wait on their zombies.
          "libvirtd --config " +
          etc +
          "/libvirtd.conf &\n"
          "wait $!\n");
}

// The command line of the QEMU process of domain `name` ("" when there is none).
std::vector<std::string> qemu_command_line(const std::string& name) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream file(entry.path() / "cmdline", std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(file)),
                           std::istreambuf_iterator<char>());
    if (text.find("guest=" + name + ",") == std::string::npos) continue;
    std::vector<std::string> arguments;
    for (std::size_t start = 0; start < text.size();) {
      const std::size_t end = text.find('\0', start);
      arguments.push_back(text.substr(start, end - start));
      if (end == std::string::npos) break;
      start = end + 1;
    }
    return arguments;
  }
  return {};
}

class LibvirtQemu : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) {
      skip_reason_ = "needs root (the daemon runs in its own mount namespace)";
      return;
    }
    for (const char* tool :
         {"/usr/sbin/libvirtd", "/usr/bin/qemu-system-x86_64", "/usr/bin/qemu-img"}) {
      if (!std::filesystem::exists(tool)) {
        skip_reason_ = std::string(tool) + " is not installed (tools/install-deps.sh --test-run)";
        return;
      }
    }
    scratch_ = new nkd::testing::ScratchDir();
    write_sandbox(scratch_->path());
    uri_ = "qemu+unix:///system?socket=" + scratch_->str() + "/sock/libvirt-sock";
    daemon_ = new nkd::testing::ChildProcess(
        {"unshare", "--mount", "--pid", "--fork", "--kill-child", "--propagation", "private",
         "bash", scratch_->str() + "/start.sh"},
        scratch_->str() + "/libvirtd.log");
    silence_default_error_printing();
    const bool up =
        nkd::testing::wait_until([] { return ConnectPtr(virConnectOpen(uri_.c_str())) != nullptr; },
                                 std::chrono::seconds(30));
    ASSERT_TRUE(up) << nkd::testing::read_file(scratch_->str() + "/libvirtd.log");
    HostView view(uri_);
    const std::string pool = "<pool type='dir'><name>" + std::string(kQemuPool) +
                             "</name><target><path>" + scratch_->str() +
                             "/pool</path></target></pool>";
    ASSERT_TRUE(StoragePoolPtr(virStoragePoolCreateXML(view.get(), pool.c_str(), 0)))
        << last_error("pool").message;
    view.ensure_volume(kQemuPool, kQemuBase, "qcow2");
  }
  static void TearDownTestSuite() {
    delete daemon_;  // ends libvirtd, and with it every QEMU of its PID namespace
    daemon_ = nullptr;
    delete scratch_;
    scratch_ = nullptr;
  }
  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
    ASSERT_NE(daemon_, nullptr);
    // Unique across processes: ctest runs each case as a process of its own, side by side, and
    // the QEMU processes of both are visible here.
    cluster_ = "q" + std::to_string(getpid() % 100000) + "-" + std::to_string(++counter_);
    state_path_ = scratch_->str() + "/" + cluster_ + ".db";
    state_ = state::SqliteStateStore::open(state_path_).value();
  }
  void TearDown() override {
    if (state_ && provider_) (void)provider().remove(cluster_);
  }
  LibvirtProvider& provider() {
    if (!provider_) {
      provider_ = std::make_unique<LibvirtProvider>(
          LibvirtSettings{.connections = {{"local", {.uri = uri_}}}}, clock_, *state_, &metrics_);
    }
    return *provider_;
  }
  static model::LibvirtPlatform platform() {
    return {.connection = "local",
            .storage_pool = kQemuPool,
            .base_volume = kQemuBase,
            .domain_type = "qemu",
            .size = {.vcpus = 1, .memory_mib = 128, .disk_gib = 1}};
  }
  std::vector<std::string> volumes() const {
    return HostView(uri_).volumes(kQemuPool, cluster_ + "-");
  }

  static inline std::string skip_reason_;
  static inline std::string uri_;
  static inline nkd::testing::ScratchDir* scratch_ = nullptr;
  static inline nkd::testing::ChildProcess* daemon_ = nullptr;
  static inline int counter_ = 0;
  std::string cluster_;
  std::string state_path_;
  std::unique_ptr<state::SqliteStateStore> state_;
  SystemClock clock_;
  metrics::Metrics metrics_{"test"};
  std::unique_ptr<LibvirtProvider> provider_;
};

TEST_F(LibvirtQemu, BootsATinyDomainWhoseFwCfgHoldsTheNodesIgnitionAndPruneEndsIt) {
  const model::Cluster cluster = make_cluster(cluster_, platform(), 0);
  const render::ClusterRender render = make_render(cluster);
  auto outcome = provider().apply(cluster, render, {});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_TRUE(outcome->complete) << outcome->message;
  const std::string node = cluster_ + "-cp-0";
  const std::vector<std::string> command = qemu_command_line(node);
  ASSERT_FALSE(command.empty()) << "no QEMU runs " << node;
  const auto fw_cfg = std::find(command.begin(), command.end(), "-fw_cfg");
  ASSERT_NE(fw_cfg, command.end());
  const std::string prefix = "name=opt/com.coreos/config,file=";
  ASSERT_TRUE(std::next(fw_cfg)->starts_with(prefix)) << *std::next(fw_cfg);
  const std::string ignition_file = std::next(fw_cfg)->substr(prefix.size());
  EXPECT_EQ(ignition_file, scratch_->str() + "/pool/" + node + "-ignition");
  EXPECT_EQ(nkd::testing::read_file(ignition_file), testing::node_of(render, node).ignition);
  // The disk QEMU boots reads through to the base image and has the pool's size.
  const auto info = nkd::testing::run_command(
      {"qemu-img", "info", "--output=json", "-U", scratch_->str() + "/pool/" + node + "-disk"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(
      info.out.find("\"backing-filename\": \"" + scratch_->str() + "/pool/" + kQemuBase + "\""),
      std::string::npos)
      << info.out;
  EXPECT_NE(info.out.find("\"virtual-size\": 1073741824"), std::string::npos) << info.out;

  const Status removed = provider().remove(cluster_);
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_TRUE(HostView(uri_).domains(cluster_ + "-").empty());
  EXPECT_TRUE(volumes().empty());
  EXPECT_FALSE(std::filesystem::exists(ignition_file));
  EXPECT_TRUE(nkd::testing::wait_until([&] { return qemu_command_line(node).empty(); },
                                       std::chrono::seconds(10)));
}

TEST_F(LibvirtQemu, ACreateKilledHalfWayAndRunAgainMakesNothingTwice) {
  const model::Cluster cluster = make_cluster(cluster_, platform(), 2);
  const render::ClusterRender render = make_render(cluster);
  const std::string last = cluster_ + "-w-1";
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // A separate process with its own connection and state store handle, like a daemon.
    auto store = state::SqliteStateStore::open(state_path_);
    SystemClock clock;
    LibvirtProvider doomed({.connections = {{"local", {.uri = uri_}}}}, clock, **store, nullptr);
    (void)doomed.apply(cluster, render, {});
    _exit(0);
  }
  // Killed as soon as the last node's disk exists: its domain is not defined yet.
  const std::string disk = scratch_->str() + "/pool/" + last + "-disk";
  const bool reached = nkd::testing::wait_until([&] { return std::filesystem::exists(disk); },
                                                std::chrono::seconds(60));
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(reached);
  HostView view(uri_);
  ASSERT_EQ(view.domains(cluster_ + "-"),
            (std::vector<std::string>{cluster_ + "-cp-0", cluster_ + "-w-0"}));
  const auto pending = state_->pending_intents(cluster_);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].target, last);
  const std::string first_uuid = view.domain_uuid(cluster_ + "-w-0");

  auto outcome = provider().apply(cluster, render, {});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_TRUE(outcome->complete) << outcome->message;
  EXPECT_EQ(outcome->message, "libvirt: 3 domains, 1 created, 0 replaced, 0 deleted");
  EXPECT_EQ(view.domains(cluster_ + "-"),
            (std::vector<std::string>{cluster_ + "-cp-0", cluster_ + "-w-0", last}));
  EXPECT_EQ(view.domain_uuid(cluster_ + "-w-0"), first_uuid);
  EXPECT_EQ(volumes().size(), 6u);
  EXPECT_EQ(testing::libvirt_requests(metrics_, "define_domain", "ok"), 1);
  EXPECT_TRUE(state_->pending_intents(cluster_)->empty());
  EXPECT_EQ(nkd::testing::read_file(scratch_->str() + "/pool/" + last + "-ignition"),
            testing::node_of(render, last).ignition);
}

}  // namespace
}  // namespace nkd::providers::libvirt
