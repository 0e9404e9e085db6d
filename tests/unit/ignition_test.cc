// Node Ignition configs: content per role, PKI placement, kubeadm documents,
// runtimes, extras, canonical output and the pointer config.
#include "render/ignition/ignition.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/crypto.h"
#include "render/ignition/kube_vip.h"
#include "render/ignition/kubeadm.h"
#include "render/ignition/node_content.h"
#include "tests/support/nkd_facts.h"
#include "tests/support/render_fixtures.h"

namespace nkd {
namespace {

using testing::ignition_files;
using testing::ignition_units;

struct Rendered {
  nlohmann::json config;
  std::map<std::string, testing::IgnitionFile> files;
  std::map<std::string, nlohmann::json> units;
};

Rendered render(const model::Cluster& cluster, const model::Node& node) {
  const auto text = ignition::node_config(cluster, node, testing::placeholder_pki(cluster));
  Rendered rendered;
  rendered.config = nlohmann::json::parse(text);
  rendered.files = ignition_files(rendered.config);
  rendered.units = ignition_units(rendered.config);
  return rendered;
}

model::Node node_named(const model::Cluster& cluster, const std::string& name) {
  for (const model::Node& node : model::expand_nodes(cluster)) {
    if (node.name == name) return node;
  }
  throw std::runtime_error("no node " + name);
}

std::vector<YAML::Node> kubeadm_documents(const Rendered& rendered) {
  return YAML::LoadAll(rendered.files.at(ignition::kKubeadmConfigPath).contents);
}

TEST(IgnitionConfig, DeclaresSpecVersion330) {
  const auto cluster = testing::openstack_cluster();
  const auto rendered = render(cluster, node_named(cluster, "prod-east-workers-0"));
  EXPECT_EQ(rendered.config["ignition"]["version"], "3.3.0");
}

TEST(IgnitionConfig, WritesTheNodesHostname) {
  const auto cluster = testing::openstack_cluster();
  const auto rendered = render(cluster, node_named(cluster, "prod-east-workers-1"));
  EXPECT_EQ(rendered.files.at("/etc/hostname").contents, "prod-east-workers-1\n");
  EXPECT_EQ(rendered.files.at("/etc/hostname").mode, 0644);
}

TEST(IgnitionConfig, CreatesUsersInWheelWithKeysAndPasswordHash) {
  auto cluster = testing::openstack_cluster();
  cluster.users.push_back(
      model::User{.name = "ops", .ssh_authorized_keys = {"ssh-rsa AAAB ops"}, .password_hash = ""});
  const auto rendered = render(cluster, node_named(cluster, "prod-east-workers-0"));
  const auto& users = rendered.config["passwd"]["users"];
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0]["name"], "nest");
  EXPECT_EQ(users[0]["sshAuthorizedKeys"][0], "ssh-ed25519 AAAAC3Nza ops@example");
  EXPECT_EQ(users[0]["passwordHash"], "$6$salt$hashedpassword");
  EXPECT_EQ(users[0]["groups"], nlohmann::json::array({"wheel"}));
  EXPECT_EQ(users[1]["name"], "ops");
  EXPECT_FALSE(users[1].contains("passwordHash"));
}

TEST(IgnitionConfig, SetsKernelModulesAndSysctlsForPodNetworking) {
  const auto cluster = testing::openstack_cluster();
  const auto rendered = render(cluster, node_named(cluster, "prod-east-workers-0"));
  const std::string& sysctl = rendered.files.at("/etc/sysctl.d/90-kubernetes.conf").contents;
  EXPECT_NE(sysctl.find("net.ipv4.ip_forward = 1"), std::string::npos);
  EXPECT_NE(sysctl.find("net.bridge.bridge-nf-call-iptables = 1"), std::string::npos);
  EXPECT_NE(sysctl.find("net.bridge.bridge-nf-call-ip6tables = 1"), std::string::npos);
  const std::string& modules = rendered.files.at("/etc/modules-load.d/kubernetes.conf").contents;
  EXPECT_NE(modules.find("\noverlay\n"), std::string::npos);
  EXPECT_NE(modules.find("\nbr_netfilter\n"), std::string::npos);
}

