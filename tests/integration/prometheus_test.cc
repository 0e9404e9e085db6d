// nkd's /metrics read by the real tools: a real `prometheus` (Debian package prometheus) scrapes
// a running `nkd syncd` every second on 127.0.0.1 and evaluates the shipped alert rules, and
// `promtool check metrics` lints the exposition. The rules are loaded from a copy whose `for:`
// durations are all rewritten to 1s, so an alert fires within seconds instead of minutes; the
// expressions themselves are the shipped ones. Skipped when prometheus or promtool is missing.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "tests/support/syncd_fixture.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;
using testing::SyncdFixture;

bool have_tool(const std::string& name) {
  return testing::run_shell("command -v " + name).exit_code == 0;
}

// The shipped rules with every `for:` shortened to 1s.
std::string rules_with_short_for() {
  const std::string rules =
      testing::read_file(testing::source_dir() + "/examples-repo/alerts/nkd.rules.yaml");
  return std::regex_replace(rules, std::regex(R"(for: [0-9]+[smh])"), "for: 1s");
}

// A Prometheus server on a free loopback port with a scratch TSDB, scraping `target` as job
// "nkd"; stopped (SIGTERM, then SIGKILL) when the object goes.
class PrometheusServer {
 public:
  PrometheusServer(const std::filesystem::path& dir, const std::string& target)
      : port_(testing::free_port()), client_("127.0.0.1", port_) {
    testing::write_file(dir / "rules.yaml", rules_with_short_for());
    testing::write_file(dir / "prometheus.yml",
                        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                        "rule_files: [rules.yaml]\n"
                        "scrape_configs:\n"
                        "  - job_name: nkd\n"
                        "    static_configs: [{targets: ['" +
                            target + "']}]\n");
    process_ = std::make_unique<testing::ChildProcess>(
        std::vector<std::string>{"prometheus", "--config.file=" + (dir / "prometheus.yml").string(),
                                 "--storage.tsdb.path=" + (dir / "tsdb").string(),
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port_)},
        (dir / "prometheus.log").string());
    client_.set_connection_timeout(2);
    client_.set_read_timeout(5);
  }

  bool wait_ready(std::chrono::milliseconds timeout) {
    return testing::wait_until(
        [&] {
          auto response = client_.Get("/-/ready");
          return response && response->status == 200;
        },
        timeout);
  }

  // The `data` member of a /api/v1/... answer, or null when the request failed.
  nlohmann::json api(const std::string& path, const httplib::Params& params = {}) {
    auto response = client_.Get(path, params, httplib::Headers{});
    if (!response || response->status != 200) return nullptr;
    auto body = nlohmann::json::parse(response->body, nullptr, false);
    return body.is_discarded() ? nullptr : body["data"];
  }

  nlohmann::json query(const std::string& expression) {
    auto data = api("/api/v1/query", {{"query", expression}});
    return data.is_null() ? nlohmann::json::array() : data["result"];
  }

 private:
  int port_;
  httplib::Client client_;
  std::unique_ptr<testing::ChildProcess> process_;
};

bool alert_firing(PrometheusServer& prometheus, const std::string& name) {
  const auto data = prometheus.api("/api/v1/alerts");
  if (data.is_null()) return false;
  for (const auto& alert : data["alerts"]) {
    if (alert["labels"]["alertname"] == name && alert["state"] == "firing") return true;
  }
  return false;
}

TEST(Prometheus, ScrapesSyncdAndFiresRenderFailingOnAnInvalidCommit) {
  if (!have_tool("prometheus")) GTEST_SKIP() << "prometheus is not installed";
  SyncdFixture fixture;
  fixture.start_daemon("1s");
  const std::string good = fixture.head();
  ASSERT_TRUE(fixture.wait_applied("edge-lab", good, 20s)) << fixture.log();
  ASSERT_TRUE(fixture.wait_applied("lab-two", good, 20s)) << fixture.log();

  const testing::ScratchDir dir;
  PrometheusServer prometheus(dir.path(), "127.0.0.1:" + std::to_string(fixture.port()));
  ASSERT_TRUE(prometheus.wait_ready(30s)) << testing::read_file(dir.path() / "prometheus.log");
  ASSERT_TRUE(
      testing::wait_until([&] { return !prometheus.query("up{job=\"nkd\"} == 1").empty(); }, 20s))
      << testing::read_file(dir.path() / "prometheus.log");

  std::map<std::string, std::string> applied;
  for (const auto& series : prometheus.query("nkd_cluster_applied_revision_info == 1")) {
    applied[series["metric"]["cluster"]] = series["metric"]["revision"];
  }
  EXPECT_EQ(applied, (std::map<std::string, std::string>{{"edge-lab", good}, {"lab-two", good}}));
  EXPECT_FALSE(alert_firing(prometheus, "NkdRenderFailing"));
  // absent(up) holds for the moment before the first scrape, so NkdDown (for: 1s here) may
  // fire at start; it must resolve once scrapes succeed.
  EXPECT_TRUE(testing::wait_until([&] { return !alert_firing(prometheus, "NkdDown"); }, 15s));

  fixture.commit("sed -i 's/version: v1.29.1/version: v1.29/' clusters/edge-lab/cluster.yaml",
                 "Typo");
  EXPECT_TRUE(
      testing::wait_until([&] { return alert_firing(prometheus, "NkdRenderFailing"); }, 30s))
      << prometheus.api("/api/v1/alerts").dump() << "\n"
      << fixture.log();
  EXPECT_FALSE(alert_firing(prometheus, "NkdSourceStale"));
}

TEST(Prometheus, PromtoolFindsNoProblemInTheExposition) {
  if (!have_tool("promtool")) GTEST_SKIP() << "promtool is not installed";
  SyncdFixture fixture;
  fixture.start_daemon("1s");
  ASSERT_TRUE(fixture.wait_applied("edge-lab", fixture.head(), 20s)) << fixture.log();
  const std::string text = fixture.metrics();
  // Families that only appear after events: make sure the lint saw them with samples.
  for (const char* name :
       {"nkd_source_fetch_total{", "nkd_reconcile_duration_seconds_bucket{", "nkd_cluster_nodes{",
        "nkd_source_head_valid 1", "process_resident_memory_bytes "}) {
    EXPECT_NE(text.find(name), std::string::npos) << name << " missing from\n" << text;
  }
  const auto check = testing::run_command({"promtool", "check", "metrics"}, "", text);
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_EQ(check.out + check.err, "") << text;
}

}  // namespace
}  // namespace nkd
