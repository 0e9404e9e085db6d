// nkd_gen_repo: writes a generated cluster-definitions Git repository for benchmarks and load
// tests (see bench/gen-repo). Usage:
//   nkd_gen_repo --out DIR [--clusters N] [--workers W] [--seed S] [--platform openstack|baremetal]
//                [--commits C] [--changes K]
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>

#include "bench/generated_repository.h"

int main(int argc, char** argv) {
  CLI::App app("Generate a cluster-definitions Git repository: N clusters, then C commits that "
               "each change K clusters' extra file.");
  nkd::bench::GeneratorOptions options;
  std::string out;
  std::string platform = "openstack";
  int commits = 0;
  int changes = 1;
  app.add_option("--out", out, "Directory to create the repository in (must not exist)")->required();
  app.add_option("--clusters", options.clusters, "Number of clusters")->capture_default_str();
  app.add_option("--workers", options.workers, "Worker nodes per cluster (plus 3 control-plane)")
      ->capture_default_str();
  app.add_option("--seed", options.seed, "Seed for versions, runtimes and which clusters change")
      ->capture_default_str();
  app.add_option("--platform", platform, "openstack or baremetal")
      ->check(CLI::IsMember({"openstack", "baremetal"}))
      ->capture_default_str();
  app.add_option("--commits", commits, "Commits after the first")->capture_default_str();
  app.add_option("--changes", changes, "Clusters each of those commits changes")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (std::filesystem::exists(out)) {
    std::fprintf(stderr, "nkd_gen_repo: %s exists; pick a new --out\n", out.c_str());
    return 2;
  }
  options.platform = platform == "baremetal" ? nkd::bench::Platform::kBareMetal : nkd::bench::Platform::kOpenStack;
  if (!nkd::bench::write_git_repository(out, nkd::bench::generate_repository(options)) ||
      !nkd::bench::commit_changes(out, options.clusters, commits, changes, options.seed)) {
    std::fprintf(stderr, "nkd_gen_repo: git failed in %s\n", out.c_str());
    return 1;
  }
  std::fprintf(stderr, "generated %d clusters and %d further commits in %s\n", options.clusters, commits, out.c_str());
  return 0;
}