TEST(IgnitionConfig, OnlyTheFirstControlPlaneNodeRunsKubeadmInit) {
  const auto cluster = testing::openstack_cluster();
  int init_nodes = 0;
  for (const model::Node& node : model::expand_nodes(cluster)) {
    const auto rendered = render(cluster, node);
    const std::string unit = rendered.units.at("nkd-kubeadm.service")["contents"];
    const auto documents = kubeadm_documents(rendered);
    const bool init = unit.find("kubeadm init --config") != std::string::npos;
    EXPECT_NE(init, unit.find("kubeadm join --config") != std::string::npos) << node.name;
    EXPECT_EQ(documents[0]["kind"].as<std::string>(),
              init ? "InitConfiguration" : "JoinConfiguration")
        << node.name;
    if (init) {
      ++init_nodes;
      EXPECT_EQ(node.name, "prod-east-control-plane-0");
    }
  }
  EXPECT_EQ(init_nodes, 1);
}

TEST(IgnitionConfig, InitConfigCarriesClusterSettings) {
  const auto cluster = testing::openstack_cluster();
  const auto documents =
      kubeadm_documents(render(cluster, node_named(cluster, "prod-east-control-plane-0")));
  ASSERT_EQ(documents.size(), 3u);
  const YAML::Node& init = documents[0];
  EXPECT_EQ(init["apiVersion"].as<std::string>(), "kubeadm.k8s.io/v1beta3");
  EXPECT_EQ(init["bootstrapTokens"][0]["token"].as<std::string>(), "abcdef.0123456789abcdef");
  EXPECT_EQ(init["nodeRegistration"]["name"].as<std::string>(), "prod-east-control-plane-0");
  EXPECT_EQ(init["nodeRegistration"]["criSocket"].as<std::string>(),
            "unix:///run/containerd/containerd.sock");
  const YAML::Node& config = documents[1];
  EXPECT_EQ(config["kind"].as<std::string>(), "ClusterConfiguration");
  EXPECT_EQ(config["kubernetesVersion"].as<std::string>(), "v1.29.1");
  EXPECT_EQ(config["controlPlaneEndpoint"].as<std::string>(), "api.prod-east.example.org:6443");
  EXPECT_EQ(config["networking"]["podSubnet"].as<std::string>(), "10.244.0.0/16");
  EXPECT_EQ(config["networking"]["serviceSubnet"].as<std::string>(), "10.96.0.0/12");
  EXPECT_EQ(config["networking"]["dnsDomain"].as<std::string>(), "cluster.local");
  EXPECT_EQ(config["imageRepository"].as<std::string>(), "registry.k8s.io");
  EXPECT_EQ(config["clusterName"].as<std::string>(), "prod-east");
  EXPECT_EQ(documents[2]["kind"].as<std::string>(), "KubeletConfiguration");
}

TEST(IgnitionConfig, OtherControlPlaneNodesJoinAsControlPlaneWithPinnedCa) {
  const auto cluster = testing::openstack_cluster();
  const auto documents =
      kubeadm_documents(render(cluster, node_named(cluster, "prod-east-control-plane-2")));
  ASSERT_EQ(documents.size(), 1u);
  const YAML::Node& join = documents[0];
  EXPECT_EQ(join["kind"].as<std::string>(), "JoinConfiguration");
  ASSERT_TRUE(join["controlPlane"].IsMap());
  EXPECT_FALSE(join["controlPlane"]["certificateKey"].IsDefined());
  const YAML::Node& token = join["discovery"]["bootstrapToken"];
  EXPECT_EQ(token["token"].as<std::string>(), "abcdef.0123456789abcdef");
  EXPECT_EQ(token["apiServerEndpoint"].as<std::string>(), "api.prod-east.example.org:6443");
  EXPECT_EQ(token["caCertHashes"][0].as<std::string>(), "sha256:" + std::string(64, 'a'));
}

