// Network plugin manifests: one valid object per file, the pod CIDR and calico's encapsulation
// where each plugin reads them, images from the pinned table (mirror or upstream), host paths
// NestOS can write, CRDs the API server accepts, control-plane tolerations, determinism, and the
// network/ artifacts of a full cluster render.
#include "render/network/network_plugin.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "render/network/pinned_versions.h"
#include "render/render.h"
#include "tests/support/render_fixtures.h"

namespace nkd {
namespace {

using model::CalicoEncapsulation;
using model::NetworkPlugin;

model::Cluster cluster_with(NetworkPlugin plugin, const std::string& mirror = "") {
  model::Cluster cluster = testing::openstack_cluster();
  cluster.kubernetes.network_plugin = plugin;
  cluster.kubernetes.pod_subnet = "10.200.0.0/16";
  cluster.kubernetes.network_plugin_config.image_repository = mirror;
  return cluster;
}

std::vector<YAML::Node> documents(const model::Cluster& cluster) {
  std::vector<YAML::Node> parsed;
  for (const auto& manifest : network::network_plugin_manifests(cluster)) {
    parsed.push_back(YAML::Load(manifest.yaml));
  }
  return parsed;
}

YAML::Node object(const model::Cluster& cluster, const std::string& kind, const std::string& name) {
  for (const YAML::Node& document : documents(cluster)) {
    if (document["kind"].as<std::string>() == kind &&
        document["metadata"]["name"].as<std::string>() == name) {
      return document;
    }
  }
  throw std::runtime_error("no " + kind + " " + name);
}

// Every container of a pod template, init containers first.
std::vector<YAML::Node> containers(const YAML::Node& workload) {
  std::vector<YAML::Node> found;
  const YAML::Node pod = workload["spec"]["template"]["spec"];
  for (const char* key : {"initContainers", "containers"}) {
    for (const auto& container : pod[key]) found.push_back(container);
  }
  return found;
}

std::map<std::string, std::string> plain_env(const YAML::Node& container) {
  std::map<std::string, std::string> env;
  for (const auto& variable : container["env"]) {
    if (variable["value"]) {
      env[variable["name"].as<std::string>()] = variable["value"].as<std::string>();
    }
  }
  return env;
}

std::set<std::string> images(const model::Cluster& cluster) {
  std::set<std::string> found;
  for (const YAML::Node& document : documents(cluster)) {
    if (!document["spec"] || !document["spec"]["template"]) continue;
    for (const auto& container : containers(document)) {
      found.insert(container["image"].as<std::string>());
    }
  }
  return found;
}

std::string expected_image(network::PluginImage image, const std::string& repository) {
  const network::PinnedImage& pinned = network::pinned_image(image);
  return repository + "/" + pinned.name + ":" + pinned.tag;
}

bool tolerates_control_plane(const YAML::Node& workload) {
  for (const auto& toleration : workload["spec"]["template"]["spec"]["tolerations"]) {
    const std::string key = toleration["key"] ? toleration["key"].as<std::string>() : "";
    const std::string effect = toleration["effect"] ? toleration["effect"].as<std::string>() : "";
    const std::string op =
        toleration["operator"] ? toleration["operator"].as<std::string>() : "Equal";
    const bool any_key = key.empty() && op == "Exists";
    const bool key_matches = key == "node-role.kubernetes.io/control-plane";
    if ((any_key || key_matches) && (effect.empty() || effect == "NoSchedule")) return true;
  }
  return false;
}

TEST(NetworkPlugin, NoneRendersNothing) {
  EXPECT_TRUE(network::network_plugin_manifests(cluster_with(NetworkPlugin::kNone)).empty());
}

TEST(NetworkPlugin, EachPluginRendersOneNamedObjectPerFileInSortedOrder) {
  for (NetworkPlugin plugin : {NetworkPlugin::kCalico, NetworkPlugin::kFlannel}) {
    SCOPED_TRACE(model::to_string(plugin));
    const auto manifests = network::network_plugin_manifests(cluster_with(plugin));
    ASSERT_FALSE(manifests.empty());
    std::vector<std::string> names;
    for (const auto& manifest : manifests) {
      SCOPED_TRACE(manifest.file_name);
      names.push_back(manifest.file_name);
      EXPECT_TRUE(manifest.file_name.ends_with(".yaml"));
      const auto parsed = YAML::LoadAll(manifest.yaml);
      ASSERT_EQ(parsed.size(), 1u);
      EXPECT_FALSE(parsed[0]["apiVersion"].as<std::string>().empty());
      EXPECT_FALSE(parsed[0]["kind"].as<std::string>().empty());
      EXPECT_FALSE(parsed[0]["metadata"]["name"].as<std::string>().empty());
      EXPECT_EQ(parsed[0]["metadata"]["labels"]["app.kubernetes.io/managed-by"].as<std::string>(),
                "nkd");
    }
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
    EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
  }
}

TEST(NetworkPlugin, RendersAreByteIdenticalAcrossCalls) {
  for (NetworkPlugin plugin : {NetworkPlugin::kCalico, NetworkPlugin::kFlannel}) {
    const auto first = network::network_plugin_manifests(cluster_with(plugin));
    const auto second = network::network_plugin_manifests(cluster_with(plugin));
    ASSERT_EQ(first.size(), second.size());
    for (std::size_t i = 0; i < first.size(); ++i) {
      EXPECT_EQ(first[i].file_name, second[i].file_name);
      EXPECT_EQ(first[i].yaml, second[i].yaml) << first[i].file_name;
    }
  }
}

TEST(NetworkPlugin, FlannelNetworkIsThePodSubnetOverVxlan) {
  const YAML::Node config_map =
      object(cluster_with(NetworkPlugin::kFlannel), "ConfigMap", "kube-flannel-cfg");
  EXPECT_EQ(config_map["metadata"]["namespace"].as<std::string>(), "kube-flannel");
  const auto network = nlohmann::json::parse(config_map["data"]["net-conf.json"].as<std::string>());
  EXPECT_EQ(network["Network"], "10.200.0.0/16");
  EXPECT_EQ(network["Backend"]["Type"], "vxlan");
  const auto cni = nlohmann::json::parse(config_map["data"]["cni-conf.json"].as<std::string>());
  ASSERT_EQ(cni["plugins"].size(), 2u);
  EXPECT_EQ(cni["plugins"][0]["type"], "flannel");
  EXPECT_EQ(cni["plugins"][1]["type"], "portmap");
}

TEST(NetworkPlugin, FlannelDaemonSetInstallsCniAndRunsFlanneldOnTheHostNetwork) {
  const YAML::Node daemonset =
      object(cluster_with(NetworkPlugin::kFlannel), "DaemonSet", "kube-flannel-ds");
  const YAML::Node pod = daemonset["spec"]["template"]["spec"];
  EXPECT_TRUE(pod["hostNetwork"].as<bool>());
  EXPECT_EQ(pod["priorityClassName"].as<std::string>(), "system-node-critical");
  EXPECT_EQ(pod["serviceAccountName"].as<std::string>(), "flannel");
  ASSERT_EQ(pod["initContainers"].size(), 2u);
  std::set<std::string> init_mounts;
  for (const auto& container : pod["initContainers"]) {
    for (const auto& mount : container["volumeMounts"]) {
      init_mounts.insert(mount["mountPath"].as<std::string>());
    }
  }
  EXPECT_TRUE(init_mounts.contains("/opt/cni/bin"));
  EXPECT_TRUE(init_mounts.contains("/etc/cni/net.d"));
  const YAML::Node flanneld = pod["containers"][0];
  std::set<std::string> args;
  for (const auto& arg : flanneld["args"]) args.insert(arg.as<std::string>());
  EXPECT_TRUE(args.contains("--kube-subnet-mgr"));
  EXPECT_TRUE(args.contains("--ip-masq"));
  std::set<std::string> capabilities;
  for (const auto& item : flanneld["securityContext"]["capabilities"]["add"]) {
    capabilities.insert(item.as<std::string>());
  }
  EXPECT_EQ(capabilities, (std::set<std::string>{"NET_ADMIN", "NET_RAW"}));
  const auto labels = daemonset["spec"]["template"]["metadata"]["labels"];
  for (const auto& selector : daemonset["spec"]["selector"]["matchLabels"]) {
    EXPECT_EQ(labels[selector.first.as<std::string>()].as<std::string>(),
              selector.second.as<std::string>());
  }
}

TEST(NetworkPlugin, CalicoPoolIsThePodSubnet) {
  const YAML::Node daemonset =
      object(cluster_with(NetworkPlugin::kCalico), "DaemonSet", "calico-node");
  const auto env = plain_env(daemonset["spec"]["template"]["spec"]["containers"][0]);
  EXPECT_EQ(env.at("CALICO_IPV4POOL_CIDR"), "10.200.0.0/16");
  EXPECT_EQ(env.at("CLUSTER_TYPE"), "k8s,bgp");
  EXPECT_EQ(env.at("IP"), "autodetect");
  EXPECT_EQ(env.at("DATASTORE_TYPE"), "kubernetes");
}

TEST(NetworkPlugin, ClustersWithOtherSettingsGetTheirOwnManifests) {
  model::Cluster first = cluster_with(NetworkPlugin::kCalico);
  model::Cluster second = cluster_with(NetworkPlugin::kCalico, "mirror.example.org/calico");
  second.kubernetes.pod_subnet = "10.50.0.0/16";
  const auto pool = [](const model::Cluster& cluster) {
    const YAML::Node node = object(cluster, "DaemonSet", "calico-node");
    return plain_env(node["spec"]["template"]["spec"]["containers"][0]).at("CALICO_IPV4POOL_CIDR");
  };
  EXPECT_EQ(pool(first), "10.200.0.0/16");
  EXPECT_EQ(pool(second), "10.50.0.0/16");
  EXPECT_EQ(pool(first), "10.200.0.0/16");
  for (const std::string& image : images(first)) EXPECT_TRUE(image.starts_with("docker.io/"));
  for (const std::string& image : images(second)) EXPECT_TRUE(image.starts_with("mirror."));
}

struct EncapsulationCase {
  CalicoEncapsulation encapsulation;
  const char* ipip;
  const char* vxlan;
  const char* backend;
};

TEST(NetworkPlugin, CalicoEncapsulationSetsPoolFelixAndBackendTogether) {
  const EncapsulationCase cases[] = {
      {CalicoEncapsulation::kVxlan, "Never", "Always", "vxlan"},
      {CalicoEncapsulation::kVxlanCrossSubnet, "Never", "CrossSubnet", "vxlan"},
      {CalicoEncapsulation::kIpip, "Always", "Never", "bird"},
      {CalicoEncapsulation::kIpipCrossSubnet, "CrossSubnet", "Never", "bird"},
      {CalicoEncapsulation::kNone, "Never", "Never", "bird"},
  };
  for (const EncapsulationCase& row : cases) {
    SCOPED_TRACE(model::to_string(row.encapsulation));
    model::Cluster cluster = cluster_with(NetworkPlugin::kCalico);
    cluster.kubernetes.network_plugin_config.encapsulation = row.encapsulation;
    const YAML::Node node = object(cluster, "DaemonSet", "calico-node");
    const YAML::Node container = node["spec"]["template"]["spec"]["containers"][0];
    const auto env = plain_env(container);
    EXPECT_EQ(env.at("CALICO_IPV4POOL_IPIP"), row.ipip);
    EXPECT_EQ(env.at("CALICO_IPV4POOL_VXLAN"), row.vxlan);
    EXPECT_EQ(env.at("FELIX_IPINIPENABLED"), std::string(row.ipip) != "Never" ? "true" : "false");
    EXPECT_EQ(env.at("FELIX_VXLANENABLED"), std::string(row.vxlan) != "Never" ? "true" : "false");
    const YAML::Node config = object(cluster, "ConfigMap", "calico-config");
    EXPECT_EQ(config["data"]["calico_backend"].as<std::string>(), row.backend);
    // BIRD's health checks only where BIRD runs.
    const std::string liveness = YAML::Dump(container["livenessProbe"]);
    const std::string readiness = YAML::Dump(container["readinessProbe"]);
    const bool bgp = std::string(row.backend) == "bird";
    EXPECT_EQ(liveness.find("-bird-live") != std::string::npos, bgp);
    EXPECT_EQ(readiness.find("-bird-ready") != std::string::npos, bgp);
  }
}

TEST(NetworkPlugin, CalicoConfigMapCarriesAValidCniTemplateAndNoTypha) {
  const YAML::Node config =
      object(cluster_with(NetworkPlugin::kCalico), "ConfigMap", "calico-config");
  EXPECT_EQ(config["metadata"]["namespace"].as<std::string>(), "kube-system");
  EXPECT_EQ(config["data"]["typha_service_name"].as<std::string>(), "none");
  EXPECT_EQ(config["data"]["veth_mtu"].as<std::string>(), "0");
  std::string cni = config["data"]["cni_network_config"].as<std::string>();
  // install-cni substitutes the MTU as a bare number.
  const std::string placeholder = "__CNI_MTU__";
  cni.replace(cni.find(placeholder), placeholder.size(), "1450");
  const auto parsed = nlohmann::json::parse(cni);
  EXPECT_EQ(parsed["plugins"][0]["type"], "calico");
  EXPECT_EQ(parsed["plugins"][0]["ipam"]["type"], "calico-ipam");
  EXPECT_EQ(parsed["plugins"][0]["datastore_type"], "kubernetes");
}

TEST(NetworkPlugin, CalicoNodeHasItsInitContainersInOrder) {
  const YAML::Node daemonset =
      object(cluster_with(NetworkPlugin::kCalico), "DaemonSet", "calico-node");
  const YAML::Node pod = daemonset["spec"]["template"]["spec"];
  std::vector<std::string> names;
  for (const auto& container : pod["initContainers"]) {
    names.push_back(container["name"].as<std::string>());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"upgrade-ipam", "install-cni", "mount-bpffs"}));
  EXPECT_TRUE(pod["hostNetwork"].as<bool>());
  EXPECT_EQ(pod["priorityClassName"].as<std::string>(), "system-node-critical");
  EXPECT_EQ(pod["serviceAccountName"].as<std::string>(), "calico-node");
}

