#include "bench/generated_repository.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>

namespace nkd::bench {

namespace {

const char* kSshKey =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPPvj/y5OgfVQ1CC1PVVvsNu8dB0mdi1gFbA80iSxFW6 ops@example.org";

// Bare-metal machines: unique MACs and documentation-range addresses per cluster and node.
std::string bare_metal_nodes(const std::string& name, int index, int workers) {
  std::string nodes = "    bareMetal:\n      nodes:\n";
  for (int node = 0; node < 3 + workers; ++node) {
    const bool control = node < 3;
    char mac[32];
    std::snprintf(mac, sizeof(mac), "52:54:%02x:%02x:%02x:%02x", (index >> 8) & 0xff, index & 0xff,
                  (node >> 8) & 0xff, node & 0xff);
    nodes += "        - {name: " + name + (control ? "-cp-" : "-w-") +
             std::to_string(control ? node : node - 3) + ", pool: " +
             (control ? "control-plane" : "workers") + ", mac: \"" + mac + "\", ip: 198.51." +
             std::to_string(index % 250) + "." + std::to_string(node + 1) + "}\n";
  }
  return nodes;
}

bool run(const std::string& command) { return std::system(command.c_str()) == 0; }

}  // namespace

std::string cluster_name(int index) {
  char name[32];
  std::snprintf(name, sizeof(name), "c%05d", index);
  return name;
}

std::map<std::string, std::string> generate_repository(const GeneratorOptions& options) {
  std::mt19937 random(options.seed);
  const char* runtimes[] = {"containerd", "isulad", "crio"};
  const char* plugins[] = {"calico", "flannel", "none"};
  std::map<std::string, std::string> files;
  for (int i = 0; i < options.clusters; ++i) {
    const std::string name = cluster_name(i);
    const std::string dir = "clusters/" + name + "/";
    const int minor = 27 + static_cast<int>(random() % 3);
    files[dir + "files/motd"] = "cluster " + name + " seed " + std::to_string(random()) + "\n";
    const std::string platform =
        options.platform == Platform::kOpenStack
            ? "    openstack: {cloud: dc1, image: nestos, flavor: m1.large, network: k8s}\n"
            : bare_metal_nodes(name, i, options.workers);
    files[dir + "cluster.yaml"] =
        "apiVersion: nkd.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: " + name + "\nspec:\n"
        "  platform:\n" + platform +
        "  os: {version: \"22.03." + std::to_string(random() % 100) + "\", imageURL: \"registry.example.org/nestos/nestos:22.03\"}\n"
        "  kubernetes:\n    version: v1." + std::to_string(minor) + "." + std::to_string(random() % 10) + "\n" +
        (options.platform == Platform::kBareMetal ? "    controlPlaneEndpoint: \"198.51." + std::to_string(i % 250) + ".1\"\n"
                                                  : "    controlPlaneEndpoint: api." + name + ".example.org\n") +
        "    containerRuntime: " + runtimes[random() % 3] + "\n    networkPlugin: " + plugins[random() % 3] + "\n"
        "  users: [{name: nest, sshAuthorizedKeys: [\"" + kSshKey + "\"]}]\n"
        "  pools:\n    - {name: control-plane, role: control-plane, replicas: 3}\n"
        "    - {name: workers, role: worker, replicas: " + std::to_string(options.workers) + "}\n"
        "  ignition:\n    files: [{path: /etc/motd, mode: 0644, source: files/motd}]\n";
  }
  return files;
}

std::map<std::string, std::string> generate_repository(int clusters, int workers, std::uint32_t seed) {
  return generate_repository(GeneratorOptions{.clusters = clusters, .workers = workers, .seed = seed});
}

bool write_git_repository(const std::filesystem::path& root, const std::map<std::string, std::string>& files) {
  std::error_code error;
  std::filesystem::create_directories(root, error);
  for (const auto& [path, contents] : files) {
    std::filesystem::create_directories((root / path).parent_path(), error);
    std::ofstream output(root / path, std::ios::binary);
    output << contents;
    if (!output) return false;
  }
  return run("cd '" + root.string() + "' && git init -q -b main . && git add -A && "
             "git -c user.name=bench -c user.email=bench@nkd.io commit -q -m 'generated clusters'");
}

bool commit_changes(const std::filesystem::path& root, int clusters, int commits, int changes,
                    std::uint32_t seed) {
  std::mt19937 random(seed);
  for (int commit = 0; commit < commits; ++commit) {
    for (int change = 0; change < changes; ++change) {
      const std::string name = cluster_name(static_cast<int>(random() % static_cast<unsigned>(clusters)));
      std::ofstream(root / "clusters" / name / "files/motd", std::ios::app)
          << "change " << commit << "." << change << "\n";
    }
    if (!run("cd '" + root.string() + "' && git -c user.name=bench -c user.email=bench@nkd.io "
             "commit -q -am 'change " + std::to_string(changes) + " cluster(s), round " +
             std::to_string(commit) + "'")) {
      return false;
    }
  }
  return true;
}

}  // namespace nkd::bench
