// Render throughput on a generated repository (default 1,000 clusters x 13 nodes):
//   load       parse and validate every definition (the baseline)
//   cold       load + create every cluster's PKI in a fresh SQLite state file + render
//   warm       load + read the stored PKI back from the same file + render
//   one        one cluster changed: load just it, read its PKI, render it (what the daemon does
//              for a commit that changes one cluster; median of 20)
//   sealed     warm, from a state file whose PKIs are sealed (state.encryption): the cost of
//              opening every PKI with AES-256-GCM, against warm
// Figures are wall-clock seconds on this machine and ratios to `load` measured in the same run.
// Usage: nkd_render_bench [clusters] [workers]
#include <algorithm>
#include <chrono>
#include <vector>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "bench/generated_repository.h"
#include "model/loader.h"
#include "render/render.h"
#include "common/clock.h"
#include "state/cluster_pki_store.h"
#include "state/secret_sealer.h"
#include "state/sqlite_state_store.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Totals {
  std::size_t nodes = 0;
  std::size_t bytes = 0;
};

Totals render_all(const nkd::model::RepositoryModel& model, nkd::state::StateStore& store) {
  Totals totals;
  for (const auto& cluster : model.clusters) {
    auto pki = nkd::state::load_or_create_pki(store, cluster, 1'764'000'000);
    if (!pki) {
      std::fprintf(stderr, "%s\n", pki.error().message.c_str());
      std::exit(1);
    }
    const auto rendered = nkd::render::render_cluster(cluster, *pki, {});
    totals.nodes += rendered.nodes.size();
    for (const auto& artifact : rendered.artifacts) totals.bytes += artifact.content.size();
  }
  return totals;
}

}  // namespace

int main(int argc, char** argv) {
  const int clusters = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int workers = argc > 2 ? std::atoi(argv[2]) : 10;
  auto files = nkd::bench::generate_repository(clusters, workers, 42);
  const nkd::model::MapTreeReader tree(files);
  const std::string state = std::filesystem::temp_directory_path() / ("nkd-render-bench-" + std::to_string(getpid()) + ".db");

  auto start = Clock::now();
  const auto loaded = nkd::model::load_repository(tree);
  const double load_seconds = seconds_since(start);
  if (!loaded.ok()) {
    std::fprintf(stderr, "generated repository is invalid: %s\n", nkd::model::format(loaded.diagnostics[0]).c_str());
    return 1;
  }
  auto store = nkd::state::open_sqlite_state_store(state);
  if (!store) return 1;
  start = Clock::now();
  const Totals cold = render_all(nkd::model::load_repository(tree).model, **store);
  const double cold_seconds = seconds_since(start);
  start = Clock::now();
  const Totals warm = render_all(nkd::model::load_repository(tree).model, **store);
  const double warm_seconds = seconds_since(start);
  const std::string changed = nkd::bench::cluster_name(clusters / 2);
  files["clusters/" + changed + "/files/motd"] += "changed\n";
  const nkd::model::MapTreeReader changed_tree(files);
  std::vector<double> one_ms;
  for (int round = 0; round < 20; ++round) {
    start = Clock::now();
    const auto one = nkd::model::load_clusters(changed_tree, {changed});
    render_all(one.model, **store);
    one_ms.push_back(seconds_since(start) * 1000);
  }
  std::sort(one_ms.begin(), one_ms.end());
  store->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(state + suffix);

  auto sealer = nkd::state::SecretSealer::from_keys({nkd::Secret(std::string(32, 'k'))});
  auto sealed_store = nkd::state::open_sqlite_state_store(state, nkd::real_clock(), *sealer);
  if (!sealed_store) return 1;
  render_all(nkd::model::load_repository(tree).model, **sealed_store);
  start = Clock::now();
  render_all(nkd::model::load_repository(tree).model, **sealed_store);
  const double sealed_seconds = seconds_since(start);
  sealed_store->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(state + suffix);

  std::printf("| figure (%d clusters, %zu nodes, %.1f MiB of artifacts) | seconds | x load |\n",
              clusters, warm.nodes, static_cast<double>(warm.bytes) / (1 << 20));
  std::printf("|---|---:|---:|\n");
  std::printf("| load + validate (baseline) | %.3f | 1.0 |\n", load_seconds);
  std::printf("| cold render (new PKI) | %.3f | %.1f |\n", cold_seconds, cold_seconds / load_seconds);
  std::printf("| warm render (stored PKI) | %.3f | %.1f |\n", warm_seconds, warm_seconds / load_seconds);
  std::printf("| one changed cluster: load it, read PKI, render (median of 20) | %.4f | %.3f |\n",
              one_ms[one_ms.size() / 2] / 1000, one_ms[one_ms.size() / 2] / 1000 / load_seconds);
  std::printf("| warm render, PKIs sealed (%.3f x warm) | %.3f | %.1f |\n",
              sealed_seconds / warm_seconds, sealed_seconds, sealed_seconds / load_seconds);
  std::printf("\nper cluster: load %.3f ms, cold %.3f ms, warm %.3f ms\n", load_seconds * 1000 / clusters,
              cold_seconds * 1000 / clusters, warm_seconds * 1000 / clusters);
  (void)cold;
  return 0;
}