TEST(IgnitionConfig, WorkersJoinWithoutControlPlane) {
  const auto cluster = testing::openstack_cluster();
  const auto documents = kubeadm_documents(render(cluster, node_named(cluster, "prod-east-gpu-0")));
  ASSERT_EQ(documents.size(), 1u);
  EXPECT_EQ(documents[0]["kind"].as<std::string>(), "JoinConfiguration");
  EXPECT_FALSE(documents[0]["controlPlane"].IsDefined());
  EXPECT_EQ(documents[0]["nodeRegistration"]["name"].as<std::string>(), "prod-east-gpu-0");
  EXPECT_EQ(documents[0]["discovery"]["bootstrapToken"]["caCertHashes"].size(), 1u);
}

TEST(IgnitionConfig, WorkerConfigCarriesNoPrivateKey) {
  const auto cluster = testing::openstack_cluster();
  for (const std::string name : {"prod-east-workers-0", "prod-east-gpu-0"}) {
    const auto rendered = render(cluster, node_named(cluster, name));
    for (const auto& [path, file] : rendered.files) {
      EXPECT_EQ(file.contents.find("PRIVATE KEY"), std::string::npos) << name << " " << path;
      EXPECT_EQ(path.rfind("/etc/kubernetes/pki/", 0), std::string::npos) << path;
    }
    EXPECT_EQ(rendered.files.at(ignition::kWorkerCaPath).contents,
              testing::placeholder_pki(cluster).ca.cert_pem);
  }
}

TEST(IgnitionConfig, ControlPlaneGetsOnlyTheSharedCasAndServiceAccountKey) {
  const auto cluster = testing::openstack_cluster();
  const auto pki = testing::placeholder_pki(cluster);
  const auto rendered = render(cluster, node_named(cluster, "prod-east-control-plane-1"));
  const std::string dir = "/etc/kubernetes/pki/";
  std::set<std::string> pki_files;
  for (const auto& [path, file] : rendered.files) {
    if (path.starts_with(dir)) pki_files.insert(path.substr(dir.size()));
  }
  // kubeadm issues apiserver, etcd server/peer and the client certificates on the node.
  EXPECT_EQ(pki_files, (std::set<std::string>{"ca.crt", "ca.key", "front-proxy-ca.crt",
                                              "front-proxy-ca.key", "etcd/ca.crt", "etcd/ca.key",
                                              "sa.key", "sa.pub"}));
  for (const std::string stem : {"ca", "front-proxy-ca", "etcd/ca"}) {
    EXPECT_EQ(rendered.files.at(dir + stem + ".crt").mode, 0644) << stem;
    EXPECT_EQ(rendered.files.at(dir + stem + ".key").mode, 0600) << stem;
  }
  EXPECT_EQ(rendered.files.at(dir + "sa.key").mode, 0600);
  EXPECT_EQ(rendered.files.at(dir + "sa.pub").contents, pki.service_account_public_pem);
  EXPECT_EQ(rendered.files.at(dir + "ca.key").contents, pki.ca.key_pem.reveal());
  EXPECT_EQ(rendered.files.at(dir + "etcd/ca.crt").contents, pki.etcd_ca.cert_pem);
}

