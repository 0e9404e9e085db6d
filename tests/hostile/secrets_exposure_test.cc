// Where private keys and credentials could leak from a machine nkd runs on, with the most
// careless operator: a umask of 0 (every file the process makes would be world-readable and
// writable unless nkd narrows it). `nkd render`'s output holds every cluster's CA keys; the
// daemon's state folder holds the PKI, the listener's CA key and the Git mirror, and is made by
// the daemon itself when it runs outside systemd (no StateDirectory=). Credentials written in
// repository.url must reach no log line, API answer, metric or file the daemon writes. Real
// processes throughout: `nkd` runs as users run it, against a real Git smart-HTTP server on
// 127.0.0.1 that demands a password.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <string>

#include "tests/support/git_servers.h"
#include "tests/support/syncd_fixture.h"
#include "tests/support/test_support.h"

namespace nkd {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Sets the process umask for the test's lifetime; children inherit it.
class CarelessUmask {
 public:
  CarelessUmask() : previous_(::umask(0)) {}
  ~CarelessUmask() { ::umask(previous_); }
  CarelessUmask(const CarelessUmask&) = delete;
  CarelessUmask& operator=(const CarelessUmask&) = delete;

 private:
  mode_t previous_;
};

// Every path under `root` (root included) that a group or others may read, write or enter.
std::vector<std::string> open_to_others(const fs::path& root) {
  std::vector<std::string> open;
  const auto check = [&](const fs::path& path) {
    const auto perms = fs::symlink_status(path).permissions();
    if ((perms & (fs::perms::group_all | fs::perms::others_all)) != fs::perms::none) {
      open.push_back(path.string());
    }
  };
  check(root);
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_symlink()) check(entry.path());
  }
  return open;
}

TEST(SecretsAtRest, RenderOutputIsOwnerOnlyWhateverTheUmask) {
  testing::ScratchDir scratch;
  const fs::path repo = scratch.path() / "repo";
  testing::make_example_git_repo(repo);
  const fs::path out = scratch.path() / "out";
  CarelessUmask umask_zero;
  const auto rendered = testing::run_command({testing::nkd_binary(), "render", "--repo",
                                              repo.string(), "--out", out.string(), "--state",
                                              (scratch.path() / "render-state/state.db").string()});
  ASSERT_EQ(rendered.exit_code, 0) << rendered.err;
  ASSERT_TRUE(fs::exists(out / "edge-lab/pki/ca.crt"));
  EXPECT_EQ(open_to_others(out), std::vector<std::string>{}) << "output holding private keys";
  EXPECT_EQ(open_to_others(scratch.path() / "render-state"), std::vector<std::string>{});
}

TEST(SecretsAtRest, DaemonOutsideSystemdMakesItsStateAndMirrorOwnerOnly) {
  testing::SyncdFixture fixture;
  fixture.use_https();  // the daemon also makes its listener's CA and key in the state folder
  {
    CarelessUmask umask_zero;
    fixture.start_daemon("1h");
  }
  const std::string head = fixture.head();
  ASSERT_TRUE(fixture.wait_applied("edge-lab", head, 60s)) << fixture.log();
  const fs::path state = fs::path(fixture.state_db()).parent_path();
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(state)) files += entry.is_regular_file();
  ASSERT_GT(files, 10) << "the state folder should hold the database, the mirror and the TLS files";
  EXPECT_EQ(open_to_others(state), std::vector<std::string>{});
}

// The daemon watching `url`, its listener on plain HTTP so the test reads everything it says.
class DaemonWithCredentialsInTheUrl {
 public:
  explicit DaemonWithCredentialsInTheUrl(const std::string& url) : port_(testing::free_port()) {
    testing::write_file(dir_.path() / "syncd.yaml",
                        "repository:\n  url: " + url + "\n  pollInterval: 1s\n" +
                            "state: {sqlite: " + (dir_.path() / "state/state.db").string() + "}\n" +
                            "listen: 127.0.0.1:" + std::to_string(port_) + "\n" +
                            "clusterAccess: none\negress: {allow: [127.0.0.0/8]}\n" +
                            "http: {insecure: true}\n");
    daemon_ = std::make_unique<testing::ChildProcess>(
        std::vector<std::string>{testing::nkd_binary(), "syncd", "--config",
                                 (dir_.path() / "syncd.yaml").string(), "--log-format", "json"},
        (dir_.path() / "syncd.log").string());
  }

