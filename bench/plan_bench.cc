// `nkd plan` on a generated Git repository (default 1,000 clusters x 13 nodes) where one commit
// changes one cluster (a worker pool scaled by one, a Kubernetes version bump):
//   validate   `nkd validate` of the head commit, whole process (the baseline: plan validates
//              the head too, so the difference is what planning adds)
//   plan       `nkd plan --base HEAD~1 --head HEAD`, whole process, text output
//   plan-json  the same with --format json
//   no-change  `nkd plan --base HEAD --head HEAD`
// Each figure is the median of 5 runs, in seconds, with its ratio to `validate`.
// Usage: nkd_plan_bench NKD_BINARY [clusters]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/generated_repository.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

void run_or_die(const std::string& command) {
  if (std::system(command.c_str()) != 0) {
    std::fprintf(stderr, "failed: %s\n", command.c_str());
    std::exit(1);
  }
}

double median_seconds(const std::string& command, int runs = 5) {
  std::vector<double> samples;
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    const int status = std::system((command + " > /dev/null").c_str());
    samples.push_back(std::chrono::duration<double>(Clock::now() - start).count());
    if (status == -1 || (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 3)) {
      std::fprintf(stderr, "failed: %s\n", command.c_str());
      std::exit(1);
    }
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

fs::path write_repository(int clusters) {
  const fs::path root = fs::temp_directory_path() / ("nkd-plan-bench-" + std::to_string(getpid()));
  fs::remove_all(root);
  if (!nkd::bench::write_git_repository(root, nkd::bench::generate_repository(clusters, 10, 42))) {
    std::fprintf(stderr, "cannot write the generated repository at %s\n", root.c_str());
    std::exit(1);
  }
  const fs::path changed = root / "clusters" / nkd::bench::cluster_name(clusters / 2) / "cluster.yaml";
  run_or_die("sed -i 's/replicas: 10}/replicas: 11}/; s/version: v1\\.\\(2[0-9]\\)\\.[0-9]*/version: v1.\\1.99/' " +
             changed.string());
  run_or_die("cd " + root.string() + " && git -c user.name=bench -c user.email=bench@nkd.io commit -q -am 'scale one cluster'");
  return root;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: nkd_plan_bench NKD_BINARY [clusters]\n");
    return 2;
  }
  const std::string nkd = argv[1];
  const int clusters = argc > 2 ? std::atoi(argv[2]) : 1000;
  const fs::path repo = write_repository(clusters);
  const std::string on_repo = " --repo " + repo.string();
  const double validate = median_seconds(nkd + " validate" + on_repo + " 2>/dev/null");
  const double plan = median_seconds(nkd + " plan" + on_repo + " --base HEAD~1 --head HEAD");
  const double plan_json = median_seconds(nkd + " plan" + on_repo + " --base HEAD~1 --head HEAD --format json");
  const double no_change = median_seconds(nkd + " plan" + on_repo + " --base HEAD --head HEAD");
  std::printf("| %d clusters, 1 changed | seconds (median of 5) | vs validate |\n|---|---:|---:|\n", clusters);
  std::printf("| `nkd validate` (baseline) | %.3f | 1.00 |\n", validate);
  std::printf("| `nkd plan` | %.3f | %.2f |\n", plan, plan / validate);
  std::printf("| `nkd plan --format json` | %.3f | %.2f |\n", plan_json, plan_json / validate);
  std::printf("| `nkd plan`, nothing changed | %.3f | %.2f |\n", no_change, no_change / validate);
  fs::remove_all(repo);
  return 0;
}