TEST(IgnitionConfig, KubeletUsesSystemdCgroupsAndTheTenthServiceAddressForDns) {
  auto cluster = testing::openstack_cluster();
  cluster.kubernetes.service_subnet = "172.20.0.0/16";
  cluster.kubernetes.dns_domain = "k8s.internal";
  const auto rendered = render(cluster, node_named(cluster, "prod-east-workers-0"));
  const YAML::Node kubelet = YAML::Load(rendered.files.at(ignition::kKubeletConfigPath).contents);
  EXPECT_EQ(kubelet["kind"].as<std::string>(), "KubeletConfiguration");
  EXPECT_EQ(kubelet["cgroupDriver"].as<std::string>(), "systemd");
  EXPECT_EQ(kubelet["clusterDomain"].as<std::string>(), "k8s.internal");
  EXPECT_EQ(kubelet["clusterDNS"][0].as<std::string>(), "172.20.0.10");
  const auto& unit = rendered.units.at("kubelet.service");
  EXPECT_TRUE(unit["enabled"].get<bool>());
  const std::string dropin = unit["dropins"][0]["contents"];
  EXPECT_NE(dropin.find("--config=/var/lib/kubelet/config.yaml"), std::string::npos);
}

struct RuntimeCase {
  model::ContainerRuntime runtime;
  std::string config_path;
  std::string cgroup_setting;
  std::string unit;
  std::string socket;
};

TEST(IgnitionConfig, ConfiguresEachContainerRuntimeForSystemdCgroups) {
  const RuntimeCase cases[] = {
      {model::ContainerRuntime::kContainerd, "/etc/containerd/config.toml", "SystemdCgroup = true",
       "containerd.service", "unix:///run/containerd/containerd.sock"},
      {model::ContainerRuntime::kIsulad, "/etc/isulad/daemon.json",
       "\"native.cgroupdriver\": \"systemd\"", "isulad.service", "unix:///var/run/isulad.sock"},
      {model::ContainerRuntime::kCrio, "/etc/crio/crio.conf.d/10-nkd.conf",
       "cgroup_manager = \"systemd\"", "crio.service", "unix:///var/run/crio/crio.sock"},
  };
  for (const RuntimeCase& test_case : cases) {
    auto cluster = testing::openstack_cluster();
    cluster.kubernetes.container_runtime = test_case.runtime;
    cluster.kubernetes.image_repository = "mirror.example.org/k8s";
    const auto rendered = render(cluster, node_named(cluster, "prod-east-workers-0"));
    ASSERT_TRUE(rendered.files.contains(test_case.config_path)) << test_case.config_path;
    const std::string& config = rendered.files.at(test_case.config_path).contents;
    EXPECT_NE(config.find(test_case.cgroup_setting), std::string::npos) << config;
    EXPECT_NE(config.find("mirror.example.org/k8s/pause:3.9"), std::string::npos) << config;
    EXPECT_TRUE(rendered.units.at(test_case.unit)["enabled"].get<bool>());
    EXPECT_EQ(kubeadm_documents(rendered)[0]["nodeRegistration"]["criSocket"].as<std::string>(),
              test_case.socket);
    const std::string kubeadm_unit = rendered.units.at("nkd-kubeadm.service")["contents"];
    EXPECT_NE(kubeadm_unit.find("After=network-online.target " + test_case.unit),
              std::string::npos);
  }
}

TEST(IgnitionConfig, KubeadmUnitRunsOnceAndIsEnabled) {
  const auto cluster = testing::openstack_cluster();
  const auto rendered = render(cluster, node_named(cluster, "prod-east-workers-0"));
  const auto& unit = rendered.units.at("nkd-kubeadm.service");
  EXPECT_TRUE(unit["enabled"].get<bool>());
  const std::string contents = unit["contents"];
  EXPECT_NE(contents.find("ConditionPathExists=!/var/lib/nkd/kubeadm.done"), std::string::npos);
  EXPECT_NE(contents.find("touch /var/lib/nkd/kubeadm.done"), std::string::npos);
  EXPECT_NE(contents.find("RemainAfterExit=yes"), std::string::npos);
  EXPECT_NE(contents.find("[Install]\nWantedBy=multi-user.target"), std::string::npos);
  EXPECT_EQ(rendered.files.at(ignition::kKubeadmConfigPath).mode, 0600);
}

