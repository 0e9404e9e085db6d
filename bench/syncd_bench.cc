// Whole-daemon figures on this machine, each against a baseline measured in the same run:
//   push -> applied: a commit is pushed to a real `git daemon`, a signed webhook is posted, and
//   the time until the API shows the commit applied is measured (median and p99 over N commits;
//   the baseline is one GET of the API, i.e. the floor of the measurement itself);
//   fetch: the daemon's source fetching one new commit against `git fetch` of the same commit
//   into a bare mirror (median of N, ratio);
//   scale: a generated repository of M bare-metal clusters x 13 nodes: the time from start until
//   every cluster is applied, the daemon's resident memory then (against the same daemon
//   managing 2 clusters), and push -> applied of a commit changing one cluster (median of 10).
// Usage: nkd_syncd_bench [commits] [clusters]
#include <httplib.h>

#include <algorithm>
#include <thread>
#include <tuple>
#include <chrono>
#include <cstdio>
#include <vector>

#include <fstream>

#include "bench/generated_repository.h"
#include "source/libgit2_source.h"
#include "tests/support/syncd_fixture.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

double milliseconds_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double percentile(std::vector<double> values, double fraction) {
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

std::vector<double> push_to_applied(nkd::testing::SyncdFixture& fixture, int commits,
                                    std::vector<double>& api_floor) {
  std::vector<double> latencies;
  httplib::Client client("127.0.0.1", fixture.port());
  for (int i = 0; i < commits; ++i) {
    const std::string commit = fixture.commit(
        "sed -i 's/maxUnavailable: [0-9]*/maxUnavailable: " + std::to_string(i % 5 + 1) +
            "/' clusters/edge-lab/cluster.yaml && echo " + std::to_string(i) + " > clusters/edge-lab/files/n",
        "bench " + std::to_string(i));
    const std::string body = R"({"ref":"refs/heads/main","after":")" + commit + R"("})";
    const auto pushed = Clock::now();
    fixture.post_generic_hook(body);
    while (fixture.get_json("/api/v1/clusters/edge-lab")["appliedRevision"] != commit) {
      if (Clock::now() - pushed > 10s) break;
    }
    latencies.push_back(milliseconds_since(pushed));
    const auto probe = Clock::now();
    (void)client.Get("/api/v1/clusters/edge-lab");
    api_floor.push_back(milliseconds_since(probe));
  }
  return latencies;
}

void fetch_ratio(int rounds, double& nkd_ms, double& git_ms) {
  nkd::testing::SyncdFixture fixture(20);
  nkd::testing::ScratchDir cache;
  nkd::testing::run_shell("git clone -q --bare " + fixture.repository_url() + " " + cache.str() + "/mirror.git");
  auto source = nkd::source::LibGit2Source::open(nkd::source::GitSourceOptions{
      .url = fixture.repository_url(), .cache_dir = cache.str() + "/nkd"});
  if (!source || !(*source)->fetch()) {
    std::fprintf(stderr, "cannot open the source\n");
    std::exit(1);
  }
  std::vector<double> nkd_times, git_times;
  for (int i = 0; i < rounds; ++i) {
    fixture.commit("echo " + std::to_string(i) + " > clusters/lab-two/files/round", "round");
    auto start = Clock::now();
    if (!(*source)->fetch()) std::exit(1);
    nkd_times.push_back(milliseconds_since(start));
    start = Clock::now();
    nkd::testing::run_command({"git", "-C", cache.str() + "/mirror.git", "fetch", "-q", "origin",
                               "+refs/heads/main:refs/heads/main"});
    git_times.push_back(milliseconds_since(start));
  }
  nkd_ms = percentile(nkd_times, 0.5);
  git_ms = percentile(git_times, 0.5);
}

// VmRSS and VmHWM of a process, in MiB.
std::pair<double, double> resident_mib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  double rss = 0, peak = 0;
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) rss = std::stod(line.substr(6)) / 1024;
    if (line.starts_with("VmHWM:")) peak = std::stod(line.substr(6)) / 1024;
  }
  return {rss, peak};
}

bool all_applied(nkd::testing::SyncdFixture& fixture, const std::string& revision, std::size_t clusters) {
  const auto list = fixture.get_json("/api/v1/clusters");
  std::size_t applied = 0;
  for (const auto& cluster : list) applied += cluster["appliedRevision"] == revision;
  return applied == clusters;
}

double push_one_change(nkd::testing::SyncdFixture& fixture, const std::string& cluster, int round) {
  const std::string commit = fixture.commit("echo " + std::to_string(round) + " >> clusters/" + cluster +
                                                "/files/motd", "one cluster " + std::to_string(round));
  const std::string body = R"({"ref":"refs/heads/main","after":")" + commit + R"("})";
  const auto pushed = Clock::now();
  fixture.post_generic_hook(body);
  while (fixture.get_json("/api/v1/clusters/" + cluster)["appliedRevision"] != commit) {
    if (Clock::now() - pushed > 30s) break;
    std::this_thread::sleep_for(2ms);
  }
  return milliseconds_since(pushed);
}

