// Kubernetes upgrade paths between two revisions of a cluster (model/upgrade_path.h), and
// the spec.driftPolicy and version-position fields the loader adds to the model.
#include "model/upgrade_path.h"

#include <gtest/gtest.h>

#include "model/loader.h"
#include "render/render.h"
#include "tests/support/render_fixtures.h"

namespace nkd::model {
namespace {

Cluster at_version(const std::string& version, int line = 16, int column = 14) {
  Cluster cluster = testing::openstack_cluster("demo");
  cluster.kubernetes.version = version;
  cluster.kubernetes.version_line = line;
  cluster.kubernetes.version_column = column;
  return cluster;
}

std::optional<Diagnostic> step(const std::string& from, const std::string& to) {
  return check_kubernetes_upgrade(at_version(from), at_version(to));
}

TEST(KubernetesUpgradePath, AllowsOneMinorUpAnyPatchAndNoChange) {
  EXPECT_FALSE(step("v1.28.4", "v1.29.0"));
  EXPECT_FALSE(step("v1.28.4", "v1.29.7"));
  EXPECT_FALSE(step("v1.28.4", "v1.28.9"));
  EXPECT_FALSE(step("v1.28.4", "v1.28.4"));
  EXPECT_FALSE(step("v1.9.0", "v1.10.0"));  // numeric, not text, order
}

TEST(KubernetesUpgradePath, AllowsAPatchDowngradeWithinAMinor) {
  EXPECT_FALSE(step("v1.29.3", "v1.29.1"));
}

TEST(KubernetesUpgradePath, RefusesSkippingAMinorAndSaysWhereToGoFirst) {
  const auto refused = step("v1.28.4", "v1.30.0");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->path, "clusters/demo/cluster.yaml");
  EXPECT_EQ(refused->line, 16);
  EXPECT_EQ(refused->column, 14);
  EXPECT_EQ(refused->severity, Severity::kError);
  EXPECT_EQ(refused->message,
            "spec.kubernetes.version v1.30.0 skips v1.29 from the applied v1.28.4: kubeadm upgrades "
            "one minor version at a time; go to v1.29.x first");
}

TEST(KubernetesUpgradePath, NamesEverySkippedMinorRange) {
  const auto refused = step("v1.27.1", "v1.30.2");
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->message.find("skips v1.28 to v1.29 from the applied v1.27.1"), std::string::npos)
      << refused->message;
  EXPECT_NE(refused->message.find("go to v1.28.x first"), std::string::npos) << refused->message;
}

TEST(KubernetesUpgradePath, RefusesAMinorDowngrade) {
  const auto refused = step("v1.29.1", "v1.28.9");
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->message.find("v1.28.9 downgrades the applied v1.29.1"), std::string::npos)
      << refused->message;
  EXPECT_NE(refused->message.find("cannot downgrade"), std::string::npos) << refused->message;
}

TEST(KubernetesUpgradePath, RefusesAMajorChangeEitherWay) {
  const auto up = step("v1.29.1", "v2.0.0");
  ASSERT_TRUE(up);
  EXPECT_NE(up->message.find("changes the major version"), std::string::npos) << up->message;
  EXPECT_TRUE(step("v2.0.0", "v1.29.1"));
  EXPECT_TRUE(step("v1.29.1", "v2.29.1"));  // same minor number, still another major
}

TEST(KubernetesUpgradePath, AcceptsVersionsWithoutTheVPrefix) {
  EXPECT_FALSE(step("1.28.4", "v1.29.0"));
  EXPECT_FALSE(step("v1.28.4", "1.29.0"));
  EXPECT_TRUE(step("1.28.4", "1.30.0"));
}

TEST(KubernetesUpgradePath, ComparesPreReleasesByTheirMinor) {
  EXPECT_FALSE(step("v1.28.4", "v1.29.0-rc.1"));
  EXPECT_FALSE(step("v1.29.0-rc.1", "v1.29.0"));
  EXPECT_FALSE(step("v1.29.0-alpha.2", "v1.30.0-beta.0"));
  EXPECT_TRUE(step("v1.28.4", "v1.30.0-rc.0"));
}

TEST(KubernetesUpgradePath, LeavesUnparseableVersionsToTheLoader) {
  EXPECT_FALSE(step("v1.28", "v1.30.0"));
  EXPECT_FALSE(step("v1.28.4", "latest"));
}

TEST(KubernetesUpgradePath, NamesWhereTheAppliedVersionCameFrom) {
  const auto refused = check_kubernetes_upgrade(at_version("v1.28.4"), at_version("v1.30.0"), "base");
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->message.find("from the base v1.28.4"), std::string::npos) << refused->message;
}

// A loadable cluster.yaml; `extra_spec` is appended under spec.
std::string definition_at_version(const std::string& version, const std::string& extra_spec = "") {
  return "apiVersion: nkd.io/v1alpha1\n"
         "kind: Cluster\n"
         "metadata:\n"
         "  name: demo\n"
         "spec:\n"
         "  platform:\n"
         "    openstack: {cloud: dc1, image: nestos, flavor: m1.large, network: k8s}\n"
         "  os:\n"
         "    version: \"22.03\"\n"
         "    imageURL: \"registry.example.org/nestos/nestos:22.03\"\n"
         "  kubernetes:\n"
         "    podSubnet: 10.244.0.0/16\n"
         "    version:   " + version + "\n"
         "    controlPlaneEndpoint: api.demo.example.org\n"
         "  pools:\n"
         "    - {name: control-plane, role: control-plane, replicas: 1}\n" +
         extra_spec;
}

