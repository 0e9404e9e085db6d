// The Planner: unified diffs, secret redaction, first-boot change detection, node actions for
// scale up/down, in-place upgrades, extra files, added/removed clusters, the daemon's view, and
// the three output forms; on OpenStack, the port each node comes and goes with and the virtual
// IP's port. Renders use the placeholder PKI, so every expectation is exact.
#include "plan/review/plan.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "plan/review/ignition_review.h"
#include "plan/review/plan_format.h"
#include "plan/review/unified_diff.h"
#include "render/network/network_plugin.h"
#include "render/render.h"
#include "tests/support/render_fixtures.h"
#include "tests/support/test_support.h"

namespace nkd {
namespace {

using plan::ClusterChange;
using plan::NodeAction;

using Side = testing::RenderedCluster;

std::vector<std::string> secrets_of(const Side& side) {
  std::vector<std::string> secrets = {side.pki.bootstrap_token_secret.reveal(),
                                      side.pki.node_token_key.reveal()};
  for (const auto& node : side.render.nodes) secrets.push_back(node.fetch_token.reveal());
  return secrets;
}

using ActualNodes = std::map<std::string, plan::ActualNode>;

plan::ClusterPlan plan_between(const Side& base, const Side& head,
                               std::optional<ActualNodes> actual = std::nullopt) {
  const plan::SecretRedactor redactor(secrets_of(head));
  return plan::plan_cluster({.name = head.cluster.name,
                             .base = &base.cluster,
                             .base_render = &base.render,
                             .head = &head.cluster,
                             .head_render = &head.render,
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

// fuzz/corpus/plan_diff/crash-file-path-not-a-string, read as the plan_diff target reads it: a
// file whose "path" is a number threw nlohmann's type_error out of review_ignition.
TEST(IgnitionReview, FileWhosePathIsNotAStringIsReviewed) {
  const std::string config =
      testing::read_file(std::filesystem::path(testing::source_dir()) /
                         "fuzz/corpus/plan_diff/crash-file-path-not-a-string");
  const plan::SecretRedactor redactor({"s3cr3t-token"});
  EXPECT_FALSE(plan::review_ignition(config, redactor).empty());
  EXPECT_TRUE(plan::first_boot_changes(config, config).empty());

  const std::string numbered_path =
      R"({"storage":{"files":[{"path":421,"contents":{"source":"data:,hi"}}]}})";
  EXPECT_NE(plan::review_ignition(numbered_path, redactor).find("\"lines\""), std::string::npos);
}

// erase() threw on a section that is not an object; such a section is compared whole.
TEST(FirstBootChanges, SectionsThatAreNotObjectsCompareWhole) {
  EXPECT_EQ(plan::first_boot_changes(R"({"storage":5,"systemd":[1],"passwd":"x"})",
                                     R"({"storage":6,"systemd":[1],"passwd":"x"})"),
            (std::vector<std::string>{"section storage changed"}));
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
  testing::pool_named(bigger, "workers").replicas = 3;
  const auto plan = plan_between(base, Side(bigger));
  EXPECT_EQ(plan.change, ClusterChange::kChanged);
  EXPECT_EQ(names_of(plan, NodeAction::kCreate), std::vector<std::string>{"prod-east-workers-2"});
  EXPECT_TRUE(names_of(plan, NodeAction::kReplace).empty());
  EXPECT_TRUE(names_of(plan, NodeAction::kDelete).empty());
}

TEST(PlanCluster, NetworkPluginMirrorChangesManifestsAndReplacesNoNode) {
  const Side base(testing::openstack_cluster());
  model::Cluster mirrored = testing::openstack_cluster();
  mirrored.kubernetes.network_plugin_config.image_repository = "mirror.example.org/calico";
  const auto plan = plan_between(base, Side(mirrored));
  EXPECT_TRUE(names_of(plan, NodeAction::kReplace).empty())
      << "the first node's bring-up copy changes, but it is not read again after first boot";
  EXPECT_FALSE(plan.manifests.empty());
  for (const auto& manifest : plan.manifests) EXPECT_TRUE(manifest.path.starts_with("network/")) << manifest.path;
  ASSERT_EQ(plan.node_diffs.size(), 1u);
  EXPECT_FALSE(plan.node_diffs[0].replaced);
}

TEST(PlanCluster, ScaleDownDeletesHighestIndexesFirst) {
  model::Cluster big = testing::openstack_cluster();
  testing::pool_named(big, "workers").replicas = 5;
  model::Cluster small = testing::openstack_cluster();
  testing::pool_named(small, "workers").replicas = 2;
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

TEST(PlanCluster, ChangedExtraFileReplacesWorkersInBatchesRefusesControlPlaneAndSaysWhy) {
  const Side base(testing::openstack_cluster());
  model::Cluster changed = testing::openstack_cluster();
  changed.ignition.files[0].contents = "Maintenance at noon\n";
  changed.kubernetes.version = "v1.30.2";  // carried in place; must not hide the file change
  const auto plan = plan_between(base, Side(changed));
  EXPECT_EQ(names_of(plan, NodeAction::kReplace),
            (std::vector<std::string>{"prod-east-workers-0", "prod-east-workers-1", "prod-east-gpu-0"}));
  EXPECT_EQ(plan.nodes[0].batch, 0);
  EXPECT_EQ(plan.nodes[1].batch, 0) << "maxUnavailable 2";
  EXPECT_EQ(plan.nodes[2].batch, 1);
  EXPECT_EQ(names_of(plan, NodeAction::kRefuse),
            (std::vector<std::string>{"prod-east-control-plane-0", "prod-east-control-plane-1",
                                      "prod-east-control-plane-2"}));
  for (const auto& step : plan.nodes) {
    EXPECT_EQ(step.reasons, std::vector<std::string>{"file /etc/motd: content changed"}) << step.name;
    EXPECT_EQ(step.refusal.empty(), step.action != NodeAction::kRefuse) << step.name;
  }
  EXPECT_NE(plan.nodes.back().refusal.find("etcd"), std::string::npos) << plan.nodes.back().refusal;
  ASSERT_EQ(plan.node_diffs.size(), 6u);
  EXPECT_TRUE(plan.node_diffs[0].refused) << plan.node_diffs[0].name;
  EXPECT_TRUE(plan.node_diffs[3].replaced) << plan.node_diffs[3].name;
  EXPECT_NE(plan.node_diffs[0].diff.find("+            \"Maintenance at noon\""), std::string::npos)
      << plan.node_diffs[0].diff;
}

TEST(PlanCluster, BareMetalFirstBootChangeIsRefusedNotPromisedAsAReplacement) {
  const Side base(testing::bare_metal_cluster());
  model::Cluster changed = testing::bare_metal_cluster();
  changed.ignition.files[0].contents = "Maintenance at noon\n";
  const auto plan = plan_between(base, Side(changed));
  EXPECT_TRUE(names_of(plan, NodeAction::kReplace).empty());
  EXPECT_EQ(names_of(plan, NodeAction::kRefuse), (std::vector<std::string>{"bm-0", "bm-1", "bm-2"}));
  EXPECT_NE(plan.nodes[1].refusal.find("reinstalled"), std::string::npos) << plan.nodes[1].refusal;
}

TEST(PlanCluster, AddedAndRemovedClusters) {
  const Side side(testing::bare_metal_cluster());
  const plan::SecretRedactor redactor(secrets_of(side));
  const auto added = plan::plan_cluster(
      {.name = "lab", .head = &side.cluster, .head_render = &side.render, .redactor = &redactor});
  EXPECT_EQ(added.change, ClusterChange::kAdded);
  EXPECT_EQ(names_of(added, NodeAction::kCreate), (std::vector<std::string>{"bm-0", "bm-1", "bm-2"}));
  // Six housekeeper objects, four of nkd's access and the network plugin's.
  EXPECT_EQ(added.manifests.size(), 6u + 4u + network::network_plugin_manifests(side.cluster).size());
  const auto removed = plan::plan_cluster(
      {.name = "lab", .base = &side.cluster, .base_render = &side.render, .redactor = &redactor});
  EXPECT_EQ(removed.change, ClusterChange::kRemoved);
  EXPECT_EQ(names_of(removed, NodeAction::kDelete), (std::vector<std::string>{"bm-2", "bm-1", "bm-0"}));
  ASSERT_EQ(removed.notes.size(), 1u);
  EXPECT_NE(removed.notes[0].find("Orphaned"), std::string::npos);
}

TEST(PlanCluster, TheDaemonsViewDecidesWhatExists) {
  const Side side(testing::openstack_cluster());
  ActualNodes actual;
  for (const auto& node : side.render.nodes) actual[node.node.name] = {};
  actual.erase("prod-east-workers-1");
  actual["prod-east-workers-7"] = {.pool = "workers", .role = "worker"};
  const auto plan = plan_between(side, side, actual);
  EXPECT_EQ(names_of(plan, NodeAction::kCreate), std::vector<std::string>{"prod-east-workers-1"});
  EXPECT_EQ(names_of(plan, NodeAction::kDelete), std::vector<std::string>{"prod-east-workers-7"});
}

TEST(PlanCluster, OpenStackNodesComeAndGoWithTheirPortsBareMetalOnesHaveNone) {
  model::Cluster big = testing::openstack_cluster();
  testing::pool_named(big, "workers").replicas = 3;
  const auto up = plan_between(Side(testing::openstack_cluster()), Side(big));
  ASSERT_EQ(up.nodes.size(), 1u);
  EXPECT_EQ(up.nodes[0].port, "prod-east-workers-2");
  const auto down = plan_between(Side(big), Side(testing::openstack_cluster()));
  ASSERT_EQ(down.nodes.size(), 1u);
  EXPECT_EQ(down.nodes[0].action, NodeAction::kDelete);
  EXPECT_EQ(down.nodes[0].port, "prod-east-workers-2");
  ActualNodes actual{{"prod-east-workers-9", {}}};
  for (const auto& node : Side(big).render.nodes) actual[node.node.name] = {};
  const auto daemon = plan_between(Side(big), Side(big), actual);
  ASSERT_EQ(daemon.nodes.size(), 1u);
  EXPECT_EQ(daemon.nodes[0].port, "prod-east-workers-9") << "only the daemon knows the node";

  const Side bare(testing::bare_metal_cluster());
  const plan::SecretRedactor redactor(secrets_of(bare));
  const auto added = plan::plan_cluster(
      {.name = "lab", .head = &bare.cluster, .head_render = &bare.render, .redactor = &redactor});
  ASSERT_FALSE(added.nodes.empty());
  for (const auto& step : added.nodes) EXPECT_EQ(step.port, "") << step.name;
}

TEST(PlanCluster, VirtualIpPortIsAddedChangedAndRemovedOnOpenStackOnly) {
  model::Cluster plain = testing::openstack_cluster();
  model::Cluster with_vip = plain;
  with_vip.kubernetes.virtual_ip.address = "10.0.0.250";
  std::get<model::OpenStackPlatform>(with_vip.platform).external_network = "public";
  const Side none(plain), vip(with_vip);

  const auto added = plan_between(none, vip);
  EXPECT_EQ(added.change, ClusterChange::kChanged);
  ASSERT_TRUE(added.virtual_ip.has_value());
  EXPECT_EQ(added.virtual_ip->change, "added");
  EXPECT_EQ(added.virtual_ip->port, "prod-east-vip");
  EXPECT_FALSE(added.virtual_ip->from.has_value());
  ASSERT_TRUE(added.virtual_ip->to.has_value());
  EXPECT_EQ(added.virtual_ip->to->address, "10.0.0.250");
  EXPECT_TRUE(added.virtual_ip->to->floating_ip);

  model::Cluster moved = with_vip;
  moved.kubernetes.virtual_ip.address = "10.0.0.251";
  const auto changed = plan_between(vip, Side(moved));
  ASSERT_TRUE(changed.virtual_ip.has_value());
  EXPECT_EQ(changed.virtual_ip->change, "changed");
  EXPECT_EQ(changed.virtual_ip->from->address, "10.0.0.250");
  EXPECT_EQ(changed.virtual_ip->to->address, "10.0.0.251");

  const auto removed = plan_between(vip, none);
  ASSERT_TRUE(removed.virtual_ip.has_value());
  EXPECT_EQ(removed.virtual_ip->change, "removed");
  EXPECT_FALSE(removed.virtual_ip->to.has_value());
  EXPECT_FALSE(plan_between(vip, vip).virtual_ip.has_value()) << "no change, nothing to show";

  model::Cluster bare = testing::bare_metal_cluster();
  model::Cluster bare_vip = bare;
  bare_vip.kubernetes.virtual_ip.address = "192.0.2.250";
  EXPECT_FALSE(plan_between(Side(bare), Side(bare_vip)).virtual_ip.has_value())
      << "bare metal has no port for it; the node configs show the change";
}

TEST(PlanFormats, PortsAndTheVirtualIpShowInEveryForm) {
  model::Cluster bigger = testing::openstack_cluster();
  testing::pool_named(bigger, "workers").replicas = 3;
  bigger.kubernetes.virtual_ip.address = "10.0.0.250";
  std::get<model::OpenStackPlatform>(bigger.platform).external_network = "public";
  plan::Plan plan{.base_revision = std::string(40, 'a'), .head_revision = std::string(40, 'b')};
  plan.clusters.push_back(plan_between(Side(testing::openstack_cluster()), Side(bigger)));

  const std::string text = plan::format_text(plan);
  // The control-plane nodes would need kube-vip's static pod at first boot: refused, as the
  // daemon refuses them.
  EXPECT_NE(text.find("~ prod-east (changed): create 1, refuse 3; virtual IP added\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("  refuse  prod-east-control-plane-0 (pool control-plane, control-plane)\n"
                      "      because "),
            std::string::npos) << text;
  EXPECT_NE(text.find("      refused: control-plane node prod-east-control-plane-0 was built"),
            std::string::npos) << text;
  EXPECT_NE(text.find("1 to create, 0 to replace, 0 to delete, 3 refused.\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("  create prod-east-workers-2 (pool workers, worker) with port "
                      "prod-east-workers-2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Virtual IP:\n  reserve port prod-east-vip with 10.0.0.250 + floating IP\n"),
            std::string::npos) << text;
  const std::string markdown = plan::format_markdown(plan);
  EXPECT_NE(markdown.find("- **create** `prod-east-workers-2` (pool workers, worker) with port "
                          "`prod-east-workers-2`\n"), std::string::npos) << markdown;
  EXPECT_NE(markdown.find("**Virtual IP**: reserve port prod-east-vip with 10.0.0.250 + floating IP"),
            std::string::npos) << markdown;
  const auto json = plan::to_json(plan)["clusters"][0];
  EXPECT_EQ(json["nodes"][0]["action"], "create");
  EXPECT_EQ(json["nodes"][0]["port"], "prod-east-workers-2");
  EXPECT_EQ(json["nodes"][1]["action"], "refuse");
  EXPECT_TRUE(json["nodes"][1]["port"].is_null());
  EXPECT_TRUE(json["nodes"][1]["refusal"].is_string());
  EXPECT_EQ(json["virtualIp"]["change"], "added");
  EXPECT_EQ(json["virtualIp"]["port"], "prod-east-vip");
  EXPECT_TRUE(json["virtualIp"]["from"].is_null());
  EXPECT_EQ(json["virtualIp"]["to"]["address"], "10.0.0.250");
  EXPECT_EQ(json["virtualIp"]["to"]["floatingIp"], true);

  plan::VirtualIpChange removed{.change = "removed", .port = "c-vip",
                                .from = plan::VirtualIpPort{.address = "10.0.0.5", .floating_ip = true}};
  EXPECT_EQ(plan::describe_virtual_ip(removed), "release port c-vip (10.0.0.5) and its floating IP");
  plan::VirtualIpChange moved{.change = "changed", .port = "c-vip",
                              .from = plan::VirtualIpPort{.address = "10.0.0.5"},
                              .to = plan::VirtualIpPort{.address = "10.0.0.6", .floating_ip = true}};
  EXPECT_EQ(plan::describe_virtual_ip(moved),
            "change port c-vip from 10.0.0.5 to 10.0.0.6: add a floating IP");
  moved.to->address = "10.0.0.5";
  EXPECT_EQ(plan::describe_virtual_ip(moved), "port c-vip (10.0.0.5): add a floating IP");
}

TEST(PlanFormats, NoSecretReachesAnyOutput) {
  model::Cluster base_model = testing::openstack_cluster();
  const Side base(base_model);
  model::Cluster changed = base_model;
  changed.ignition.files[0].contents = "Maintenance\n";
  testing::pool_named(changed, "control-plane").replicas = 4;
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
  testing::pool_named(bigger, "gpu").replicas = 2;
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
  EXPECT_EQ(cluster["nodes"][0]["port"], "prod-east-gpu-1");
  EXPECT_TRUE(cluster["rollout"].is_null());
  EXPECT_TRUE(cluster["virtualIp"].is_null());
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