TEST(NetworkPlugin, ImagesComeFromUpstreamWithThePinnedTags) {
  using network::PluginImage;
  EXPECT_EQ(images(cluster_with(NetworkPlugin::kCalico)),
            (std::set<std::string>{
                expected_image(PluginImage::kCalicoCni, "docker.io/calico"),
                expected_image(PluginImage::kCalicoNode, "docker.io/calico"),
                expected_image(PluginImage::kCalicoKubeControllers, "docker.io/calico")}));
  EXPECT_EQ(
      images(cluster_with(NetworkPlugin::kFlannel)),
      (std::set<std::string>{expected_image(PluginImage::kFlannel, "ghcr.io/flannel-io"),
                             expected_image(PluginImage::kFlannelCni, "ghcr.io/flannel-io")}));
  EXPECT_TRUE(images(cluster_with(NetworkPlugin::kCalico))
                  .contains("docker.io/calico/node:" + std::string(network::kCalicoRelease)));
  EXPECT_TRUE(images(cluster_with(NetworkPlugin::kFlannel))
                  .contains("ghcr.io/flannel-io/flannel:" + std::string(network::kFlannelRelease)));
}

TEST(NetworkPlugin, EveryImageComesFromTheMirrorWhenOneIsSet) {
  const std::string mirror = "mirror.example.org:5000/cni";
  for (NetworkPlugin plugin : {NetworkPlugin::kCalico, NetworkPlugin::kFlannel}) {
    SCOPED_TRACE(model::to_string(plugin));
    const auto found = images(cluster_with(plugin, mirror));
    ASSERT_FALSE(found.empty());
    for (const std::string& image : found) {
      EXPECT_TRUE(image.starts_with(mirror + "/")) << image;
      bool pinned = false;
      for (const network::PinnedImage& row : network::kPinnedImages) {
        pinned = pinned || image == mirror + "/" + row.name + ":" + row.tag;
      }
      EXPECT_TRUE(pinned) << image;
    }
  }
}