TEST(IgnitionConfig, WritesHousekeeperDaemonUnitAsNestOsShipsIt) {
  const auto cluster = testing::openstack_cluster();
  const auto rendered = render(cluster, node_named(cluster, "prod-east-workers-0"));
  EXPECT_FALSE(rendered.files.contains("/etc/nkd/update.env")) << "the daemon reads no settings";
  const auto& unit = rendered.units.at("housekeeper-daemon.service");
  EXPECT_TRUE(unit["enabled"].get<bool>());
  // NestOS's unit (its directive lines in tests/data/housekeeper/nkd.facts), comments and blank
  // lines aside, line for line.
  std::vector<std::string> lines;
  std::istringstream stream(unit["contents"].get<std::string>());
  for (std::string line; std::getline(stream, line);) {
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  }
  EXPECT_EQ(lines, testing::nkd_fact_object("daemon-unit").get<std::vector<std::string>>());
}

TEST(IgnitionConfig, UserExtrasAreAddedAndOverrideNkdEntries) {
  auto cluster = testing::openstack_cluster();
  cluster.ignition.files.push_back(model::ExtraFile{.path = "/etc/sysctl.d/90-kubernetes.conf",
                                                    .mode = 0600,
                                                    .source = "files/sysctl",
                                                    .contents = "vm.swappiness = 0\n"});
  const auto rendered = render(cluster, node_named(cluster, "prod-east-workers-0"));
  EXPECT_EQ(rendered.files.at("/etc/motd").contents, "Managed by nkd\n");
  EXPECT_EQ(rendered.files.at("/etc/sysctl.d/90-kubernetes.conf").contents, "vm.swappiness = 0\n");
  EXPECT_EQ(rendered.files.at("/etc/sysctl.d/90-kubernetes.conf").mode, 0600);
  int sysctl_entries = 0;
  for (const auto& file : rendered.config["storage"]["files"]) {
    if (file["path"] == "/etc/sysctl.d/90-kubernetes.conf") ++sysctl_entries;
  }
  EXPECT_EQ(sysctl_entries, 1);
  const auto& unit = rendered.units.at("node-exporter.service");
  EXPECT_TRUE(unit["enabled"].get<bool>());
  EXPECT_EQ(unit["contents"], cluster.ignition.units[0].contents);
}

TEST(IgnitionConfig, OutputIsCanonicalJsonWithFilesSortedByPath) {
  const auto cluster = testing::openstack_cluster();
  const auto node = node_named(cluster, "prod-east-control-plane-0");
  const std::string text = ignition::node_config(cluster, node, testing::placeholder_pki(cluster));
  const auto config = nlohmann::json::parse(text);
  EXPECT_EQ(config.dump(), text);
  std::string previous;
  for (const auto& file : config["storage"]["files"]) {
    EXPECT_LT(previous, file["path"].get<std::string>());
    EXPECT_TRUE(file["overwrite"].get<bool>());
    EXPECT_EQ(file["contents"]["source"].get<std::string>().rfind("data:;base64,", 0), 0u);
    previous = file["path"];
  }
}

TEST(IgnitionConfig, ApiServerEndpointAddsThePortAndBracketsIpv6) {
  auto cluster = testing::openstack_cluster();
  EXPECT_EQ(ignition::api_server_endpoint(cluster), "api.prod-east.example.org:6443");
  cluster.kubernetes.control_plane_endpoint = "api.example.org:8443";
  EXPECT_EQ(ignition::api_server_endpoint(cluster), "api.example.org:8443");
  cluster.kubernetes.control_plane_endpoint = "fd00::10";
  EXPECT_EQ(ignition::api_server_endpoint(cluster), "[fd00::10]:6443");
  cluster.kubernetes.control_plane_endpoint = "";
  cluster.kubernetes.virtual_ip.address = "10.0.0.100";
  EXPECT_EQ(ignition::api_server_endpoint(cluster), "10.0.0.100:6443");
  EXPECT_EQ(ignition::api_server_endpoint(testing::bare_metal_cluster()), "10.0.0.11:6443");
}

