// Housekeeper manifests against NKD's own (tests/data/housekeeper/nkd.facts, see SOURCE there): every
// Update validated against the real CRD's openAPIV3Schema, the CRD, RBAC and workloads compared
// field by field, with the deliberate differences listed (DESIGN.md §3); images per
// architecture; nkd's own RBAC.
#include "render/housekeeper/housekeeper.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "render/housekeeper/nkd_access.h"
#include "render/network/network_plugin.h"
#include "tests/support/nkd_facts.h"
#include "tests/support/render_fixtures.h"

namespace nkd {
namespace {

// NKD's object `name` (tests/support/nkd_facts.h) as YAML, for comparison with nkd's.
YAML::Node nkd_object(const std::string& name) {
  return YAML::Load(testing::nkd_fact_object(name).dump());
}

// NKD's template filled as NKD's deploy command fills it.
YAML::Node nkd_template(const std::string& name, const std::string& placeholder,
                        const std::string& image) {
  std::string text = testing::nkd_fact_object(name).dump();
  const std::string quoted = "\"" + placeholder + "\"";
  text.replace(text.find(quoted), quoted.size(), "\"" + image + "\"");
  return YAML::Load(text);
}

YAML::Node manifest(const model::Cluster& cluster, const std::string& kind) {
  for (const housekeeper::Manifest& item : housekeeper::manifests(cluster)) {
    const YAML::Node document = YAML::Load(item.yaml);
    if (document["kind"].as<std::string>() == kind) return document;
  }
  throw std::runtime_error("no manifest of kind " + kind);
}

// Every scalar by its path ("spec|template|spec|containers|0|image"), so two objects compare
// field by field and a difference names its field.
void flatten(const YAML::Node& node, const std::string& at, std::map<std::string, std::string>& out) {
  if (node.IsMap()) {
    for (const auto& entry : node) flatten(entry.second, at + "|" + entry.first.Scalar(), out);
  } else if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) flatten(node[i], at + "|" + std::to_string(i), out);
  } else {
    out[at] = node.IsNull() ? "<null>" : node.Scalar();
  }
}

// The fields where nkd's object differs from NKD's: "+path" only in nkd's, "-path" only in
// NKD's, "~path" different value.
std::set<std::string> differences(const YAML::Node& ours, const YAML::Node& theirs) {
  std::map<std::string, std::string> a, b;
  flatten(ours, "", a);
  flatten(theirs, "", b);
  std::set<std::string> found;
  for (const auto& [path, value] : a) {
    if (!b.contains(path)) found.insert("+" + path);
    else if (b[path] != value) found.insert("~" + path);
  }
  for (const auto& [path, value] : b) {
    if (!a.contains(path)) found.insert("-" + path);
  }
  return found;
}

// nkd marks every object it owns; NKD's have no such label.
const std::set<std::string> kManagedBy = {"+|metadata|labels|app.kubernetes.io/managed-by"};

std::set<std::string> with_managed_by(std::set<std::string> paths) {
  paths.insert(kManagedBy.begin(), kManagedBy.end());
  return paths;
}

// A minimal structural-schema check, as the API server applies it to a custom resource: types,
// required fields, and no field the schema does not know (the server would drop it unseen).
void validate(const YAML::Node& value, const YAML::Node& schema, const std::string& at,
              std::vector<std::string>& problems) {
  const std::string type = schema["type"] ? schema["type"].as<std::string>() : "";
  if (type == "object") {
    if (!value.IsMap()) return problems.push_back(at + ": not an object");
    for (const auto& field : schema["required"]) {
      if (!value[field.as<std::string>()]) problems.push_back(at + "." + field.as<std::string>() + ": required");
    }
    if (!schema["properties"]) return;
    for (const auto& entry : value) {
      const std::string key = entry.first.Scalar();
      const YAML::Node property = schema["properties"][key];
      if (!property) {
        problems.push_back(at + "." + key + ": not in the schema");
      } else {
        validate(entry.second, property, at + "." + key, problems);
      }
    }
    return;
  }
  if (!value.IsScalar()) return problems.push_back(at + ": not a scalar");
  const bool quoted = value.Tag() == "!";
  const std::string& text = value.Scalar();
  const bool boolean = !quoted && (text == "true" || text == "false");
  const bool integer = !quoted && !text.empty() &&
                       text.find_first_not_of("-0123456789") == std::string::npos;
  const bool null = !quoted && (text.empty() || text == "null" || text == "~");
  if (type == "string" && (boolean || integer || null)) problems.push_back(at + ": not a string");
  if (type == "boolean" && !boolean) problems.push_back(at + ": not a boolean");
  if (type == "integer" && !integer) problems.push_back(at + ": not an integer");
}