LoadResult load(const std::string& text) {
  MapTreeReader tree({{"clusters/demo/cluster.yaml", text}});
  return load_repository(tree);
}

TEST(KubernetesVersionPosition, LoaderRecordsTheLineAndColumnOfTheVersion) {
  const LoadResult result = load(definition_at_version("v1.29.1"));
  ASSERT_TRUE(result.ok()) << format(result.diagnostics.front());
  const Cluster& cluster = result.model.clusters.at(0);
  EXPECT_EQ(cluster.kubernetes.version_line, 13);
  EXPECT_EQ(cluster.kubernetes.version_column, 16);
}

TEST(KubernetesVersionPosition, PeeksTheVersionWithoutAFullLoad) {
  MapTreeReader tree({{"clusters/demo/cluster.yaml", definition_at_version("v1.28.4")},
                      {"clusters/broken/cluster.yaml", "spec: [unclosed"}});
  EXPECT_EQ(peek_kubernetes_version(tree, "demo"), "v1.28.4");
  EXPECT_FALSE(peek_kubernetes_version(tree, "broken"));
  EXPECT_FALSE(peek_kubernetes_version(tree, "absent"));
}

TEST(NetworkPluginChange, IsRefusedAtTheNewPluginsLine) {
  const LoadResult before = load(definition_at_version("v1.29.1"));
  ASSERT_TRUE(before.ok()) << format(before.diagnostics.front());
  const Cluster calico = before.model.clusters.at(0);
  Cluster flannel = calico;
  flannel.kubernetes.network_plugin = NetworkPlugin::kFlannel;
  flannel.kubernetes.network_plugin_line = 17;
  flannel.kubernetes.network_plugin_column = 20;
  EXPECT_FALSE(check_network_plugin_change(calico, calico));
  const auto refused = check_cluster_transition(calico, flannel, "applied");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->line, 17);
  EXPECT_EQ(refused->column, 20);
  EXPECT_NE(refused->message.find("networkPlugin flannel replaces the applied calico"),
            std::string::npos)
      << refused->message;
  EXPECT_NE(refused->message.find("keep 'calico'"), std::string::npos) << refused->message;
  // A version step that is refused is named first.
  flannel.kubernetes.version = "v1.31.0";
  EXPECT_NE(check_cluster_transition(calico, flannel)->message.find("skips"), std::string::npos);
}

TEST(NetworkPluginChange, LoaderRecordsWhereThePluginIsWritten) {
  std::string text = definition_at_version("v1.29.1");
  text.replace(text.find("    podSubnet"), 0, "    networkPlugin: flannel\n");
  const LoadResult result = load(text);
  ASSERT_TRUE(result.ok()) << format(result.diagnostics.front());
  EXPECT_EQ(result.model.clusters.at(0).kubernetes.network_plugin, NetworkPlugin::kFlannel);
  EXPECT_EQ(result.model.clusters.at(0).kubernetes.network_plugin_line, 12);
  EXPECT_EQ(result.model.clusters.at(0).kubernetes.network_plugin_column, 20);
  MapTreeReader tree({{"clusters/demo/cluster.yaml", text}});
  EXPECT_EQ(peek_kubernetes_field(tree, "demo", "networkPlugin"), "flannel");
}

TEST(DriftPolicy, DefaultsToCorrect) {
  const LoadResult result = load(definition_at_version("v1.29.1"));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.model.clusters.at(0).drift_policy, DriftPolicy::kCorrect);
}

TEST(DriftPolicy, ParsesCorrectAndReport) {
  const LoadResult correct = load(definition_at_version("v1.29.1", "  driftPolicy: correct\n"));
  ASSERT_TRUE(correct.ok());
  EXPECT_EQ(correct.model.clusters.at(0).drift_policy, DriftPolicy::kCorrect);
  const LoadResult report = load(definition_at_version("v1.29.1", "  driftPolicy: report\n"));
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report.model.clusters.at(0).drift_policy, DriftPolicy::kReport);
  EXPECT_STREQ(to_string(DriftPolicy::kReport), "report");
  EXPECT_STREQ(to_string(DriftPolicy::kCorrect), "correct");
}

TEST(DriftPolicy, RejectsOtherValuesAtTheirLineNamingTheAllowedOnes) {
  const LoadResult result = load(definition_at_version("v1.29.1", "  driftPolicy: Ignore\n"));
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_EQ(format(result.diagnostics[0]),
            "clusters/demo/cluster.yaml:17:16: error: spec.driftPolicy must be 'correct' or "
            "'report', got 'Ignore'");
  EXPECT_TRUE(result.model.clusters.empty());
}

TEST(DriftPolicy, DoesNotChangeTheRender) {
  Cluster correct = testing::openstack_cluster();
  Cluster report = correct;
  report.drift_policy = DriftPolicy::kReport;
  report.kubernetes.version_line = 42;
  const auto pki = testing::placeholder_pki(correct);
  EXPECT_EQ(render::render_cluster(correct, pki, {}).digest,
            render::render_cluster(report, pki, {}).digest);
}

}  // namespace
}  // namespace nkd::model
