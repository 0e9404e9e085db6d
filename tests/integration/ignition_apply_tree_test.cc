// Every node config of the example clusters and of a matrix of test clusters (control plane of 1
// and 3, workers, bare metal and OpenStack, calico / flannel / none, containerd / isulad / crio,
// Kubernetes 1.29 and 1.31, a virtual IP) is applied by the real Ignition binary to a scratch root
// (tests/support/ignition_runner.h), and the tree it writes is checked against kubeadm's own types
// and what kubeadm, systemd and NestOS expect (tests/support/node_tree_checks.h). Each node prints
// a one-line summary; each problem fails the test naming the node, the file and what is wrong.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "model/loader.h"
#include "render/pki/cluster_pki.h"
#include "render/render.h"
#include "tests/support/ignition_runner.h"
#include "tests/support/node_tree_checks.h"
#include "tests/support/test_support.h"

namespace nkd {
namespace {

// Certificates are issued as of this time; their validity is not what the checks look at.
constexpr std::int64_t kIssuedAtUnix = 1'750'000'000;
// The loader checks that a key is a well-formed OpenSSH key.
constexpr const char* kSshKey =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB18LB8qGvHGpgMvBNJwAfWwalcqY71dlM0DT4qp4b/c "
    "ops@example.org";

struct ClusterShape {
  std::string name;
  bool bare_metal = false;
  int control_planes = 1;
  int workers = 1;
  std::string version;
  std::string runtime;
  std::string plugin;
  std::string endpoint;  // "": the virtual IP or the only control-plane node's address
  std::string virtual_ip;
  std::vector<std::string> extra_sans;
};

const std::vector<ClusterShape>& shapes() {
  static const std::vector<ClusterShape> all = {
      {.name = "os-cp3-calico",
       .control_planes = 3,
       .workers = 2,
       .version = "v1.29.4",
       .runtime = "containerd",
       .plugin = "calico",
       .endpoint = "api.os-cp3.example.org",
       .extra_sans = {"api.example.net", "203.0.113.10"}},
      {.name = "os-cp3-vip-flannel",
       .control_planes = 3,
       .workers = 1,
       .version = "v1.31.2",
       .runtime = "crio",
       .plugin = "flannel",
       .virtual_ip = "10.0.0.100"},
      {.name = "os-cp1-none",
       .control_planes = 1,
       .workers = 2,
       .version = "v1.31.0",
       .runtime = "isulad",
       .plugin = "none",
       .endpoint = "k8s.example.org:6443"},
      {.name = "bm-cp1-flannel",
       .bare_metal = true,
       .control_planes = 1,
       .workers = 2,
       .version = "v1.29.1",
       .runtime = "containerd",
       .plugin = "flannel"},
      {.name = "bm-cp3-vip-calico",
       .bare_metal = true,
       .control_planes = 3,
       .workers = 1,
       .version = "v1.31.4",
       .runtime = "isulad",
       .plugin = "calico",
       .virtual_ip = "10.0.1.100",
       .extra_sans = {"cp.example.org"}},
      {.name = "bm-cp3-none",
       .bare_metal = true,
       .control_planes = 3,
       .workers = 1,
       .version = "v1.29.9",
       .runtime = "crio",
       .plugin = "none",
       .endpoint = "api.bm.example.org"},
  };
  return all;
}

std::string platform_yaml(const ClusterShape& shape) {
  if (!shape.bare_metal) {
    return "    openstack: {cloud: dc1, image: nestos, flavor: m1.large, network: k8s-internal,"
           " securityGroups: [k8s]}\n";
  }
  std::string nodes = "    bareMetal:\n      nodes:\n";
  const auto add = [&](const std::string& pool, int index, int host) {
    const std::string number = std::to_string(host);
    nodes += "        - {name: " + shape.name + "-" + pool + "-" + std::to_string(index) +
             ", pool: " + pool + ", mac: \"52:54:00:00:00:" + number + "\", ip: 10.0.1." + number +
             "}\n";
  };
  for (int i = 0; i < shape.control_planes; ++i) add("control-plane", i, 11 + i);
  for (int i = 0; i < shape.workers; ++i) add("workers", i, 21 + i);
  return nodes;
}

std::string cluster_yaml(const ClusterShape& shape) {
  std::string yaml =
      "apiVersion: nkd.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: " + shape.name +
      "\nspec:\n  platform:\n" + platform_yaml(shape) +
      "  os:\n    version: \"22.03-LTS-SP3.20240110\"\n"
      "    imageURL: \"registry.example.org/nestos/nestos:22.03-LTS-SP3\"\n"
      "  kubernetes:\n    version: " +
      shape.version + "\n    controlPlaneEndpoint: \"" + shape.endpoint +
      "\"\n    containerRuntime: " + shape.runtime + "\n    networkPlugin: " + shape.plugin + "\n";
  if (!shape.virtual_ip.empty()) yaml += "    virtualIP: {address: " + shape.virtual_ip + "}\n";
  if (!shape.extra_sans.empty()) {
    yaml += "    apiServerCertSANs:\n";
    for (const std::string& san : shape.extra_sans) yaml += "      - \"" + san + "\"\n";
  }
  return yaml + "  users:\n    - {name: nest, sshAuthorizedKeys: [\"" + std::string(kSshKey) +
         "\"]}\n"
         "  pools:\n"
         "    - {name: control-plane, role: control-plane, replicas: " +
         std::to_string(shape.control_planes) +
         "}\n    - {name: workers, role: worker, replicas: " + std::to_string(shape.workers) +
         "}\n";
}

// A case is "examples/<cluster>" or the name of a shape.
std::vector<std::string> case_names() {
  std::vector<std::string> names = {"examples/edge-lab", "examples/prod-east"};
  for (const ClusterShape& shape : shapes()) names.push_back(shape.name);
  return names;
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& character : name) {
    if (std::isalnum(static_cast<unsigned char>(character)) == 0) character = '_';
  }
  return name;
}

std::optional<model::Cluster> load_cluster(const model::TreeReader& tree, const std::string& name) {
  const model::LoadResult loaded = model::load_clusters(tree, {name});
  for (const model::Diagnostic& diagnostic : loaded.diagnostics) {
    ADD_FAILURE() << tree.describe() << ": " << model::format(diagnostic);
  }
  const model::Cluster* cluster = loaded.model.find(name);
  if (!loaded.ok() || cluster == nullptr) return std::nullopt;
  return *cluster;
}

std::optional<model::Cluster> load_case(const std::string& name) {
  if (name.starts_with("examples/")) {
    const model::DirectoryTreeReader examples(testing::source_dir() + "/examples-repo");
    return load_cluster(examples, name.substr(name.find('/') + 1));
  }
  for (const ClusterShape& shape : shapes()) {
    if (shape.name != name) continue;
    const model::MapTreeReader tree(std::map<std::string, std::string>{
        {"clusters/" + shape.name + "/cluster.yaml", cluster_yaml(shape)}});
    return load_cluster(tree, shape.name);
  }
  return std::nullopt;
}

class IgnitionApplyTree : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!testing::ignition_installed()) {
      GTEST_SKIP() << testing::kIgnitionBinary << " is not installed";
    }
  }

  // Applies one node's config and checks its tree; every problem is a failure of its own.
  void apply_and_check(const model::Cluster& cluster, const render::ClusterRender& render,
                       const render::NodeRender& rendered) {
    const std::string& node = rendered.node.name;
    testing::IgnitionRoot root;
    if (const std::string failure = root.apply(rendered.ignition); !failure.empty()) {
      ADD_FAILURE() << "node " << node << ": " << failure;
      return;
    }
    if (root.needed_network()) {
      ADD_FAILURE() << "node " << node << ": the config needs the network at first boot";
    }
    const auto config = nlohmann::json::parse(rendered.ignition);
    const testing::NodeTree tree{.cluster = cluster,
                                 .node = rendered.node,
                                 .config = config,
                                 .render = render,
                                 .root = root};
    const testing::NodeReport report = testing::check_node_tree(tree, lists_);
    std::cout << "  " << testing::summary_line(tree, report) << std::endl;
    for (const testing::TreeProblem& problem : report.problems) {
      ADD_FAILURE() << "node " << node << ": " << (problem.file.empty() ? "" : problem.file + ": ")
                    << problem.problem;
    }
  }

  const testing::FieldLists lists_ = testing::load_field_lists();
};

