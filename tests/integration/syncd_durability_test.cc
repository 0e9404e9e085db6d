// Durability of `nkd syncd`: while commits keep arriving, the daemon is killed with SIGKILL at
// 20 random moments and restarted. Afterwards every cluster's applied revision is the head,
// the history has no lost or duplicated row, and the SQLite file passes integrity_check.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <random>
#include <thread>

#include "state/sqlite_state_store.h"
#include "tests/support/syncd_fixture.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;

constexpr int kExtraClusters = 12;
constexpr int kKills = 20;

std::vector<std::string> cluster_names() {
  std::vector<std::string> names = {"edge-lab", "lab-two"};
  for (int i = 0; i < kExtraClusters; ++i) names.push_back((i < 10 ? "lab-0" : "lab-") + std::to_string(i));
  return names;
}

TEST(SyncdDurability, SurvivesTwentySigkillsWithoutLosingOrDuplicatingHistory) {
  testing::SyncdFixture fixture(kExtraClusters);
  std::mt19937 random(20261125);
  const auto names = cluster_names();
  std::uniform_int_distribution<std::size_t> pick(0, names.size() - 1);
  std::uniform_int_distribution<int> delay_ms(30, 400);
  int version = 0;
  for (int kill = 0; kill < kKills; ++kill) {
    fixture.start_daemon("1s");
    // Keep the daemon busy: a commit that changes three clusters, then a kill mid-reconcile.
    std::string script = "true";
    for (int change = 0; change < 3; ++change) {
      const std::string name = names[pick(random)];
      script += " && sed -i 's/maxUnavailable: [0-9]*/maxUnavailable: " + std::to_string(++version % 7 + 1) +
                "/' clusters/" + name + "/cluster.yaml";
    }
    fixture.commit(script, "change " + std::to_string(kill));
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
    fixture.stop_daemon(SIGKILL);
  }
  fixture.start_daemon("1s");
  const std::string head = fixture.head();
  for (const auto& name : names) {
    ASSERT_TRUE(testing::wait_until([&] {
      const auto record = fixture.get_json("/api/v1/clusters/" + name);
      return record.contains("appliedRevision") && record["appliedRevision"] == head &&
             record["phase"] == "WaitingForCluster";
    }, 30s)) << name << "\n" << fixture.log();
  }
  fixture.stop_daemon(SIGTERM);

  auto store = state::SqliteStateStore::open(fixture.state_db());
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ((*store)->integrity_check().value(), "ok");
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    const auto record = (*store)->get_cluster(name).value().value();
    const auto rows = (*store)->history(name, 0).value();
    ASSERT_FALSE(rows.empty());
    // The newest row is the applied render of the head's definition.
    EXPECT_EQ(rows.front().outcome, state::Outcome::kApplied);
    EXPECT_EQ(rows.front().render_digest, record.render_digest);
    // No duplicate: two neighbouring finished rows never share digest and outcome, and every
    // row is finished (a row opened before a kill was resumed, not left behind).
    for (std::size_t i = 0; i < rows.size(); ++i) {
      EXPECT_NE(rows[i].outcome, state::Outcome::kPending) << "row " << rows[i].id;
      if (i + 1 < rows.size()) {
        EXPECT_FALSE(rows[i].render_digest == rows[i + 1].render_digest &&
                     rows[i].outcome == rows[i + 1].outcome)
            << "rows " << rows[i].id << " and " << rows[i + 1].id;
      }
    }
    // No loss: each digest the cluster was applied with appears once per change.
    std::map<std::string, int> applied;
    for (const auto& row : rows) {
      if (row.outcome == state::Outcome::kApplied) ++applied[row.render_digest];
    }
    EXPECT_EQ(applied.count(record.render_digest), 1u);
  }
}

}  // namespace
}  // namespace nkd