// The sum and count of nkd_commit_to_applied_seconds (the daemon's own share of push -> applied:
// from the commit being fetched to its render being applied).
std::pair<double, double> commit_to_applied(nkd::testing::SyncdFixture& fixture) {
  const std::string text = fixture.metrics();
  const auto value = [&](const std::string& name) {
    const auto at = text.find("\n" + name + " ");
    return at == std::string::npos ? 0.0 : std::stod(text.substr(at + name.size() + 2));
  };
  return {value("nkd_commit_to_applied_seconds_sum"), value("nkd_commit_to_applied_seconds_count")};
}

struct ScaleFigures {
  double start_to_applied_s = 0;
  double daemon_share_ms = 0;
  double rss_mib = 0;
  double peak_mib = 0;
  double one_change_ms = 0;
};

ScaleFigures scale(int clusters) {
  nkd::testing::SyncdFixture fixture(nkd::bench::generate_repository(
      {.clusters = clusters, .workers = 10, .seed = 7, .platform = nkd::bench::Platform::kBareMetal}));
  const std::string head = fixture.head();
  const auto started = Clock::now();
  fixture.start_daemon("1h", "resyncInterval: 1h\n");
  // Polled once a second: each answer is a few MiB of JSON, and the poll must not be what the
  // resident-memory figure measures.
  while (!all_applied(fixture, head, static_cast<std::size_t>(clusters)) && Clock::now() - started < 600s) {
    std::this_thread::sleep_for(1s);
  }
  ScaleFigures figures{.start_to_applied_s = milliseconds_since(started) / 1000};
  std::this_thread::sleep_for(2s);  // steady state: the workers have gone quiet
  std::tie(figures.rss_mib, figures.peak_mib) = resident_mib(fixture.daemon_pid());
  std::vector<double> changes;
  const auto [sum_before, count_before] = commit_to_applied(fixture);
  for (int round = 0; round < 10; ++round) {
    changes.push_back(push_one_change(fixture, nkd::bench::cluster_name((round * 97) % clusters), round));
  }
  figures.one_change_ms = percentile(changes, 0.5);
  const auto [sum_after, count_after] = commit_to_applied(fixture);
  if (count_after > count_before) {
    figures.daemon_share_ms = (sum_after - sum_before) / (count_after - count_before) * 1000;
  }
  return figures;
}

}  // namespace

int main(int argc, char** argv) {
  const int commits = argc > 1 ? std::atoi(argv[1]) : 100;
  const int clusters = argc > 2 ? std::atoi(argv[2]) : 1000;
  double small_rss = 0;
  std::vector<double> api_floor;
  std::vector<double> latencies;
  {
    nkd::testing::SyncdFixture fixture;
    fixture.start_daemon("1h");
    nkd::testing::wait_until([&] { return fixture.wait_applied("edge-lab", fixture.head(), 100ms); }, 20s);
    latencies = push_to_applied(fixture, commits, api_floor);
    small_rss = resident_mib(fixture.daemon_pid()).first;
  }
  const ScaleFigures large = scale(clusters);
  double nkd_ms = 0, git_ms = 0;
  fetch_ratio(20, nkd_ms, git_ms);
  const double floor = percentile(api_floor, 0.5);
  std::printf("| figure | value | baseline | ratio |\n|---|---:|---:|---:|\n");
  std::printf("| push -> applied, webhook, median of %d | %.1f ms | one API GET %.2f ms | %.0f |\n",
              commits, percentile(latencies, 0.5), floor, percentile(latencies, 0.5) / floor);
  std::printf("| push -> applied, webhook, p99 of %d | %.1f ms | one API GET %.2f ms | %.0f |\n",
              commits, percentile(latencies, 0.99), floor, percentile(latencies, 0.99) / floor);
  std::printf("| fetch one new commit, median of 20 | %.1f ms | git fetch %.1f ms | %.2f |\n", nkd_ms,
              git_ms, nkd_ms / git_ms);
  std::printf("| %d bare-metal clusters x 13 nodes: start -> all applied | %.1f s | - | - |\n", clusters,
              large.start_to_applied_s);
  std::printf("| %d clusters: resident memory (peak %.1f MiB) | %.1f MiB | 2 clusters %.1f MiB | %.1f |\n",
              clusters, large.peak_mib, large.rss_mib, small_rss, large.rss_mib / small_rss);
  std::printf("| %d clusters: push -> applied of one changed cluster, median of 10 | %.1f ms | "
              "2-cluster median %.1f ms | %.2f |\n",
              clusters, large.one_change_ms, percentile(latencies, 0.5),
              large.one_change_ms / percentile(latencies, 0.5));
  std::printf("| %d clusters: of that, fetched -> applied inside the daemon (mean of 10) | %.1f ms | "
              "push -> applied %.1f ms | %.2f |\n",
              clusters, large.daemon_share_ms, large.one_change_ms, large.daemon_share_ms / large.one_change_ms);
  return 0;
}