  [[nodiscard]] std::string get(const std::string& path) const {
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(1, 0);
    client.set_read_timeout(3, 0);
    auto response = client.Get(path);
    return response ? response->body : "";
  }
  [[nodiscard]] std::string log() const { return testing::read_file(dir_.path() / "syncd.log"); }
  // Every byte of every file the daemon wrote (database, mirror, log, the config excepted).
  [[nodiscard]] std::string everything_written() const {
    std::string all;
    for (const auto& entry : fs::recursive_directory_iterator(dir_.path())) {
      if (entry.is_regular_file() && entry.path().filename() != "syncd.yaml") {
        all += testing::read_file(entry.path());
      }
    }
    return all;
  }
  // Stops the daemon so the database and its write-ahead log are complete on disk.
  void stop() { daemon_->stop(SIGTERM); }

 private:
  testing::ScratchDir dir_;
  int port_;
  std::unique_ptr<testing::ChildProcess> daemon_;
};

// A definitions repository behind Git smart HTTP that demands ops / s3cret-pass, and a daemon
// watching it with `user_part` written into repository.url.
class SecretsInTheUrl : public ::testing::Test {
 protected:
  SecretsInTheUrl() : repo_(served_.path(), "defs.git") {
    repo_.commit({{"clusters/alpha/cluster.yaml", "name: alpha\n"}}, "initial");
  }
  // Starts the daemon and waits for two fetches with `result`, so a first outcome and a repeated
  // one are both in its log.
  DaemonWithCredentialsInTheUrl& watch_with(const std::string& user_part,
                                            const std::string& result) {
    std::string url = server_.url("defs.git");
    url.insert(url.find("://") + 3, user_part + "@");
    daemon_ = std::make_unique<DaemonWithCredentialsInTheUrl>(url);
    const std::string twice = "nkd_source_fetch_total{result=\"" + result + "\"} 2";
    EXPECT_TRUE(testing::wait_until(
        [&] { return daemon_->get("/metrics").find(twice) != std::string::npos; }, 30s))
        << daemon_->log();
    return *daemon_;
  }
  // What the daemon told anyone who asked: its log and every read-only endpoint.
  std::string everything_said() const {
    return daemon_->log() + daemon_->get("/metrics") + daemon_->get("/readyz") +
           daemon_->get("/api/v1/clusters");
  }

  testing::ScratchDir served_;
  testing::GitRepoFixture repo_;
  testing::GitHttpServer server_{served_.path(), "ops", "s3cret-pass"};
  std::unique_ptr<DaemonWithCredentialsInTheUrl> daemon_;
};

TEST_F(SecretsInTheUrl, RefusedCredentialsReachNoLogApiOrMetric) {
  DaemonWithCredentialsInTheUrl& daemon = watch_with("tok3n-user:wr0ng-pass", "failure");
  const std::string said = everything_said();
  EXPECT_NE(said.find("<redacted>@127.0.0.1"), std::string::npos)
      << "the log should name the remote, redacted: " << daemon.log();
  daemon.stop();
  for (const char* secret : {"tok3n-user", "wr0ng-pass"}) {
    EXPECT_EQ(said.find(secret), std::string::npos) << secret << " was shown:\n" << said;
    EXPECT_EQ(daemon.everything_written().find(secret), std::string::npos)
        << secret << " was written to a file of the daemon's";
  }
}

TEST_F(SecretsInTheUrl, AcceptedCredentialsReachNoLogApiMetricOrStateFile) {
  DaemonWithCredentialsInTheUrl& daemon = watch_with("ops:s3cret-pass", "success");
  const std::string said = everything_said();
  daemon.stop();
  EXPECT_EQ(said.find("s3cret-pass"), std::string::npos) << "the password was shown:\n" << said;
  EXPECT_EQ(daemon.everything_written().find("s3cret-pass"), std::string::npos)
      << "the password was written to a file of the daemon's (mirror config, FETCH_HEAD, database)";
}

}  // namespace
}  // namespace nkd
