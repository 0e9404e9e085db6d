// Operators beside Git, against the real daemon: `nkd suspend|resume|sync` and their endpoints
// (refused without a configured token, 401 with a wrong one), suspension in history and status
// and across a restart, and a maintenance window that holds a node's new config while it is
// closed. The window arithmetic with a clock that moves is in tests/unit (this daemon runs on
// the wall clock), so here the windows are set hours away from now, or around it.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "tests/support/syncd_fixture.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;
using testing::SyncdFixture;

constexpr const char* kToken = "operator-token-0123456789abcdef";

std::string token_file(SyncdFixture& fixture) {
  const auto path = fixture.dir() / "operator-token";
  testing::write_file(path, std::string(kToken) + "\n");
  return path.string();
}

testing::CommandResult nkd(SyncdFixture& fixture, std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), testing::nkd_binary());
  arguments.push_back("--server");
  arguments.push_back(fixture.url());
  return testing::run_command(arguments);
}

int post(SyncdFixture& fixture, const std::string& path, const std::string& token,
         std::string* body = nullptr) {
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  auto response = fixture.client()->Post(path, headers, "", "text/plain");
  if (!response) return 0;
  if (body != nullptr) *body = response->body;
  return response->status;
}

bool wait_phase(SyncdFixture& fixture, const std::string& cluster, const std::string& phase) {
  return testing::wait_until([&] {
    return fixture.get_json("/api/v1/clusters/" + cluster).value("phase", "") == phase;
  }, 20s);
}

// Every day, starting `from_now` from the current UTC minute, for `duration`.
std::string daily_window(std::chrono::minutes from_now, const std::string& duration) {
  const std::time_t start = std::time(nullptr) + from_now.count() * 60;
  std::tm utc{};
  gmtime_r(&start, &utc);
  char text[8];
  std::strftime(text, sizeof(text), "%H:%M", &utc);
  return std::string("{start: \"") + text + "\", duration: " + duration + ", timezone: UTC}";
}

TEST(SyncdOperator, EndpointsRefuseUntilATokenIsConfigured) {
  SyncdFixture fixture;
  fixture.start_daemon("1h");
  ASSERT_TRUE(fixture.wait_applied("edge-lab", fixture.head(), 20s)) << fixture.log();
  std::string body;
  EXPECT_EQ(post(fixture, "/api/v1/clusters/edge-lab/suspend", kToken, &body), 403);
  EXPECT_NE(body.find("set api.operatorTokenFile"), std::string::npos) << body;
  const auto cli = nkd(fixture, {"suspend", "edge-lab"});
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_NE(cli.err.find("nkd suspend: operator actions are disabled"), std::string::npos) << cli.err;
  EXPECT_FALSE(fixture.get_json("/api/v1/clusters/edge-lab")["suspended"].get<bool>());
}

