// `nkd plan`'s rollout waves: each changed cluster's wave (from metadata.labels.wave) and the
// order the daemon applies the waves in, in text, Markdown and JSON; unchanged and removed
// clusters take part in no wave.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "plan/review/plan.h"
#include "plan/review/plan_format.h"
#include "tests/support/render_fixtures.h"

namespace nkd {
namespace {

using plan::ClusterChange;

plan::ClusterPlan cluster(const std::string& name, ClusterChange change, int wave) {
  return plan::ClusterPlan{.name = name, .change = change, .wave = wave};
}

// staging in wave 0, prod-east and prod-west in wave 1, dr in wave 5; plus an unchanged cluster
// and a removed one, both labelled with an early wave.
plan::Plan three_waves() {
  plan::Plan plan{.base_revision = "base", .head_revision = "head"};
  plan.clusters = {cluster("dr", ClusterChange::kChanged, 5),
                   cluster("lab", ClusterChange::kUnchanged, 0),
                   cluster("old", ClusterChange::kRemoved, 0),
                   cluster("prod-east", ClusterChange::kChanged, 1),
                   cluster("prod-west", ClusterChange::kAdded, 1),
                   cluster("staging", ClusterChange::kChanged, 0)};
  return plan;
}

TEST(PlanWaves, ChangedClustersAreOrderedByWave) {
  const std::vector<plan::PlannedWave> waves = plan::rollout_waves(three_waves());
  ASSERT_EQ(waves.size(), 3u);
  EXPECT_EQ(waves[0].wave, 0);
  EXPECT_EQ(waves[0].clusters, std::vector<std::string>{"staging"});
  EXPECT_EQ(waves[1].wave, 1);
  EXPECT_EQ(waves[1].clusters, (std::vector<std::string>{"prod-east", "prod-west"}));
  EXPECT_EQ(waves[2].wave, 5);
  EXPECT_EQ(plan::describe_wave(waves, 1),
            "wave 1 (2 of 3): prod-east, prod-west (after wave 0 is done)");
}

TEST(PlanWaves, TextListsTheOrderAndEachClustersWave) {
  const std::string text = plan::format_text(three_waves());
  EXPECT_NE(text.find("Rollout in 3 waves (" + std::string(plan::kWaveRule) + "):\n"
                      "  wave 0 (1 of 3): staging\n"
                      "  wave 1 (2 of 3): prod-east, prod-west (after wave 0 is done)\n"
                      "  wave 5 (3 of 3): dr (after wave 1 is done)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("~ prod-east (changed): no node changes; wave 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("- old (removed): no node changes\n"), std::string::npos) << text;
  const std::string markdown = plan::format_markdown(three_waves());
  EXPECT_NE(markdown.find("**Rollout in 3 waves**"), std::string::npos) << markdown;
  EXPECT_NE(markdown.find("- wave 5 (3 of 3): dr (after wave 1 is done)\n"), std::string::npos)
      << markdown;
}

TEST(PlanWaves, JsonCarriesEachClustersWaveAndTheOrder) {
  const nlohmann::json json = plan::to_json(three_waves());
  EXPECT_EQ(json["clusters"][0]["wave"], 5);
  EXPECT_TRUE(json["clusters"][2]["wave"].is_null()) << "a removed cluster is in no wave";
  ASSERT_EQ(json["waves"].size(), 3u);
  EXPECT_EQ(json["waves"][1],
            (nlohmann::json{{"wave", 1}, {"clusters", {"prod-east", "prod-west"}}, {"after", 0}}));
  EXPECT_TRUE(json["waves"][0]["after"].is_null());
}

TEST(PlanWaves, OneWaveSaysNothingAboutOrder) {
  plan::Plan plan{.base_revision = "base", .head_revision = "head"};
  plan.clusters = {cluster("a", ClusterChange::kChanged, 0),
                   cluster("b", ClusterChange::kAdded, 0)};
  const std::string text = plan::format_text(plan);
  EXPECT_EQ(text.find("wave"), std::string::npos) << text;
  EXPECT_EQ(plan::to_json(plan)["waves"].size(), 1u);
}

TEST(PlanWaves, TheHeadDefinitionGivesTheWave) {
  model::Cluster labelled = testing::bare_metal_cluster();
  labelled.wave = 2;
  const testing::RenderedCluster head(labelled);
  const plan::SecretRedactor redactor(std::vector<std::string>{});
  const auto added = plan::plan_cluster(
      {.name = "lab", .head = &head.cluster, .head_render = &head.render, .redactor = &redactor});
  EXPECT_EQ(added.wave, 2);
}

}  // namespace
}  // namespace nkd