YAML::Node real_update_schema() {
  return nkd_object("crd")["spec"]["versions"][0]["schema"]
                                                                               ["openAPIV3Schema"];
}

std::vector<std::string> problems_of(const std::string& update_yaml) {
  std::vector<std::string> problems;
  validate(YAML::Load(update_yaml), real_update_schema(), "Update", problems);
  return problems;
}

TEST(HousekeeperManifests, ComeInFixedFileOrderOneObjectEach) {
  const auto manifests = housekeeper::manifests(testing::openstack_cluster());
  std::vector<std::string> names;
  for (const auto& item : manifests) {
    names.push_back(item.file_name);
    const auto documents = YAML::LoadAll(item.yaml);
    ASSERT_EQ(documents.size(), 1u) << item.file_name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"00-namespace.yaml", "01-crd.yaml",
                                             "02-cluster-role.yaml", "03-cluster-role-binding.yaml",
                                             "04-operator-deployment.yaml",
                                             "05-controller-daemonset.yaml"}));
}

TEST(HousekeeperUpdate, EveryRenderedUpdateIsValidUnderTheRealCrd) {
  auto cluster = testing::openstack_cluster();
  std::vector<model::Cluster> variants = {cluster};
  cluster.upgrade.evict_pod_force = false;
  cluster.upgrade.max_unavailable = 7;
  cluster.kubernetes.version = "v1.30.0";
  cluster.os.image_url = "hub.oepkgs.net/nestos/nestos:24.03-LTS.20240625.0-x86_64";
  variants.push_back(cluster);
  for (const model::Cluster& variant : variants) {
    for (bool kubernetes : {false, true}) {
      const std::string yaml = housekeeper::update_yaml(variant, kubernetes);
      EXPECT_EQ(problems_of(yaml), std::vector<std::string>{}) << yaml;
    }
  }
}

TEST(HousekeeperUpdate, ValidatorRejectsWhatTheRealCrdRejects) {
  // The check above can fail: nkd's former Update (osVersion, drainTimeout, no kubeVersion) does.
  const auto problems = problems_of(
      "apiVersion: housekeeper.io/v1alpha1\nkind: Update\nmetadata: {name: nkd-update}\n"
      "spec: {osImageURL: \"r/n:1\", osVersion: \"22.03\", evictPodForce: false, "
      "maxUnavailable: \"1\", drainTimeout: \"10m0s\"}\n");
  EXPECT_EQ(problems, (std::vector<std::string>{
                          "Update.spec.kubeVersion: required", "Update.spec.osVersion: not in the schema",
                          "Update.spec.maxUnavailable: not an integer",
                          "Update.spec.drainTimeout: not in the schema"}));
}

TEST(HousekeeperUpdate, NamedAsNkdNamesItAndKubeVersionOnlyWhenKubernetesChanges) {
  auto cluster = testing::openstack_cluster();
  cluster.upgrade.max_unavailable = 3;
  const YAML::Node os_only = YAML::Load(housekeeper::update_yaml(cluster, false));
  EXPECT_EQ(os_only["metadata"]["name"].as<std::string>(), "housekeeper-upgrade");
  EXPECT_EQ(os_only["metadata"]["namespace"].as<std::string>(), "housekeeper-system");
  EXPECT_EQ(os_only["spec"]["kubeVersion"].as<std::string>(), "");
  EXPECT_EQ(os_only["spec"]["osImageURL"].as<std::string>(), cluster.os.image_url);
  EXPECT_TRUE(os_only["spec"]["evictPodForce"].as<bool>());
  EXPECT_EQ(os_only["spec"]["maxUnavailable"].as<int>(), 3);
  EXPECT_EQ(os_only["spec"].size(), 4u) << "exactly the CRD's fields; the drain timeout stays in nkd";
  const YAML::Node both = YAML::Load(housekeeper::update_yaml(cluster, true));
  EXPECT_EQ(both["spec"]["kubeVersion"].as<std::string>(), "v1.29.1");
}