TEST(SyncdOperator, SuspendResumeAndSyncThroughTheCliAndTheApi) {
  SyncdFixture fixture;
  const std::string tokens = token_file(fixture);
  fixture.start_daemon("1h", "api: {operatorTokenFile: " + tokens + "}\n");
  const std::string first = fixture.head();
  ASSERT_TRUE(fixture.wait_applied("edge-lab", first, 20s)) << fixture.log();

  EXPECT_EQ(post(fixture, "/api/v1/clusters/edge-lab/suspend", ""), 401);
  EXPECT_EQ(post(fixture, "/api/v1/clusters/edge-lab/suspend", "not-the-token-at-all"), 401);
  EXPECT_EQ(post(fixture, "/api/v1/clusters/nowhere/suspend", kToken), 404);
  const auto suspended = nkd(fixture, {"suspend", "edge-lab", "--reason", "disk swap on rack 4",
                                       "--token-file", tokens});
  ASSERT_EQ(suspended.exit_code, 0) << suspended.err;
  EXPECT_NE(suspended.out.find("cluster edge-lab suspended"), std::string::npos) << suspended.out;
  ASSERT_TRUE(wait_phase(fixture, "edge-lab", "Suspended")) << fixture.log();
  auto record = fixture.get_json("/api/v1/clusters/edge-lab");
  EXPECT_TRUE(record["suspended"].get<bool>());
  EXPECT_EQ(record["suspendReason"], "disk swap on rack 4");
  EXPECT_NE(fixture.metrics().find("nkd_cluster_suspended{cluster=\"edge-lab\"} 1"), std::string::npos);

  // A commit while suspended: validated, recorded as pending, not applied.
  const std::string second = fixture.commit(
      "sed -i 's/dev@example.org/ops@example.org/' clusters/edge-lab/cluster.yaml", "New key");
  const auto synced_while_suspended = nkd(fixture, {"sync", "edge-lab", "--token-file", tokens});
  EXPECT_EQ(synced_while_suspended.exit_code, 1);
  EXPECT_NE(synced_while_suspended.err.find("is suspended; run nkd resume edge-lab first"),
            std::string::npos) << synced_while_suspended.err;
  // lab-two is not suspended: syncing it fetches Git, which brings the commit in.
  ASSERT_EQ(nkd(fixture, {"sync", "lab-two", "--token-file", tokens}).exit_code, 0);
  ASSERT_TRUE(testing::wait_until([&] {
    return fixture.get_json("/api/v1/clusters/edge-lab")["observedRevision"] == second;
  }, 20s)) << fixture.log();
  ASSERT_TRUE(fixture.wait_applied("lab-two", second, 20s));
  auto history = fixture.get_json("/api/v1/clusters/edge-lab/history");
  ASSERT_TRUE(testing::wait_until([&] {
    history = fixture.get_json("/api/v1/clusters/edge-lab/history");
    return history.size() == 3u;
  }, 10s)) << history.dump();
  EXPECT_EQ(history[0]["outcome"], "pending");
  EXPECT_EQ(history[0]["revision"], second);
  EXPECT_EQ(history[1]["outcome"], "suspended");
  EXPECT_EQ(history[1]["message"], "suspended by an operator: disk swap on rack 4");
  EXPECT_EQ(fixture.get_json("/api/v1/clusters/edge-lab")["appliedRevision"], first);

  const auto list = nkd(fixture, {"status"});
  EXPECT_NE(list.out.find("Suspended"), std::string::npos) << list.out;
  const auto detail = nkd(fixture, {"status", "edge-lab"});
  EXPECT_NE(detail.out.find("suspended: since "), std::string::npos) << detail.out;
  EXPECT_NE(detail.out.find("(disk swap on rack 4)"), std::string::npos) << detail.out;

  // The suspension is stored: a restarted daemon keeps it.
  ASSERT_EQ(fixture.stop_daemon(SIGTERM), 0);
  fixture.start_daemon("1h", "api: {operatorTokenFile: " + tokens + "}\n");
  ASSERT_TRUE(testing::wait_until([&] {
    return fixture.get_json("/api/v1/clusters/edge-lab").value("suspended", false);
  }, 20s));
  EXPECT_EQ(fixture.get_json("/api/v1/clusters/edge-lab")["appliedRevision"], first);

  const auto resumed = nkd(fixture, {"resume", "edge-lab", "--token-file", tokens});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  ASSERT_TRUE(fixture.wait_applied("edge-lab", second, 20s)) << fixture.log();
  history = fixture.get_json("/api/v1/clusters/edge-lab/history");
  ASSERT_EQ(history.size(), 4u) << history.dump();
  EXPECT_EQ(history[0]["outcome"], "resumed");
  EXPECT_EQ(history[1]["outcome"], "applied");
  EXPECT_EQ(history[1]["revision"], second);
  EXPECT_FALSE(fixture.get_json("/api/v1/clusters/edge-lab")["suspended"].get<bool>());
  EXPECT_NE(fixture.metrics().find("nkd_cluster_suspended{cluster=\"edge-lab\"} 0"), std::string::npos);
  EXPECT_EQ(nkd(fixture, {"resume", "edge-lab", "--token-file", tokens}).out,
            "cluster edge-lab is not suspended\n");
}