TEST(IgnitionConfig, KubeadmApiVersionFollowsTheKubernetesMinor) {
  struct Case {
    const char* version;
    const char* api_version;
  };
  for (const Case& test_case : {Case{"v1.22.0", "kubeadm.k8s.io/v1beta3"},
                                Case{"v1.29.1", "kubeadm.k8s.io/v1beta3"},
                                Case{"v1.30.9", "kubeadm.k8s.io/v1beta3"},
                                Case{"v1.31.0", "kubeadm.k8s.io/v1beta4"},
                                Case{"v1.33.2", "kubeadm.k8s.io/v1beta4"}}) {
    auto cluster = testing::bare_metal_cluster();
    cluster.kubernetes.version = test_case.version;
    for (const model::Node& node : model::expand_nodes(cluster)) {
      for (const YAML::Node& document : kubeadm_documents(render(cluster, node))) {
        if (document["kind"].as<std::string>() == "KubeletConfiguration") continue;
        EXPECT_EQ(document["apiVersion"].as<std::string>(), test_case.api_version)
            << test_case.version << " " << node.name;
      }
    }
  }
}

TEST(IgnitionConfig, ExtraArgumentsAreAMapInV1beta3AndAListInV1beta4) {
  auto cluster = testing::bare_metal_cluster();  // fixed node addresses: node-ip is set
  const model::Node worker = node_named(cluster, "bm-1");
  const auto v1beta3 = kubeadm_documents(render(cluster, worker));
  EXPECT_EQ(v1beta3[0]["nodeRegistration"]["kubeletExtraArgs"]["node-ip"].as<std::string>(),
            "10.0.0.12");
  cluster.kubernetes.version = "v1.31.2";
  const auto v1beta4 = kubeadm_documents(render(cluster, worker));
  const YAML::Node arguments = v1beta4[0]["nodeRegistration"]["kubeletExtraArgs"];
  ASSERT_TRUE(arguments.IsSequence());
  EXPECT_EQ(arguments[0]["name"].as<std::string>(), "node-ip");
  EXPECT_EQ(arguments[0]["value"].as<std::string>(), "10.0.0.12");
  const auto init = kubeadm_documents(render(cluster, node_named(cluster, "bm-0")));
  const YAML::Node manager = init[1]["controllerManager"]["extraArgs"];
  ASSERT_TRUE(manager.IsSequence());
  EXPECT_EQ(manager[0]["name"].as<std::string>(), "flex-volume-plugin-dir");
}

TEST(IgnitionConfig, FlexVolumeDirectoryIsWritableOnNestOs) {
  const auto cluster = testing::openstack_cluster();
  const auto rendered = render(cluster, node_named(cluster, "prod-east-control-plane-0"));
  const auto documents = kubeadm_documents(rendered);
  EXPECT_EQ(documents[1]["controllerManager"]["extraArgs"]["flex-volume-plugin-dir"].as<std::string>(),
            "/opt/libexec/kubernetes/kubelet-plugins/volume/exec/");
  EXPECT_EQ(documents[2]["volumePluginDir"].as<std::string>(),
            "/opt/libexec/kubernetes/kubelet-plugins/volume/exec/");
  const YAML::Node kubelet = YAML::Load(rendered.files.at(ignition::kKubeletConfigPath).contents);
  EXPECT_EQ(kubelet["volumePluginDir"].as<std::string>(),
            "/opt/libexec/kubernetes/kubelet-plugins/volume/exec/");
  for (const auto& [path, file] : rendered.files) {
    EXPECT_FALSE(path.starts_with("/usr/")) << path << ": /usr is read-only on NestOS";
  }
}