TEST_P(IgnitionApplyTree, EveryNodeTreeIsWhatKubeadmAndTheNodeExpect) {
  const std::optional<model::Cluster> cluster = load_case(GetParam());
  ASSERT_TRUE(cluster.has_value()) << GetParam() << " does not load";
  const auto pki = pki::ensure_pki(*cluster, std::nullopt, kIssuedAtUnix);
  ASSERT_TRUE(pki.ok()) << pki.error().message;
  const render::ClusterRender render = render::render_cluster(*cluster, *pki, {});
  ASSERT_FALSE(render.nodes.empty());
  std::cout << cluster->name << " (" << cluster->kubernetes.version << ", "
            << model::to_string(cluster->kubernetes.container_runtime) << ", "
            << model::to_string(cluster->kubernetes.network_plugin) << "):" << std::endl;
  for (const render::NodeRender& rendered : render.nodes)
    apply_and_check(*cluster, render, rendered);
}

INSTANTIATE_TEST_SUITE_P(Clusters, IgnitionApplyTree, ::testing::ValuesIn(case_names()), test_name);

// The checks themselves: a tree written by hand with what they must catch.
class IgnitionApplyTreeChecks : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = load_case("bm-cp1-flannel").value();
    for (const model::Node& node : model::expand_nodes(cluster_)) {
      if (node.role == model::PoolRole::kWorker) worker_ = node;
    }
  }

  void write(const std::string& path, const std::string& contents) {
    std::filesystem::create_directories(root_.on_node(path).parent_path());
    testing::write_file(root_.on_node(path), contents);
  }

  [[nodiscard]] testing::NodeTree worker_tree() const {
    return {
        .cluster = cluster_, .node = worker_, .config = config_, .render = render_, .root = root_};
  }

  model::Cluster cluster_;
  model::Node worker_;
  nlohmann::json config_ = nlohmann::json::object();
  render::ClusterRender render_;
  testing::IgnitionRoot root_;
};

