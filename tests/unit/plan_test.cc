// The Planner: unified diffs, secret redaction, first-boot change detection, node actions for
// scale up/down, in-place upgrades, extra files, added/removed clusters, the daemon's view, and
// the three output forms. Renders use the placeholder PKI, so every expectation is exact.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "render/render.h"
#include "syncd/plan/ignition_review.h"
#include "syncd/plan/plan.h"
#include "syncd/plan/plan_format.h"
#include "syncd/plan/unified_diff.h"
#include "tests/support/render_fixtures.h"

namespace nkd {
namespace {

using plan::ClusterChange;
using plan::NodeAction;

// A cluster's model, PKI and render, kept together so the planner's pointers stay valid.
struct Side {
  model::Cluster cluster;
  pki::ClusterPki pki;
  render::ClusterRender render;

  explicit Side(model::Cluster model)
      : cluster(std::move(model)),
        pki(testing::placeholder_pki(cluster)),
        render(render::render_cluster(cluster, pki, {})) {}
};

std::vector<std::string> secrets_of(const Side& side) {
  std::vector<std::string> secrets = {side.pki.bootstrap_token_secret.reveal(),
                                      side.pki.node_token_key.reveal()};
  for (const auto& node : side.render.nodes) secrets.push_back(node.fetch_token.reveal());
  return secrets;
}

model::Pool& pool_named(model::Cluster& cluster, const std::string& name) {
  for (auto& pool : cluster.pools) {
    if (pool.name == name) return pool;
  }
  throw std::runtime_error("no pool " + name);
}

plan::ClusterPlan plan_between(const Side& base, const Side& head,
                               std::optional<std::set<std::string>> actual = std::nullopt) {
  const plan::SecretRedactor redactor(secrets_of(head));
  const auto pinned = plan::with_base_versions(base.cluster, head.cluster);
  std::optional<render::ClusterRender> pinned_render;
  if (pinned) pinned_render = render::render_cluster(*pinned, head.pki, {});
  return plan::plan_cluster({.name = head.cluster.name,
                             .base = &base.cluster,
                             .base_render = &base.render,
                             .head = &head.cluster,
                             .head_render = &head.render,
                             .head_at_base_versions = pinned_render ? &*pinned_render : nullptr,
                             .actual_nodes = std::move(actual),
                             .redactor = &redactor});
}

std::vector<std::string> names_of(const plan::ClusterPlan& plan, NodeAction action) {
  std::vector<std::string> names;
  for (const auto& step : plan.nodes) {
    if (step.action == action) names.push_back(step.name);
  }
  return names;
}

TEST(UnifiedDiff, MatchesDiffUFormat) {
  const std::string before = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n";
  const std::string after = "a\nb\nc\nD\ne\nf\ng\nh\ni\nj\nk\n";
  EXPECT_EQ(plan::unified_diff(before, after, "x", "y", 2),
            "--- x\n+++ y\n"
            "@@ -2,5 +2,5 @@\n b\n c\n-d\n+D\n e\n f\n"
            "@@ -9,2 +9,3 @@\n i\n j\n+k\n");
}

TEST(UnifiedDiff, EqualTextsGiveNothingAndInsertionIntoEmptyNamesLineZero) {
  EXPECT_EQ(plan::unified_diff("same\n", "same\n", "x", "y"), "");
  EXPECT_EQ(plan::unified_diff("", "new\n", "x", "y"), "--- x\n+++ y\n@@ -0,0 +1 @@\n+new\n");
}

TEST(SecretRedactor, HidesPrivateKeysAndKnownValuesBehindStableDigests) {
  const plan::SecretRedactor redactor({"s3cret-token"});
  const std::string text = "token: s3cret-token\n" + testing::fake_pem("EC PRIVATE KEY", "abc") +
                           testing::fake_pem("CERTIFICATE", "public");
  const std::string redacted = redactor.redact(text);
  EXPECT_EQ(redacted.find("s3cret-token"), std::string::npos);
  EXPECT_EQ(redacted.find("PRIVATE KEY"), std::string::npos);
  EXPECT_NE(redacted.find("-----BEGIN CERTIFICATE-----"), std::string::npos);
  EXPECT_NE(redacted.find(plan::SecretRedactor::placeholder("s3cret-token")), std::string::npos);
  EXPECT_EQ(redacted, redactor.redact(text));
}

TEST(IgnitionReview, DecodesFilesIntoLinesAndRedactsPasswordHashes) {
  const Side side(testing::openstack_cluster());
  const plan::SecretRedactor redactor(secrets_of(side));
  const std::string review = plan::review_ignition(side.render.nodes[0].ignition, redactor);
  EXPECT_NE(review.find("\"Managed by nkd\""), std::string::npos) << "motd decoded into lines";
  EXPECT_EQ(review.find("$6$salt$hashedpassword"), std::string::npos);
  EXPECT_EQ(review.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(review.find(side.pki.bootstrap_token_secret.reveal()), std::string::npos);
  EXPECT_EQ(review.find("data:;base64,"), std::string::npos);
}

TEST(FirstBootChanges, NameTheFileUnitAndUserThatChanged) {
  const Side base(testing::openstack_cluster());
  model::Cluster changed = testing::openstack_cluster();
  changed.ignition.files[0].contents = "Maintenance at noon\n";
  changed.ignition.units.push_back({.name = "extra.service", .enabled = true, .contents = "[Unit]\n"});
  changed.users[0].ssh_authorized_keys.push_back("ssh-ed25519 BBBB second@example");
  const Side head(changed);
  EXPECT_EQ(plan::first_boot_changes(base.render.nodes[3].ignition, head.render.nodes[3].ignition),
            (std::vector<std::string>{"file /etc/motd: content changed", "unit extra.service added",
                                      "user nest: sshAuthorizedKeys changed"}));
}

TEST(PlanCluster, ScaleUpCreatesOnlyTheNewNode) {
  const Side base(testing::openstack_cluster());
  model::Cluster bigger = testing::openstack_cluster();
  pool_named(bigger, "workers").replicas = 3;
  const auto plan = plan_between(base, Side(bigger));
  EXPECT_EQ(plan.change, ClusterChange::kChanged);
  EXPECT_EQ(names_of(plan, NodeAction::kCreate), std::vector<std::string>{"prod-east-workers-2"});
  EXPECT_TRUE(names_of(plan, NodeAction::kReplace).empty());
  EXPECT_TRUE(names_of(plan, NodeAction::kDelete).empty());
}

TEST(PlanCluster, ScaleDownDeletesHighestIndexesFirst) {
  model::Cluster big = testing::openstack_cluster();
  pool_named(big, "workers").replicas = 5;
  model::Cluster small = testing::openstack_cluster();
  pool_named(small, "workers").replicas = 2;
  const auto plan = plan_between(Side(big), Side(small));
  EXPECT_EQ(names_of(plan, NodeAction::kDelete),
            (std::vector<std::string>{"prod-east-workers-4", "prod-east-workers-3", "prod-east-workers-2"}));
  EXPECT_TRUE(names_of(plan, NodeAction::kReplace).empty());
}

TEST(PlanCluster, VersionBumpIsAnInPlaceRolloutInTheOperatorsPasses) {
  const Side base(testing::openstack_cluster());
  model::Cluster newer = testing::openstack_cluster();
  newer.kubernetes.version = "v1.30.2";
  newer.os.version = "22.03-LTS-SP4";
  const auto plan = plan_between(base, Side(newer));
  EXPECT_TRUE(names_of(plan, NodeAction::kReplace).empty()) << "housekeeper upgrades in place";
  ASSERT_EQ(plan.upgrades.size(), 2u);
  EXPECT_EQ(plan.upgrades[0].field, "os.version");
  EXPECT_EQ(plan.upgrades[1].field, "kubernetes.version");
  EXPECT_EQ(plan.upgrades[1].to, "v1.30.2");
  ASSERT_TRUE(plan.rollout.has_value());
  // housekeeper's operator starts one control-plane node and maxUnavailable (2) workers per pass.
  EXPECT_EQ(plan.rollout->passes,
            (std::vector<std::vector<std::string>>{
                {"prod-east-control-plane-0", "prod-east-gpu-0", "prod-east-workers-0"},
                {"prod-east-control-plane-1", "prod-east-workers-1"},
                {"prod-east-control-plane-2"}}));
  EXPECT_EQ(plan.rollout->steps, 3);
  EXPECT_NE(plan.rollout->update_yaml.find("kubeVersion: \"v1.30.2\""), std::string::npos)
      << plan.rollout->update_yaml;
  ASSERT_FALSE(plan.node_diffs.empty());
  EXPECT_FALSE(plan.node_diffs[0].replaced);
  EXPECT_TRUE(plan.manifests.empty()) << "the Update is an upgrade request, not a rendered manifest";
  ASSERT_FALSE(plan.notes.empty());
  EXPECT_NE(plan.notes[0].find("os.imageURL does not"), std::string::npos) << plan.notes[0];
}

TEST(PlanCluster, OsOnlyUpgradeLeavesKubeVersionEmpty) {
  const Side base(testing::openstack_cluster());
  model::Cluster newer = testing::openstack_cluster();
  newer.os.version = "22.03-LTS-SP4";
  newer.os.image_url = "registry.example.org/nestos/nestos:22.03-LTS-SP4";
  const auto plan = plan_between(base, Side(newer));
  ASSERT_TRUE(plan.rollout.has_value());
  EXPECT_NE(plan.rollout->update_yaml.find("kubeVersion: \"\""), std::string::npos)
      << plan.rollout->update_yaml;
  ASSERT_FALSE(plan.notes.empty());
  EXPECT_NE(plan.notes[0].find("OS-only"), std::string::npos);
}

TEST(PlanCluster, ChangedExtraFileReplacesEveryNodeAndSaysWhy) {
  const Side base(testing::openstack_cluster());
  model::Cluster changed = testing::openstack_cluster();
  changed.ignition.files[0].contents = "Maintenance at noon\n";
  changed.kubernetes.version = "v1.30.2";  // carried in place; must not hide the file change
  const auto plan = plan_between(base, Side(changed));
  ASSERT_EQ(plan.count(NodeAction::kReplace), 6u);
  for (const auto& step : plan.nodes) {
    EXPECT_EQ(step.reasons, std::vector<std::string>{"file /etc/motd: content changed"}) << step.name;
  }
  EXPECT_EQ(plan.nodes.front().name, "prod-east-control-plane-0");
  ASSERT_EQ(plan.node_diffs.size(), 6u);
  EXPECT_TRUE(plan.node_diffs[0].replaced);
  EXPECT_NE(plan.node_diffs[0].diff.find("+            \"Maintenance at noon\""), std::string::npos)
      << plan.node_diffs[0].diff;
}

TEST(PlanCluster, AddedAndRemovedClusters) {
  const Side side(testing::bare_metal_cluster());
  const plan::SecretRedactor redactor(secrets_of(side));
  const auto added = plan::plan_cluster(
      {.name = "lab", .head = &side.cluster, .head_render = &side.render, .redactor = &redactor});
  EXPECT_EQ(added.change, ClusterChange::kAdded);
  EXPECT_EQ(names_of(added, NodeAction::kCreate), (std::vector<std::string>{"bm-0", "bm-1", "bm-2"}));
  EXPECT_EQ(added.manifests.size(), 6u);
  const auto removed = plan::plan_cluster(
      {.name = "lab", .base = &side.cluster, .base_render = &side.render, .redactor = &redactor});
  EXPECT_EQ(removed.change, ClusterChange::kRemoved);
  EXPECT_EQ(names_of(removed, NodeAction::kDelete), (std::vector<std::string>{"bm-2", "bm-1", "bm-0"}));
  ASSERT_EQ(removed.notes.size(), 1u);
  EXPECT_NE(removed.notes[0].find("Orphaned"), std::string::npos);
}

TEST(PlanCluster, TheDaemonsViewDecidesWhatExists) {
  const Side side(testing::openstack_cluster());
  std::set<std::string> actual;
  for (const auto& node : side.render.nodes) actual.insert(node.node.name);
  actual.erase("prod-east-workers-1");
  actual.insert("prod-east-workers-7");
  const auto plan = plan_between(side, side, actual);
  EXPECT_EQ(names_of(plan, NodeAction::kCreate), std::vector<std::string>{"prod-east-workers-1"});
  EXPECT_EQ(names_of(plan, NodeAction::kDelete), std::vector<std::string>{"prod-east-workers-7"});
}

TEST(PlanFormats, NoSecretReachesAnyOutput) {
  model::Cluster base_model = testing::openstack_cluster();
  const Side base(base_model);
  model::Cluster changed = base_model;
  changed.ignition.files[0].contents = "Maintenance\n";
  pool_named(changed, "control-plane").replicas = 4;
  const Side head(changed);
  plan::Plan plan{.base_revision = std::string(40, 'a'), .head_revision = std::string(40, 'b')};
  plan.clusters.push_back(plan_between(base, head));
  const std::vector<std::string> outputs = {plan::format_text(plan), plan::format_markdown(plan),
                                            plan::to_json(plan).dump()};
  std::vector<std::string> secrets = secrets_of(base);
  for (const auto& secret : secrets_of(head)) secrets.push_back(secret);
  secrets.push_back("$6$salt$hashedpassword");
  secrets.push_back("PRIVATE KEY");
  for (const auto& output : outputs) {
    EXPECT_NE(output.find("Maintenance"), std::string::npos);
    for (const auto& secret : secrets) EXPECT_EQ(output.find(secret), std::string::npos) << secret;
  }
}

TEST(PlanFormats, MarkdownIsCutToItsLimitWithANote) {
  const Side base(testing::openstack_cluster());
  model::Cluster changed = testing::openstack_cluster();
  changed.ignition.files[0].contents = "Maintenance\n";
  plan::Plan plan{.base_revision = std::string(40, 'a'), .head_revision = std::string(40, 'b')};
  for (const char* name : {"alpha", "beta", "gamma", "delta", "epsilon", "zeta"}) {
    auto cluster = plan_between(base, Side(changed));
    cluster.name = name;
    plan.clusters.push_back(std::move(cluster));
  }
  const std::string whole = plan::format_markdown(plan, 10'000'000);
  // Room for the summary and about one cluster's section: the others must be cut.
  const std::size_t limit = whole.size() / 2;
  const std::string cut = plan::format_markdown(plan, limit);
  EXPECT_EQ(whole.find("cut here"), std::string::npos);
  EXPECT_LE(cut.size(), limit);
  EXPECT_NE(cut.find("| gamma | changed |"), std::string::npos) << "the summary table is always whole";
  EXPECT_NE(cut.find("cut here"), std::string::npos);
  EXPECT_EQ(std::count(cut.begin(), cut.end(), '`') % 2, 0) << "no fence left open";
}

TEST(PlanFormats, JsonSchemaFields) {
  const Side base(testing::openstack_cluster());
  model::Cluster bigger = testing::openstack_cluster();
  pool_named(bigger, "gpu").replicas = 2;
  plan::Plan plan{.base_revision = "base", .head_revision = "head"};
  plan.clusters.push_back(plan_between(base, Side(bigger)));
  const auto json = plan::to_json(plan);
  EXPECT_EQ(json["schemaVersion"], 1);
  EXPECT_EQ(json["changed"], true);
  const auto& cluster = json["clusters"][0];
  EXPECT_EQ(cluster["change"], "changed");
  EXPECT_EQ(cluster["nodes"][0]["action"], "create");
  EXPECT_EQ(cluster["nodes"][0]["name"], "prod-east-gpu-1");
  EXPECT_EQ(cluster["nodes"][0]["role"], "worker");
  EXPECT_TRUE(cluster["rollout"].is_null());
}

TEST(IgnitionReview, BytesThatAreNotUtf8AreShownReplacedNotFatal) {
  model::Cluster latin1 = testing::openstack_cluster();
  latin1.ignition.files[0].contents = "caf\xe9 au lait\n";  // Latin-1, not UTF-8
  const Side side(latin1);
  const plan::SecretRedactor redactor(secrets_of(side));
  const std::string review = plan::review_ignition(side.render.nodes[0].ignition, redactor);
  EXPECT_NE(review.find("caf\xef\xbf\xbd au lait"), std::string::npos) << "U+FFFD stands in";
}

TEST(UnifiedDiff, ATooLargeMiddleIsShownReplacedWithinBoundedMemory) {
  std::string before = "first\n";
  std::string after = "FIRST\n";
  for (int i = 0; i < 3000; ++i) {
    before += "line " + std::to_string(i) + "\n";
    after += "line " + std::to_string(i) + "\n";
  }
  before += "last\n";
  after += "LAST\n";
  const std::string diff = plan::unified_diff(before, after, "a", "b");
  EXPECT_TRUE(diff.starts_with("--- a\n+++ b\n@@ -1,3002 +1,3002 @@\n-first\n")) << diff.substr(0, 80);
  EXPECT_NE(diff.find("+LAST\n"), std::string::npos);
}

TEST(PlanFormats, MarkdownSummaryStaysBoundedForThousandsOfClusters) {
  plan::Plan plan{.base_revision = std::string(40, 'a'), .head_revision = std::string(40, 'b')};
  for (int i = 0; i < 3000; ++i) {
    plan.clusters.push_back({.name = "cluster-" + std::to_string(10000 + i),
                             .change = i < 300 ? ClusterChange::kChanged : ClusterChange::kUnchanged});
  }
  const std::string markdown = plan::format_markdown(plan);
  EXPECT_LE(markdown.size(), plan::kDefaultMarkdownLimitBytes);
  EXPECT_NE(markdown.find("| and 100 more changed clusters |"), std::string::npos);
  EXPECT_NE(markdown.find("Unchanged (2700): `cluster-10300`"), std::string::npos);
  EXPECT_NE(markdown.find(" and 2650 more"), std::string::npos);
}

}  // namespace
}  // namespace nkd