TEST(IgnitionConfig, BootstrapTokenExpiresAfterTheClusterTtl) {
  auto cluster = testing::openstack_cluster();
  const auto node = node_named(cluster, "prod-east-control-plane-0");
  EXPECT_EQ(kubeadm_documents(render(cluster, node))[0]["bootstrapTokens"][0]["ttl"].as<std::string>(),
            "24h0m0s");
  cluster.kubernetes.bootstrap_token_ttl_seconds = 2 * 3600 + 30 * 60;
  EXPECT_EQ(kubeadm_documents(render(cluster, node))[0]["bootstrapTokens"][0]["ttl"].as<std::string>(),
            "2h30m0s");
  cluster.kubernetes.bootstrap_token_ttl_seconds = 0;
  EXPECT_EQ(kubeadm_documents(render(cluster, node))[0]["bootstrapTokens"][0]["ttl"].as<std::string>(),
            "0s");
}

TEST(IgnitionConfig, ApiserverCertSansNameTheEndpointVirtualIpAndExtraNames) {
  auto cluster = testing::openstack_cluster();
  cluster.kubernetes.control_plane_endpoint = "api.prod-east.example.org:6443";
  cluster.kubernetes.virtual_ip.address = "10.0.0.100";
  cluster.kubernetes.api_server_cert_sans = {"203.0.113.7", "10.0.0.100"};
  const auto documents =
      kubeadm_documents(render(cluster, node_named(cluster, "prod-east-control-plane-0")));
  const YAML::Node sans = documents[1]["apiServer"]["certSANs"];
  ASSERT_EQ(sans.size(), 3u);
  EXPECT_EQ(sans[0].as<std::string>(), "api.prod-east.example.org");
  EXPECT_EQ(sans[1].as<std::string>(), "10.0.0.100");
  EXPECT_EQ(sans[2].as<std::string>(), "203.0.113.7");
}

TEST(IgnitionConfig, VirtualIpPutsKubeVipOnEveryControlPlaneNodeOnly) {
  auto cluster = testing::openstack_cluster();
  cluster.kubernetes.control_plane_endpoint = "";
  cluster.kubernetes.virtual_ip.address = "10.0.0.100";
  for (const model::Node& node : model::expand_nodes(cluster)) {
    const auto rendered = render(cluster, node);
    const bool control_plane = node.role == model::PoolRole::kControlPlane;
    ASSERT_EQ(rendered.files.contains(ignition::kKubeVipManifestPath), control_plane) << node.name;
    if (!control_plane) continue;
    const YAML::Node pod = YAML::Load(rendered.files.at(ignition::kKubeVipManifestPath).contents);
    EXPECT_EQ(pod["kind"].as<std::string>(), "Pod");
    std::map<std::string, std::string> environment;
    for (const auto& entry : pod["spec"]["containers"][0]["env"]) {
      environment[entry["name"].as<std::string>()] = entry["value"].as<std::string>();
    }
    EXPECT_EQ(environment["address"], "10.0.0.100");
    EXPECT_EQ(environment["cp_enable"], "true");
    EXPECT_FALSE(environment.contains("vip_interface")) << "detected from the default route";
    // The first node starts kube-vip with super-admin.conf (1.29+) and switches back after init.
    const bool init = node.name == "prod-east-control-plane-0";
    EXPECT_EQ(pod["spec"]["volumes"][0]["hostPath"]["path"].as<std::string>(),
              init ? "/etc/kubernetes/super-admin.conf" : "/etc/kubernetes/admin.conf");
    const std::string unit = rendered.units.at("nkd-kubeadm.service")["contents"];
    EXPECT_EQ(unit.find("super-admin.conf") != std::string::npos, init) << unit;
    const auto documents = kubeadm_documents(rendered);
    if (init) {
      EXPECT_EQ(documents[1]["controlPlaneEndpoint"].as<std::string>(), "10.0.0.100:6443");
    }
  }
  cluster.kubernetes.version = "v1.28.4";
  const auto older = render(cluster, node_named(cluster, "prod-east-control-plane-0"));
  EXPECT_EQ(older.files.at(ignition::kKubeVipManifestPath).contents.find("super-admin"),
            std::string::npos);
}

