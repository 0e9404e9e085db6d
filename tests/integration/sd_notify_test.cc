// `nkd syncd` under a service manager: the test plays systemd's part of the sd_notify protocol
// (a datagram socket named by NOTIFY_SOCKET, a watchdog period in WATCHDOG_USEC) and checks
// the daemon reports ready once it serves, reloading on SIGHUP, stopping on SIGTERM, and pings
// the watchdog on time. Skipped when nkd was built without libsystemd (Type=simple unit).
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>

#include "tests/support/syncd_fixture.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;

// The receiving end of NOTIFY_SOCKET; closed when the object goes.
class NotifySocket {
 public:
  explicit NotifySocket(const std::filesystem::path& path) : path_(path.string()) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path_.copy(address.sun_path, sizeof(address.sun_path) - 1);
    bound_ = fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~NotifySocket() {
    if (fd_ >= 0) close(fd_);
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  [[nodiscard]] bool bound() const { return bound_; }
  [[nodiscard]] const std::string& path() const { return path_; }

  // Waits for a datagram holding the line `wanted`, skipping others; false on timeout.
  bool wait_for(const std::string& wanted, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd ready{.fd = fd_, .events = POLLIN, .revents = 0};
      if (poll(&ready, 1, 50) <= 0) continue;
      char buffer[4096];
      const ssize_t size = recv(fd_, buffer, sizeof(buffer), 0);
      if (size <= 0) continue;
      const std::string message = "\n" + std::string(buffer, static_cast<std::size_t>(size)) + "\n";
      if (message.find("\n" + wanted + "\n") != std::string::npos) return true;
    }
    return false;
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

bool built_with_libsystemd() {
  const auto ldd = testing::run_command({"ldd", testing::nkd_binary()});
  return ldd.exit_code == 0 && ldd.out.find("libsystemd.so") != std::string::npos;
}

TEST(SdNotify, ReportsReadyReloadingStoppingAndPingsTheWatchdog) {
  if (!built_with_libsystemd()) GTEST_SKIP() << "nkd was built without libsystemd";
  testing::SyncdFixture fixture;
  fixture.start_daemon_config_only("1s");
  NotifySocket notify(fixture.dir() / "notify.sock");
  ASSERT_TRUE(notify.bound());
  // A 400 ms watchdog: nkd must ping at least every 200 ms.
  testing::ChildProcess syncd({testing::nkd_binary(), "syncd", "--config",
                               (fixture.dir() / "syncd.yaml").string(), "--log-format", "json"},
                              (fixture.dir() / "notify-syncd.log").string(),
                              {"NOTIFY_SOCKET=" + notify.path(), "WATCHDOG_USEC=400000"});
  const auto log = [&] { return testing::read_file(fixture.dir() / "notify-syncd.log"); };

  ASSERT_TRUE(notify.wait_for("READY=1", 20s)) << log();
  // READY=1 comes after the HTTP server started: the API answers at once.
  EXPECT_TRUE(fixture.get_json("/api/v1/clusters").is_array());
  for (int ping = 0; ping < 3; ++ping) EXPECT_TRUE(notify.wait_for("WATCHDOG=1", 1s)) << ping;

  kill(syncd.pid(), SIGHUP);
  EXPECT_TRUE(notify.wait_for("RELOADING=1", 5s)) << log();
  EXPECT_TRUE(notify.wait_for("READY=1", 5s)) << log();

  kill(syncd.pid(), SIGTERM);
  EXPECT_TRUE(notify.wait_for("STOPPING=1", 5s)) << log();
  const int status = syncd.stop(SIGTERM, 15s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << log();
}

TEST(SdNotify, StaysSilentWithoutAWatchdog) {
  if (!built_with_libsystemd()) GTEST_SKIP() << "nkd was built without libsystemd";
  testing::SyncdFixture fixture;
  fixture.start_daemon_config_only("1s");
  NotifySocket notify(fixture.dir() / "notify.sock");
  ASSERT_TRUE(notify.bound());
  testing::ChildProcess syncd(
      {testing::nkd_binary(), "syncd", "--config", (fixture.dir() / "syncd.yaml").string()},
      (fixture.dir() / "notify-syncd.log").string(), {"NOTIFY_SOCKET=" + notify.path()});
  ASSERT_TRUE(notify.wait_for("READY=1", 20s))
      << testing::read_file(fixture.dir() / "notify-syncd.log");
  EXPECT_FALSE(notify.wait_for("WATCHDOG=1", 1500ms));
}

}  // namespace
}  // namespace nkd
