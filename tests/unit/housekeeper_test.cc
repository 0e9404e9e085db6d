// Housekeeper manifests: file order, the CRD, RBAC, workloads and the cluster's
// Update object.
#include "render/housekeeper/housekeeper.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

#include "tests/support/render_fixtures.h"

namespace nkd {
namespace {

YAML::Node manifest(const model::Cluster& cluster, const std::string& kind) {
  for (const housekeeper::Manifest& item : housekeeper::manifests(cluster)) {
    const YAML::Node document = YAML::Load(item.yaml);
    if (document["kind"].as<std::string>() == kind) return document;
  }
  throw std::runtime_error("no manifest of kind " + kind);
}

std::set<std::string> strings(const YAML::Node& sequence) {
  std::set<std::string> values;
  for (const auto& item : sequence) values.insert(item.as<std::string>());
  return values;
}

TEST(HousekeeperManifests, ComeInFixedFileOrderOneObjectEach) {
  const auto manifests = housekeeper::manifests(testing::openstack_cluster());
  std::vector<std::string> names;
  for (const auto& item : manifests) {
    names.push_back(item.file_name);
    EXPECT_EQ(item.file_name.substr(item.file_name.size() - 5), ".yaml");
    const auto documents = YAML::LoadAll(item.yaml);
    ASSERT_EQ(documents.size(), 1u) << item.file_name;
    EXPECT_TRUE(documents[0]["apiVersion"].IsScalar()) << item.file_name;
  }
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(names.front(), "00-namespace.yaml");
  EXPECT_EQ(names.size(), 8u);
  // Objects that others depend on come first: namespace and CRD before anything
  // using them.
  EXPECT_EQ(names[1], "01-crd.yaml");
  EXPECT_EQ(names.back(), "07-update.yaml");
}

TEST(HousekeeperManifests, CrdDefinesNamespacedUpdateWithStatusAndSchema) {
  const YAML::Node crd = manifest(testing::openstack_cluster(), "CustomResourceDefinition");
  EXPECT_EQ(crd["metadata"]["name"].as<std::string>(), "updates.housekeeper.io");
  const YAML::Node spec = crd["spec"];
  EXPECT_EQ(spec["group"].as<std::string>(), "housekeeper.io");
  EXPECT_EQ(spec["names"]["kind"].as<std::string>(), "Update");
  EXPECT_EQ(spec["names"]["plural"].as<std::string>(), "updates");
  EXPECT_EQ(spec["scope"].as<std::string>(), "Namespaced");
  ASSERT_EQ(spec["versions"].size(), 1u);
  const YAML::Node version = spec["versions"][0];
  EXPECT_EQ(version["name"].as<std::string>(), "v1alpha1");
  EXPECT_TRUE(version["served"].as<bool>());
  EXPECT_TRUE(version["storage"].as<bool>());
  EXPECT_TRUE(version["subresources"]["status"].IsMap());
  const YAML::Node schema = version["schema"]["openAPIV3Schema"]["properties"]["spec"];
  EXPECT_EQ(strings(schema["required"]), std::set<std::string>{"osImageURL"});
  const YAML::Node properties = schema["properties"];
  EXPECT_EQ(properties["osImageURL"]["type"].as<std::string>(), "string");
  EXPECT_EQ(properties["osVersion"]["type"].as<std::string>(), "string");
  EXPECT_EQ(properties["kubeVersion"]["type"].as<std::string>(), "string");
  EXPECT_EQ(properties["evictPodForce"]["type"].as<std::string>(), "boolean");
  EXPECT_FALSE(properties["evictPodForce"]["default"].as<bool>());
  EXPECT_EQ(properties["maxUnavailable"]["type"].as<std::string>(), "integer");
  EXPECT_EQ(properties["maxUnavailable"]["minimum"].as<int>(), 1);
  EXPECT_EQ(properties["drainTimeout"]["type"].as<std::string>(), "string");
}

TEST(HousekeeperManifests, UpdateObjectCarriesTheClustersUpgradePolicy) {
  auto cluster = testing::openstack_cluster();
  cluster.upgrade.max_unavailable = 3;
  cluster.upgrade.evict_pod_force = true;
  cluster.upgrade.drain_timeout_seconds = 5400;
  const YAML::Node update = manifest(cluster, "Update");
  EXPECT_EQ(update["apiVersion"].as<std::string>(), "housekeeper.io/v1alpha1");
  EXPECT_EQ(update["metadata"]["name"].as<std::string>(), "nkd-update");
  EXPECT_EQ(update["metadata"]["namespace"].as<std::string>(), "housekeeper-system");
  const YAML::Node spec = update["spec"];
  EXPECT_EQ(spec["osImageURL"].as<std::string>(), cluster.os.image_url);
  EXPECT_EQ(spec["osVersion"].as<std::string>(), cluster.os.version);
  EXPECT_EQ(spec["kubeVersion"].as<std::string>(), "v1.29.1");
  EXPECT_TRUE(spec["evictPodForce"].as<bool>());
  EXPECT_EQ(spec["maxUnavailable"].as<int>(), 3);
  EXPECT_EQ(spec["drainTimeout"].as<std::string>(), "1h30m0s");
}

TEST(HousekeeperManifests, QuotesVersionsThatWouldOtherwiseParseAsNumbers) {
  auto cluster = testing::openstack_cluster();
  cluster.os.version = "22.03";
  const auto manifests = housekeeper::manifests(cluster);
  const std::string& text = manifests.back().yaml;
  EXPECT_NE(text.find("osVersion: \"22.03\""), std::string::npos) << text;
}

TEST(HousekeeperManifests, UsesDefaultImagesUnlessThePolicyNamesOthers) {
  auto cluster = testing::openstack_cluster();
  auto image_of = [&](const std::string& kind) {
    return manifest(cluster, kind)["spec"]["template"]["spec"]["containers"][0]["image"]
        .as<std::string>();
  };
  EXPECT_EQ(image_of("Deployment"), housekeeper::kDefaultOperatorImage);
  EXPECT_EQ(image_of("DaemonSet"), housekeeper::kDefaultControllerImage);
  cluster.upgrade.operator_image = "mirror.example.org/hk/operator:v9";
  cluster.upgrade.daemon_image = "mirror.example.org/hk/controller:v9";
  EXPECT_EQ(image_of("Deployment"), "mirror.example.org/hk/operator:v9");
  EXPECT_EQ(image_of("DaemonSet"), "mirror.example.org/hk/controller:v9");
}

TEST(HousekeeperManifests, OperatorRunsOnControlPlaneAndControllerOnEveryNode) {
  const auto cluster = testing::openstack_cluster();
  const YAML::Node deployment = manifest(cluster, "Deployment");
  EXPECT_EQ(deployment["metadata"]["name"].as<std::string>(), "housekeeper-operator-manager");
  EXPECT_EQ(deployment["metadata"]["namespace"].as<std::string>(), "housekeeper-system");
  const YAML::Node operator_pod = deployment["spec"]["template"]["spec"];
  EXPECT_EQ(operator_pod["nodeSelector"]["node-role.kubernetes.io/control-plane"].as<std::string>(),
            "");
  EXPECT_EQ(operator_pod["tolerations"][0]["key"].as<std::string>(),
            "node-role.kubernetes.io/control-plane");
  EXPECT_EQ(
      deployment["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"].as<std::string>(),
      deployment["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]
          .as<std::string>());

  const YAML::Node daemonset = manifest(cluster, "DaemonSet");
  EXPECT_EQ(daemonset["metadata"]["name"].as<std::string>(), "housekeeper-controller-manager");
  const YAML::Node controller_pod = daemonset["spec"]["template"]["spec"];
  EXPECT_EQ(controller_pod["tolerations"][0]["operator"].as<std::string>(), "Exists");
  EXPECT_FALSE(controller_pod["tolerations"][0]["key"].IsDefined());
  EXPECT_EQ(controller_pod["containers"][0]["volumeMounts"][0]["mountPath"].as<std::string>(),
            "/var/nkd");
  EXPECT_EQ(controller_pod["volumes"][0]["hostPath"]["path"].as<std::string>(), "/var/nkd");
}

TEST(HousekeeperManifests, ClusterRoleGrantsWhatUpgradesAndDrainsNeed) {
  const YAML::Node role = manifest(testing::openstack_cluster(), "ClusterRole");
  auto verbs_for = [&](const std::string& group, const std::string& resource) {
    for (const auto& rule : role["rules"]) {
      if (rule["apiGroups"][0].as<std::string>() != group) continue;
      if (strings(rule["resources"]).contains(resource)) return strings(rule["verbs"]);
    }
    return std::set<std::string>{};
  };
  const auto node_verbs = verbs_for("", "nodes");
  for (const char* verb : {"get", "list", "patch", "update"})
    EXPECT_TRUE(node_verbs.contains(verb));
  const auto pod_verbs = verbs_for("", "pods");
  EXPECT_TRUE(pod_verbs.contains("list"));
  EXPECT_TRUE(pod_verbs.contains("delete"));
  EXPECT_EQ(verbs_for("", "pods/eviction"), std::set<std::string>{"create"});
  EXPECT_EQ(verbs_for("apps", "daemonsets"), (std::set<std::string>{"get", "list"}));
  EXPECT_EQ(verbs_for("housekeeper.io", "updates"), std::set<std::string>{"*"});

  const YAML::Node binding = manifest(testing::openstack_cluster(), "ClusterRoleBinding");
  EXPECT_EQ(binding["roleRef"]["name"].as<std::string>(),
            role["metadata"]["name"].as<std::string>());
  EXPECT_EQ(binding["subjects"][0]["namespace"].as<std::string>(), "housekeeper-system");
  const YAML::Node account = manifest(testing::openstack_cluster(), "ServiceAccount");
  EXPECT_EQ(binding["subjects"][0]["name"].as<std::string>(),
            account["metadata"]["name"].as<std::string>());
}

TEST(HousekeeperManifests, RenderIdenticallyTwice) {
  const auto cluster = testing::openstack_cluster();
  const auto first = housekeeper::manifests(cluster);
  const auto second = housekeeper::manifests(cluster);
  ASSERT_EQ(first.size(), second.size());
  for (std::size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i].yaml, second[i].yaml);
}

}  // namespace
}  // namespace nkd