TEST(HousekeeperManifests, CrdSchemaIsTheRealOneDescriptionsAside) {
  auto strip = [](YAML::Node node) {
    std::map<std::string, std::string> flat;
    flatten(node, "", flat);
    std::erase_if(flat, [](const auto& entry) { return entry.first.ends_with("|description"); });
    return flat;
  };
  const YAML::Node ours = manifest(testing::openstack_cluster(), "CustomResourceDefinition");
  YAML::Node theirs = nkd_object("crd");
  auto expected = strip(theirs["spec"]);
  auto actual = strip(ours["spec"]);
  EXPECT_EQ(actual, expected);
  EXPECT_EQ(ours["metadata"]["name"].as<std::string>(), "updates.housekeeper.io");
}

TEST(HousekeeperManifests, NamespaceAndRbacAreNkdsRuleForRule) {
  const auto cluster = testing::openstack_cluster();
  EXPECT_EQ(differences(manifest(cluster, "Namespace"), nkd_object("namespace")),
            kManagedBy);
  // NKD's role carries creationTimestamp: null (controller-gen's output), which means nothing.
  EXPECT_EQ(differences(manifest(cluster, "ClusterRole"), nkd_object("role")),
            with_managed_by({"-|metadata|creationTimestamp"}));
  EXPECT_EQ(differences(manifest(cluster, "ClusterRoleBinding"),
                        nkd_object("role-binding")),
            kManagedBy);
}

TEST(HousekeeperManifests, OperatorDeploymentIsNkdsFieldByField) {
  for (model::Arch arch : {model::Arch::kAmd64, model::Arch::kArm64}) {
    auto cluster = testing::openstack_cluster();
    cluster.os.arch = arch;
    const std::string image = std::string("hub.oepkgs.net/nestos/housekeeper/") +
                              model::to_string(arch) + "/housekeeper-operator-manager:0.1.0";
    const YAML::Node theirs =
        nkd_template("operator", "OPERATOR_IMAGE", image);
    // Deliberate: kubeadm >= 1.24 taints control-plane nodes node-role.kubernetes.io/control-plane
    // (no longer .../master), and the pod is pinned to those nodes: without this toleration it
    // never schedules.
    EXPECT_EQ(differences(manifest(cluster, "Deployment"), theirs),
              with_managed_by({"+|spec|template|spec|tolerations|1|key",
                               "+|spec|template|spec|tolerations|1|operator",
                               "+|spec|template|spec|tolerations|1|effect"}));
  }
}

TEST(HousekeeperManifests, ControllerDaemonSetIsNkdsFieldByField) {
  for (model::Arch arch : {model::Arch::kAmd64, model::Arch::kArm64}) {
    auto cluster = testing::openstack_cluster();
    cluster.os.arch = arch;
    const std::string image = std::string("hub.oepkgs.net/nestos/housekeeper/") +
                              model::to_string(arch) + "/housekeeper-controller-manager:0.1.0";
    const YAML::Node theirs =
        nkd_template("controller", "CONTROLLER_IMAGE", image);
    // Deliberate: the control-plane taint tolerated too, or control-plane nodes of kubeadm >= 1.24
    // clusters run no controller and the operator waits on them for ever.
    EXPECT_EQ(differences(manifest(cluster, "DaemonSet"), theirs),
              with_managed_by({"+|spec|template|spec|tolerations|2|key",
                               "+|spec|template|spec|tolerations|2|operator",
                               "+|spec|template|spec|tolerations|2|effect"}));
  }
}