TEST_F(IgnitionApplyTreeChecks, FieldsOfAnotherApiVersion) {
  // v1beta3's map-shaped kubeletExtraArgs and discovery.timeout are gone in v1beta4.
  write("/etc/kubernetes/kubeadm/config.yaml",
        "apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\n"
        "nodeRegistration:\n  kubeletExtraArgs:\n    node-ip: 10.0.1.21\n"
        "discovery:\n  timeout: 5m\n  bootstrapToken: {token: abcdef.0123456789abcdef}\n");
  write("/var/lib/kubelet/config.yaml",
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDrivr: x\n");
  testing::NodeReport report;
  testing::check_kubeadm_fields(worker_tree(), testing::load_field_lists(), report);
  std::vector<std::string> found;
  for (const auto& problem : report.problems) found.push_back(problem.problem);
  ASSERT_EQ(found.size(), 4U) << ::testing::PrintToString(found);
  EXPECT_NE(found[0].find("reads kubeadm.k8s.io/v1beta3"), std::string::npos);
  EXPECT_NE(found[1].find("`JoinConfiguration.nodeRegistration.kubeletExtraArgs.node-ip`"),
            std::string::npos);
  EXPECT_NE(found[2].find("`JoinConfiguration.discovery.timeout`"), std::string::npos);
  EXPECT_NE(found[3].find("`KubeletConfiguration.cgroupDrivr`"), std::string::npos);
}

TEST_F(IgnitionApplyTreeChecks, PrivateKeyOnAWorkerAndFilesUnderUsr) {
  write("/etc/nkd/pki/ca.key", "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n");
  write("/usr/local/bin/tool", "#!/bin/sh\n");
  testing::NodeReport report;
  testing::check_pki(worker_tree(), report);
  testing::check_written_files(worker_tree(), report);
  std::vector<std::string> files;
  for (const auto& problem : report.problems) files.push_back(problem.file);
  EXPECT_THAT(files, ::testing::Contains("/etc/nkd/pki/ca.key"));
  EXPECT_THAT(files, ::testing::Contains("/usr/local/bin/tool"));
}

}  // namespace
}  // namespace nkd
