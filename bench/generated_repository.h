// Generates cluster-definition repositories for benchmarks: N clusters with 3 control-plane and
// `workers` worker nodes each, on OpenStack or bare metal, with Kubernetes and OS versions,
// container runtime, network plugin and an extra file varied by a seed. In memory
// (path -> contents) so an in-process benchmark measures nkd, not the disk; or as a Git
// repository with a series of commits each changing K clusters (bench/gen-repo).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace nkd::bench {

enum class Platform { kOpenStack, kBareMetal };

struct GeneratorOptions {
  int clusters = 1000;
  int workers = 10;
  std::uint32_t seed = 42;
  Platform platform = Platform::kOpenStack;
};

std::map<std::string, std::string> generate_repository(const GeneratorOptions& options);
// The OpenStack form, kept for the existing harnesses.
std::map<std::string, std::string> generate_repository(int clusters, int workers, std::uint32_t seed);
std::string cluster_name(int index);

// Writes `files` into a new Git repository at `root` (branch main) as one commit; false on failure.
bool write_git_repository(const std::filesystem::path& root, const std::map<std::string, std::string>& files);
// Makes `commits` commits at `root`, each changing the extra file of `changes` clusters picked by
// `seed` among `clusters`; false on failure.
bool commit_changes(const std::filesystem::path& root, int clusters, int commits, int changes,
                    std::uint32_t seed);

}  // namespace nkd::bench
