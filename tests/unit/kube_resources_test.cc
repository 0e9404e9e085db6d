// Manifest parsing, REST paths, drift comparison and the rollout read from Node objects.
#include <gtest/gtest.h>

#include "providers/kube/cluster_state.h"
#include "providers/kube/kube_client.h"
#include "render/housekeeper/housekeeper.h"
#include "tests/support/render_fixtures.h"

namespace nkd {
namespace {

TEST(KubeResources, YamlToJsonKeepsQuotedScalarsAsStrings) {
  auto json = kube::yaml_to_json("a: \"22.03\"\nb: 22\nc: true\nd: ~\ne: [x, \"1\"]\nf: 1.5\n");
  ASSERT_TRUE(json.ok());
  EXPECT_EQ((*json)["a"], "22.03");
  EXPECT_EQ((*json)["b"], 22);
  EXPECT_EQ((*json)["c"], true);
  EXPECT_TRUE((*json)["d"].is_null());
  EXPECT_EQ((*json)["e"][1], "1");
  EXPECT_EQ((*json)["f"], 1.5);
  EXPECT_FALSE(kube::yaml_to_json("- a\n- b\n").ok());
  EXPECT_FALSE(kube::yaml_to_json("a: [").ok());
}

TEST(KubeResources, EveryHousekeeperManifestHasARestPath) {
  for (const auto& manifest : housekeeper::manifests(testing::openstack_cluster())) {
    auto json = kube::yaml_to_json(manifest.yaml);
    ASSERT_TRUE(json.ok()) << manifest.file_name;
    auto ref = kube::object_ref_of(*json);
    ASSERT_TRUE(ref.ok()) << manifest.file_name;
    EXPECT_TRUE(kube::resource_path(*ref).ok()) << manifest.file_name;
  }
}

TEST(KubeResources, UpdatePathFollowsTheRenderedCrd) {
  const auto manifests = housekeeper::manifests(testing::openstack_cluster());
  auto crd = kube::yaml_to_json(manifests[1].yaml);
  ASSERT_TRUE(crd.ok());
  ASSERT_EQ((*crd)["kind"], "CustomResourceDefinition");
  const auto& spec = (*crd)["spec"];
  auto path = kube::resource_path({.api_version = spec["group"].get<std::string>() + "/" +
                                                  spec["versions"][0]["name"].get<std::string>(),
                                   .kind = spec["names"]["kind"].get<std::string>(),
                                   .namespace_name = "ns",
                                   .name = "u"});
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(*path, "/apis/housekeeper.io/v1alpha1/namespaces/ns/" +
                       spec["names"]["plural"].get<std::string>() + "/u");
  EXPECT_EQ(*kube::resource_path({.api_version = "v1", .kind = "Namespace", .name = "n"}),
            "/api/v1/namespaces/n");
  // Bootstrap-token Secrets are applied by nkd; other kinds stay unknown.
  EXPECT_EQ(*kube::resource_path(
                {.api_version = "v1", .kind = "Secret", .namespace_name = "kube-system", .name = "s"}),
            "/api/v1/namespaces/kube-system/secrets/s");
  EXPECT_EQ(kube::resource_path({.api_version = "v1", .kind = "Endpoints", .name = "e"}).error().code,
            ErrorCode::kNotFound);
}

TEST(KubeDrift, IgnoresServerAddedFieldsButNotChangedOnes) {
  const nlohmann::json desired = {{"spec", {{"a", 1}, {"list", {{{"x", "1"}}}}}}};
  nlohmann::json live = {{"spec", {{"a", 1.0}, {"added", 5}, {"list", {{{"x", "1"}, {"y", 2}}}}}},
                         {"status", {}}};
  EXPECT_EQ(kube::first_difference(desired, live), "");
  live["spec"]["list"][0]["x"] = "2";
  EXPECT_EQ(kube::first_difference(desired, live), "spec.list[0].x");
  live.erase("spec");
  EXPECT_EQ(kube::first_difference(desired, live), "spec");
}

kube::NodeInfo node(const std::string& name, bool control_plane, const std::string& kubelet,
                    const char* label = nullptr) {
  kube::NodeInfo info{.name = name, .ready = true, .kubelet_version = kubelet,
                      .os_image = "NestOS 22.03"};
  if (control_plane) info.labels[kube::kControlPlaneLabel] = "";
  if (label != nullptr) info.labels[label] = "";
  return info;
}

TEST(KubeRollout, StatesComeFromVersionsAndHousekeepersLabels) {
  const kube::DesiredVersions desired{.kubelet_version = "v1.30.0", .os_version = "22.03"};
  const auto status = kube::rollout_status(
      {node("w-0", false, "v1.29.1"), node("cp-1", true, "v1.30.0", kube::kUpgradingLabel),
       node("cp-0", true, "v1.30.0", kube::kUpgradeCompletedLabel),
       node("w-1", false, "v1.29.1", kube::kUpgradeCompletedLabel)},
      desired);
  ASSERT_EQ(status.nodes.size(), 4u);
  EXPECT_EQ(status.nodes[0].name, "cp-0");
  EXPECT_EQ(status.nodes[0].state, kube::NodeUpgradeState::kUpgraded);
  EXPECT_EQ(status.nodes[1].state, kube::NodeUpgradeState::kUpgrading);
  EXPECT_EQ(status.nodes[2].state, kube::NodeUpgradeState::kPending);
  // Housekeeper finished w-1 without bringing it to the version: its stamp already existed.
  EXPECT_EQ(status.nodes[3].state, kube::NodeUpgradeState::kSkipped);
  EXPECT_FALSE(status.complete);
  EXPECT_TRUE(status.needs_kubernetes);
  EXPECT_FALSE(status.needs_os);
}

TEST(KubeRollout, CompleteWhenEveryNodeRunsTheVersionsAndNoneIsUpgrading) {
  const auto done = kube::rollout_status({node("cp-0", true, "v1.30.0"), node("w-0", false, "v1.30.0")},
                                         {.kubelet_version = "v1.30.0", .os_version = "22.03"});
  EXPECT_TRUE(done.complete);
  EXPECT_FALSE(done.needs_kubernetes || done.needs_os);
  const auto os = kube::rollout_status({node("cp-0", true, "v1.30.0")},
                                       {.kubelet_version = "v1.30.0", .os_version = "24.03"});
  EXPECT_FALSE(os.complete);
  EXPECT_TRUE(os.needs_os);
  EXPECT_FALSE(os.needs_kubernetes);
}

}  // namespace
}  // namespace nkd