TEST(SyncdOperator, ClosedWindowHoldsARunningNodesNewConfigAndAnOpenOneLetsItThrough) {
  SyncdFixture fixture;
  fixture.start_daemon("1s");
  // Closed for the next eleven hours at least; edge-lab's nodes run nothing yet, so its first
  // configs go out.
  const std::string closed = fixture.commit(
      "printf '  maintenance:\\n    windows: [" + daily_window(12h, "1h") +
          "]\\n' >> clusters/edge-lab/cluster.yaml",
      "Maintenance window for edge-lab");
  ASSERT_TRUE(fixture.wait_applied("edge-lab", closed, 20s)) << fixture.log();
  const std::string worker = "/ignition/edge-lab/edge-lab-worker-0";
  const httplib::Headers bearer = {{"Authorization", "Bearer " + fixture.node_token("edge-lab", "edge-lab-worker-0")}};
  auto fetched = fixture.client()->Get(worker, bearer);
  ASSERT_TRUE(fetched && fetched->status == 200);
  const std::string running = fetched->get_header_value("ETag");

  // A first-boot input changes (the users' keys): the worker would need a new machine.
  const std::string rekeyed = fixture.commit(
      "sed -i 's/dev@example.org/ops@example.org/' clusters/edge-lab/cluster.yaml", "New key");
  ASSERT_TRUE(wait_phase(fixture, "edge-lab", "WaitingForWindow")) << fixture.log();
  const auto record = fixture.get_json("/api/v1/clusters/edge-lab");
  EXPECT_EQ(record["appliedRevision"], closed);
  EXPECT_NE(record["phaseMessage"].get<std::string>().find("replace edge-lab-worker-0"), std::string::npos)
      << record.dump();
  fetched = fixture.client()->Get(worker, bearer);
  ASSERT_TRUE(fetched && fetched->status == 200);
  EXPECT_EQ(fetched->get_header_value("ETag"), running);
  EXPECT_NE(fixture.metrics().find("nkd_cluster_waiting_for_window{cluster=\"edge-lab\"} 1"),
            std::string::npos);
  const auto detail = nkd(fixture, {"status", "edge-lab"});
  EXPECT_NE(detail.out.find("phase:     WaitingForWindow"), std::string::npos) << detail.out;
  EXPECT_NE(detail.out.find("waiting:   held: replace edge-lab-worker-0"), std::string::npos) << detail.out;
  const auto plan = testing::run_command({testing::nkd_binary(), "plan", "--repo",
                                          (fixture.dir() / "work").string(), "--base", closed,
                                          "--head", rekeyed, "--format", "json"});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  bool waits = false;
  const nlohmann::json planned = nlohmann::json::parse(plan.out);
  for (const auto& cluster : planned["clusters"]) {
    if (cluster["name"] == "edge-lab") waits = cluster["waitsForWindow"].get<bool>();
  }
  EXPECT_TRUE(waits) << plan.out;

  // A window around now: the change goes out.
  const std::string open = fixture.commit(
      "sed -i 's/windows: \\[.*\\]/windows: [" + daily_window(-60min, "3h") +
          "]/' clusters/edge-lab/cluster.yaml",
      "Open the window");
  ASSERT_TRUE(fixture.wait_applied("edge-lab", open, 20s)) << fixture.log();
  fetched = fixture.client()->Get(worker, bearer);
  ASSERT_TRUE(fetched && fetched->status == 200);
  EXPECT_NE(fetched->get_header_value("ETag"), running);
  EXPECT_NE(fixture.metrics().find("nkd_cluster_waiting_for_window{cluster=\"edge-lab\"} 0"),
            std::string::npos);
}

}  // namespace
}  // namespace nkd
