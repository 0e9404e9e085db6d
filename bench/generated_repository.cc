#include "bench/generated_repository.h"

#include <random>

namespace nkd::bench {

std::string cluster_name(int index) {
  char name[32];
  std::snprintf(name, sizeof(name), "c%05d", index);
  return name;
}

std::map<std::string, std::string> generate_repository(int clusters, int workers, std::uint32_t seed) {
  std::mt19937 random(seed);
  const char* runtimes[] = {"containerd", "isulad", "crio"};
  const char* plugins[] = {"calico", "flannel", "none"};
  std::map<std::string, std::string> files;
  for (int i = 0; i < clusters; ++i) {
    const std::string name = cluster_name(i);
    const std::string dir = "clusters/" + name + "/";
    const int minor = 27 + static_cast<int>(random() % 3);
    files[dir + "files/motd"] = "cluster " + name + " seed " + std::to_string(random()) + "\n";
    files[dir + "cluster.yaml"] =
        "apiVersion: nkd.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: " + name + "\nspec:\n"
        "  platform:\n    openstack: {cloud: dc1, image: nestos, flavor: m1.large, network: k8s}\n"
        "  os: {version: \"22.03." + std::to_string(random() % 100) + "\", imageURL: \"registry.example.org/nestos/nestos:22.03\"}\n"
        "  kubernetes:\n    version: v1." + std::to_string(minor) + "." + std::to_string(random() % 10) + "\n"
        "    containerRuntime: " + runtimes[random() % 3] + "\n    networkPlugin: " + plugins[random() % 3] + "\n"
        "  users: [{name: nest, sshAuthorizedKeys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPPvj/y5OgfVQ1CC1PVVvsNu8dB0mdi1gFbA80iSxFW6 ops@example.org\"]}]\n"
        "  pools:\n    - {name: control-plane, role: control-plane, replicas: 3}\n"
        "    - {name: workers, role: worker, replicas: " + std::to_string(workers) + "}\n"
        "  ignition:\n    files: [{path: /etc/motd, mode: 0644, source: files/motd}]\n";
  }
  return files;
}

}  // namespace nkd::bench