TEST(IgnitionConfig, CniPluginsOfTheOsAreCopiedBeforeKubeletStarts) {
  const auto cluster = testing::openstack_cluster();
  const auto rendered = render(cluster, node_named(cluster, "prod-east-workers-0"));
  const auto& unit = rendered.units.at(ignition::kCniPluginsUnit);
  EXPECT_TRUE(unit["enabled"].get<bool>());
  const std::string contents = unit["contents"];
  EXPECT_NE(contents.find("cp -n -p -r /usr/libexec/cni/. /opt/cni/bin/"), std::string::npos);
  EXPECT_NE(contents.find("Before=kubelet.service"), std::string::npos);
  const std::string kubelet = rendered.units.at("kubelet.service")["contents"];
  EXPECT_NE(kubelet.find("ExecStart=/usr/bin/kubelet"), std::string::npos);
}

TEST(IgnitionConfig, BringUpManifestsLandOnTheInitNodeOnly) {
  const auto cluster = testing::openstack_cluster();
  const std::vector<ignition::BringUpManifest> manifests = {
      {.path = "network/10-plugin.yaml", .yaml = "kind: ConfigMap\n"}};
  for (const model::Node& node : model::expand_nodes(cluster)) {
    const auto config = nlohmann::json::parse(
        ignition::node_config(cluster, node, testing::placeholder_pki(cluster), manifests));
    const auto files = ignition_files(config);
    const auto units = ignition_units(config);
    const bool init = node.name == "prod-east-control-plane-0";
    EXPECT_EQ(files.contains("/etc/kubernetes/nkd/bring-up/network/10-plugin.yaml"), init);
    EXPECT_EQ(units.contains(ignition::kBringUpUnit), init) << node.name;
    if (!init) continue;
    const std::string unit = units.at(ignition::kBringUpUnit)["contents"];
    EXPECT_NE(unit.find("apply --server-side --force-conflicts --field-manager=nkd --recursive -f "
                        "/etc/kubernetes/nkd/bring-up"),
              std::string::npos);
    EXPECT_NE(unit.find("After=nkd-kubeadm.service"), std::string::npos);
  }
}

TEST(PointerConfig, ReplacesItselfWithAVerifiedAuthorizedFetch) {
  const std::string text = ignition::pointer_config("http://127.0.0.1:9480/ignition/c/n",
                                                    std::string(128, 'b'), Secret("tok3n"));
  const auto config = nlohmann::json::parse(text);
  EXPECT_EQ(config.dump(), text);
  EXPECT_EQ(config["ignition"]["version"], "3.3.0");
  const auto& replace = config["ignition"]["config"]["replace"];
  EXPECT_EQ(replace["source"], "http://127.0.0.1:9480/ignition/c/n");
  EXPECT_EQ(replace["verification"]["hash"], "sha512-" + std::string(128, 'b'));
  EXPECT_EQ(replace["httpHeaders"][0]["name"], "Authorization");
  EXPECT_EQ(replace["httpHeaders"][0]["value"], "Bearer tok3n");
  EXPECT_FALSE(config["ignition"].contains("security"));
}

TEST(PointerConfig, PinsTheListenerCaAsADataUrl) {
  const std::string ca_pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  const auto config = nlohmann::json::parse(ignition::pointer_config(
      "https://nkd.lab:9480/ignition/c/n", std::string(128, 'b'), Secret("tok3n"), ca_pem));
  const auto& authorities = config["ignition"]["security"]["tls"]["certificateAuthorities"];
  ASSERT_EQ(authorities.size(), 1u);
  const std::string source = authorities[0]["source"];
  ASSERT_TRUE(source.starts_with("data:;base64,")) << source;
  EXPECT_EQ(base64_decode(source.substr(13)), ca_pem);
  EXPECT_EQ(config["ignition"]["config"]["replace"]["verification"]["hash"],
            "sha512-" + std::string(128, 'b'));
}

}  // namespace
}  // namespace nkd