TEST(NetworkPlugin, HostPathsAvoidNestOsReadOnlyUsr) {
  for (NetworkPlugin plugin : {NetworkPlugin::kCalico, NetworkPlugin::kFlannel}) {
    SCOPED_TRACE(model::to_string(plugin));
    for (const auto& manifest : network::network_plugin_manifests(cluster_with(plugin))) {
      EXPECT_EQ(manifest.yaml.find("/usr/libexec/kubernetes"), std::string::npos)
          << manifest.file_name;
      const YAML::Node document = YAML::Load(manifest.yaml);
      if (!document["spec"] || !document["spec"]["template"]) continue;
      for (const auto& volume : document["spec"]["template"]["spec"]["volumes"]) {
        if (!volume["hostPath"]) continue;
        const std::string path = volume["hostPath"]["path"].as<std::string>();
        EXPECT_FALSE(path.starts_with("/usr")) << path;
        // A FlexVolume driver directory, should one be mounted, is NestOS's writable one.
        if (path.find("kubelet-plugins/volume/exec") != std::string::npos) {
          EXPECT_TRUE(path.starts_with("/opt/libexec/kubernetes/")) << path;
        }
      }
    }
  }
}

TEST(NetworkPlugin, CalicoCrdsAreV1WithSchemaAndOneStorageVersion) {
  std::set<std::string> names;
  for (const YAML::Node& document : documents(cluster_with(NetworkPlugin::kCalico))) {
    if (document["kind"].as<std::string>() != "CustomResourceDefinition") continue;
    const std::string name = document["metadata"]["name"].as<std::string>();
    SCOPED_TRACE(name);
    names.insert(name);
    EXPECT_EQ(document["apiVersion"].as<std::string>(), "apiextensions.k8s.io/v1");
    const YAML::Node spec = document["spec"];
    EXPECT_EQ(name,
              spec["names"]["plural"].as<std::string>() + "." + spec["group"].as<std::string>());
    int storage_versions = 0;
    for (const auto& version : spec["versions"]) {
      EXPECT_TRUE(version["served"].as<bool>());
      if (version["storage"].as<bool>()) ++storage_versions;
      const YAML::Node schema = version["schema"]["openAPIV3Schema"];
      ASSERT_TRUE(schema.IsMap());
      EXPECT_EQ(schema["type"].as<std::string>(), "object");
      EXPECT_EQ(schema["properties"]["spec"]["type"].as<std::string>(), "object");
    }
    EXPECT_EQ(storage_versions, 1);
    if (spec["group"].as<std::string>().ends_with(".k8s.io")) {
      EXPECT_TRUE(document["metadata"]["annotations"]["api-approved.kubernetes.io"]);
    }
  }
  EXPECT_EQ(names.size(), 20u);
  for (const char* expected :
       {"ippools.crd.projectcalico.org", "ipamblocks.crd.projectcalico.org",
        "felixconfigurations.crd.projectcalico.org", "tiers.crd.projectcalico.org",
        "kubecontrollersconfigurations.crd.projectcalico.org",
        "adminnetworkpolicies.policy.networking.k8s.io"}) {
    EXPECT_TRUE(names.contains(expected)) << expected;
  }
}