TEST(HousekeeperManifests, MixedArchitecturesGetOneDaemonSetEachPinnedByArch) {
  auto cluster = testing::openstack_cluster();
  cluster.pools[2].arch = model::Arch::kArm64;  // the "gpu" worker pool
  const auto manifests = housekeeper::manifests(cluster);
  ASSERT_EQ(manifests.size(), 7u);
  const YAML::Node amd = YAML::Load(manifests[5].yaml);
  const YAML::Node arm = YAML::Load(manifests[6].yaml);
  EXPECT_EQ(manifests[6].file_name, "05-controller-daemonset-arm64.yaml");
  EXPECT_EQ(amd["metadata"]["name"].as<std::string>(), "housekeeper-controller-manager");
  EXPECT_EQ(arm["metadata"]["name"].as<std::string>(), "housekeeper-controller-manager-arm64");
  EXPECT_EQ(arm["spec"]["selector"]["matchLabels"]["control-plane"].as<std::string>(),
            "housekeeper-controller-manager-arm64");
  EXPECT_EQ(amd["spec"]["template"]["spec"]["nodeSelector"]["kubernetes.io/arch"].as<std::string>(), "amd64");
  EXPECT_EQ(arm["spec"]["template"]["spec"]["nodeSelector"]["kubernetes.io/arch"].as<std::string>(), "arm64");
  EXPECT_EQ(arm["spec"]["template"]["spec"]["containers"][0]["image"].as<std::string>(),
            "hub.oepkgs.net/nestos/housekeeper/arm64/housekeeper-controller-manager:0.1.0");
  const YAML::Node deployment = YAML::Load(manifests[4].yaml);
  EXPECT_EQ(deployment["spec"]["template"]["spec"]["nodeSelector"]["kubernetes.io/arch"].as<std::string>(),
            "amd64") << "the operator runs on the control plane's architecture";
}

TEST(HousekeeperManifests, PolicyImagesReplaceTheDefaults) {
  auto cluster = testing::openstack_cluster();
  cluster.upgrade.operator_image = "mirror.example.org/hk/operator:v9";
  cluster.upgrade.daemon_image = "mirror.example.org/hk/controller:v9";
  auto image_of = [&](const std::string& kind) {
    return manifest(cluster, kind)["spec"]["template"]["spec"]["containers"][0]["image"].as<std::string>();
  };
  EXPECT_EQ(image_of("Deployment"), "mirror.example.org/hk/operator:v9");
  EXPECT_EQ(image_of("DaemonSet"), "mirror.example.org/hk/controller:v9");
}

TEST(HousekeeperManifests, RenderIdenticallyTwice) {
  const auto cluster = testing::openstack_cluster();
  const auto first = housekeeper::manifests(cluster);
  const auto second = housekeeper::manifests(cluster);
  ASSERT_EQ(first.size(), second.size());
  for (std::size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i].yaml, second[i].yaml);
}

struct Grant {
  std::string group, resource;
  std::set<std::string> verbs, names;
};

std::vector<Grant> grants(const housekeeper::Manifest& role) {
  std::vector<Grant> found;
  for (const auto& rule : YAML::Load(role.yaml)["rules"]) {
    Grant grant{rule["apiGroups"][0].as<std::string>(), rule["resources"][0].as<std::string>(), {}, {}};
    for (const auto& verb : rule["verbs"]) grant.verbs.insert(verb.as<std::string>());
    for (const auto& name : rule["resourceNames"]) grant.names.insert(name.as<std::string>());
    found.push_back(grant);
  }
  return found;
}

