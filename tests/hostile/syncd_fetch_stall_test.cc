// `nkd syncd` watching a repository whose server accepts connections and never answers
// (tests/support/stalling_servers.h): the daemon cuts each fetch off at repository.fetchTimeout,
// counts it, stays healthy, and a SIGTERM during a hung fetch stops it within moments.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <string>

#include "tests/support/stalling_servers.h"
#include "tests/support/test_support.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// The daemon, configured to watch the silent server, in a scratch directory of its own.
class SyncdAgainstSilentServer {
 public:
  SyncdAgainstSilentServer(const std::string& fetch_timeout, const std::string& poll_interval)
      : http_port_(testing::free_port()) {
    testing::write_file(dir_.path() / "syncd.yaml",
                        "repository:\n  url: git://127.0.0.1:" + std::to_string(silent_.port()) +
                            "/defs.git\n  pollInterval: " + poll_interval +
                            "\n  fetchTimeout: " + fetch_timeout + "\n" +
                            "state: {sqlite: " + (dir_.path() / "state/state.db").string() + "}\n" +
                            "listen: 127.0.0.1:" + std::to_string(http_port_) + "\n" +
                            "clusterAccess: none\negress: {allow: [127.0.0.0/8]}\n" +
                            // Plain HTTP keeps the probes simple; TLS has tests of its own.
                            "http: {insecure: true}\n");
    syncd_ = std::make_unique<testing::ChildProcess>(
        std::vector<std::string>{testing::nkd_binary(), "syncd", "--config",
                                 (dir_.path() / "syncd.yaml").string(), "--log-format", "json"},
        (dir_.path() / "syncd.log").string());
  }

  [[nodiscard]] int status(const std::string& path) const {
    httplib::Client client("127.0.0.1", http_port_);
    client.set_connection_timeout(1, 0);
    client.set_read_timeout(2, 0);
    auto response = client.Get(path);
    return response ? response->status : 0;
  }
  [[nodiscard]] std::string get(const std::string& path) const {
    httplib::Client client("127.0.0.1", http_port_);
    client.set_read_timeout(2, 0);
    auto response = client.Get(path);
    return response ? response->body : "";
  }
  [[nodiscard]] std::string log() const { return testing::read_file(dir_.path() / "syncd.log"); }
  [[nodiscard]] const testing::StallingListener& server() const { return silent_; }
  testing::ChildProcess& process() { return *syncd_; }

 private:
  testing::ScratchDir dir_;
  testing::StallingListener silent_;
  int http_port_;
  std::unique_ptr<testing::ChildProcess> syncd_;
};

TEST(SyncdFetchStall, SigtermDuringAHungFetchStopsWithinSeconds) {
  SyncdAgainstSilentServer daemon("10m", "1h");
  ASSERT_TRUE(testing::wait_until([&] { return daemon.status("/healthz") == 200; }, 15s))
      << daemon.log();
  ASSERT_TRUE(testing::wait_until([&] { return daemon.server().accepted() >= 1; }, 10s))
      << daemon.log();
  std::this_thread::sleep_for(500ms);  // the source thread now waits for an answer

  const auto signalled = SteadyClock::now();
  const int status = daemon.process().stop(SIGTERM, 10s);
  const auto took = SteadyClock::now() - signalled;
  ::testing::Test::RecordProperty(
      "stop_ms",
      static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status << "\n"
                                                             << daemon.log();
  EXPECT_LT(took, 3s) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                      << " ms\n"
                      << daemon.log();
}

TEST(SyncdFetchStall, TimedOutFetchesAreCountedAndTheDaemonStaysHealthy) {
  SyncdAgainstSilentServer daemon("1s", "1s");
  ASSERT_TRUE(testing::wait_until([&] { return daemon.status("/healthz") == 200; }, 15s))
      << daemon.log();
  ASSERT_TRUE(testing::wait_until(
      [&] {
        return daemon.get("/metrics").find("nkd_source_fetch_timeouts_total 2") !=
               std::string::npos;
      },
      15s))
      << daemon.get("/metrics") << daemon.log();
  EXPECT_GE(daemon.server().accepted(), 2);
  EXPECT_EQ(daemon.status("/healthz"), 200);
  EXPECT_EQ(daemon.status("/readyz"), 503);  // nothing fetched yet
  EXPECT_NE(daemon.get("/metrics").find("nkd_source_fetch_total{result=\"failure\"}"),
            std::string::npos);
  EXPECT_NE(daemon.log().find("timed out after 1000 ms (repository.fetchTimeout) while waiting for "
                              "127.0.0.1:" +
                              std::to_string(daemon.server().port()) + " to send"),
            std::string::npos)
      << daemon.log();
}

}  // namespace
}  // namespace nkd