TEST(NetworkPlugin, DaemonSetsTolerateControlPlaneNodes) {
  EXPECT_TRUE(tolerates_control_plane(
      object(cluster_with(NetworkPlugin::kFlannel), "DaemonSet", "kube-flannel-ds")));
  EXPECT_TRUE(tolerates_control_plane(
      object(cluster_with(NetworkPlugin::kCalico), "DaemonSet", "calico-node")));
  EXPECT_TRUE(tolerates_control_plane(
      object(cluster_with(NetworkPlugin::kCalico), "Deployment", "calico-kube-controllers")));
}

TEST(NetworkPlugin, CalicoBindingsNameTheirServiceAccounts) {
  const model::Cluster cluster = cluster_with(NetworkPlugin::kCalico);
  for (const char* name : {"calico-node", "calico-cni-plugin", "calico-kube-controllers"}) {
    SCOPED_TRACE(name);
    object(cluster, "ServiceAccount", name);
    object(cluster, "ClusterRole", name);
    const YAML::Node binding = object(cluster, "ClusterRoleBinding", name);
    EXPECT_EQ(binding["roleRef"]["name"].as<std::string>(), name);
    EXPECT_EQ(binding["subjects"][0]["name"].as<std::string>(), name);
    EXPECT_EQ(binding["subjects"][0]["namespace"].as<std::string>(), "kube-system");
  }
  const YAML::Node budget = object(cluster, "PodDisruptionBudget", "calico-kube-controllers");
  EXPECT_EQ(budget["apiVersion"].as<std::string>(), "policy/v1");
}

std::vector<std::string> network_paths(const model::Cluster& cluster) {
  const auto rendered = render::render_cluster(cluster, testing::placeholder_pki(cluster), {});
  std::vector<std::string> paths;
  for (const auto& artifact : rendered.artifacts) {
    if (artifact.path.starts_with("network/")) paths.push_back(artifact.path);
  }
  return paths;
}

TEST(NetworkPlugin, ClusterRenderCarriesTheNetworkArtifacts) {
  const auto calico = network_paths(cluster_with(NetworkPlugin::kCalico));
  EXPECT_EQ(calico.size(),
            network::network_plugin_manifests(cluster_with(NetworkPlugin::kCalico)).size());
  EXPECT_TRUE(std::find(calico.begin(), calico.end(), "network/50-daemonset-calico-node.yaml") !=
              calico.end());
  const auto flannel = network_paths(cluster_with(NetworkPlugin::kFlannel));
  EXPECT_TRUE(std::find(flannel.begin(), flannel.end(),
                        "network/40-config-map-kube-flannel-cfg.yaml") != flannel.end());
  EXPECT_TRUE(network_paths(cluster_with(NetworkPlugin::kNone)).empty());
}

}  // namespace
}  // namespace nkd