TEST(NkdAccess, BindsItsOwnGroupToExactlyWhatNkdDoes) {
  const auto manifests = housekeeper::nkd_access_manifests(testing::openstack_cluster());
  ASSERT_EQ(manifests.size(), 4u);
  const YAML::Node binding = YAML::Load(manifests[1].yaml);
  EXPECT_EQ(binding["subjects"][0]["kind"].as<std::string>(), "Group");
  EXPECT_EQ(binding["subjects"][0]["name"].as<std::string>(), "nkd:controllers");
  EXPECT_EQ(binding["roleRef"]["name"].as<std::string>(), "nkd:controller");
  const auto rules = grants(manifests[0]);
  auto find = [&](const std::string& group, const std::string& resource, const std::string& verb) {
    return std::find_if(rules.begin(), rules.end(), [&](const Grant& grant) {
      return grant.group == group && grant.resource == resource && grant.verbs.contains(verb);
    });
  };
  for (const Grant& grant : rules) {
    EXPECT_FALSE(grant.verbs.contains("*") || grant.resource == "*" || grant.group == "*");
    EXPECT_NE(grant.resource, "secrets") << "Secrets only in kube-system, through the Role";
  }
  EXPECT_EQ(find("", "nodes", "patch")->verbs, (std::set<std::string>{"get", "list", "patch", "delete"}));
  EXPECT_NE(find("", "pods/eviction", "create"), rules.end());
  EXPECT_EQ(find("housekeeper.io", "updates", "patch")->names, std::set<std::string>{"housekeeper-upgrade"});
  EXPECT_TRUE(find("apiextensions.k8s.io", "customresourcedefinitions", "create")
                  ->names.contains("updates.housekeeper.io"));
  EXPECT_TRUE(find("apiextensions.k8s.io", "customresourcedefinitions", "create")
                  ->names.contains("ippools.crd.projectcalico.org"));
  EXPECT_EQ(find("rbac.authorization.k8s.io", "clusterroles", "escalate")->names,
            (std::set<std::string>{"calico-cni-plugin", "calico-kube-controllers", "calico-node",
                                   "calico-tier-getter", "update-manager-role"}));
  EXPECT_TRUE(find("apps", "deployments", "patch")->names.contains("housekeeper-operator-manager"));
  const YAML::Node token_role = YAML::Load(manifests[2].yaml);
  EXPECT_EQ(token_role["kind"].as<std::string>(), "Role");
  EXPECT_EQ(token_role["metadata"]["namespace"].as<std::string>(), "kube-system");
  // Server-side apply of a new token is a patch that creates.
  EXPECT_EQ(grants(manifests[2])[0].verbs,
            (std::set<std::string>{"create", "delete", "get", "list", "patch"}));
}

// A kind the role's table does not know would get no rule: nkd would be refused at run time.
TEST(NkdAccess, GrantsApplyOnEveryObjectNkdApplies) {
  for (const model::NetworkPlugin plugin : {model::NetworkPlugin::kCalico, model::NetworkPlugin::kFlannel}) {
    auto cluster = testing::openstack_cluster();
    cluster.kubernetes.network_plugin = plugin;
    cluster.pools[2].arch = model::Arch::kArm64;  // a second controller DaemonSet
    const auto rules = grants(housekeeper::nkd_access_manifests(cluster)[0]);
    std::vector<std::string> objects;
    for (const auto& manifest : network::network_plugin_manifests(cluster)) objects.push_back(manifest.yaml);
    for (const auto& manifest : housekeeper::manifests(cluster)) objects.push_back(manifest.yaml);
    ASSERT_GT(objects.size(), 6u);
    for (const std::string& yaml : objects) {
      const YAML::Node object = YAML::Load(yaml);
      const std::string kind = object["kind"].as<std::string>();
      const std::string name = object["metadata"]["name"].as<std::string>();
      const bool granted = std::any_of(rules.begin(), rules.end(), [&](const Grant& grant) {
        return grant.verbs.contains("patch") && grant.verbs.contains("create") &&
               grant.names.contains(name);
      });
      EXPECT_TRUE(granted) << model::to_string(plugin) << ": " << kind << " " << name;
    }
  }
}

TEST(NkdAccess, FlannelClustersGetFlannelsObjectsNotCalicos) {
  auto cluster = testing::openstack_cluster();
  cluster.kubernetes.network_plugin = model::NetworkPlugin::kFlannel;
  const std::string role = housekeeper::nkd_access_manifests(cluster)[0].yaml;
  EXPECT_NE(role.find("kube-flannel-ds"), std::string::npos);
  EXPECT_EQ(role.find("calico"), std::string::npos);
}

}  // namespace
}  // namespace nkd
