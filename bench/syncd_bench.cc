// Whole-daemon figures on this machine, each against a baseline measured in the same run:
//   push -> applied: a commit is pushed to a real `git daemon`, a signed webhook is posted, and
//   the time until the API shows the commit applied is measured (median and p99 over N commits;
//   the baseline is one GET of the API, i.e. the floor of the measurement itself);
//   fetch: the daemon's source fetching one new commit against `git fetch` of the same commit
//   into a bare mirror (median of N, ratio);
//   scale: a generated repository of M bare-metal clusters x 13 nodes: the time from start until
//   every cluster is applied, the daemon's resident memory then (against the same daemon
//   managing 2 clusters), and webhook -> applied of a commit changing one cluster (median of
//   20): from the webhook POST being sent until GET /api/v1/clusters/<name> shows the commit
//   applied, with the daemon's per-phase breakdown read from its debug log (the source loop's
//   "commit ... in the source loop" line and the worker's "cluster ... at ..." line); plus the
//   listener's answer time on a kept-alive connection against a fresh one, and the list of all
//   clusters (what `nkd status` reads) against one cluster's GET.
// Usage: nkd_syncd_bench [commits] [clusters]
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <tuple>
#include <vector>

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
            "/' clusters/edge-lab/cluster.yaml && mkdir -p clusters/edge-lab/files && echo " +
            std::to_string(i) + " > clusters/edge-lab/files/n",
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
    fixture.commit("mkdir -p clusters/lab-two/files && echo " + std::to_string(i) +
                       " > clusters/lab-two/files/round",
                   "round");
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

struct OneChange {
  std::string commit;
  double webhook_answered_ms = 0;  // POST sent -> 202 received
  double applied_ms = 0;           // POST sent -> the API shows the commit applied
};

OneChange push_one_change(nkd::testing::SyncdFixture& fixture, const std::string& cluster,
                          int round) {
  OneChange change;
  change.commit =
      fixture.commit("echo " + std::to_string(round) + " >> clusters/" + cluster + "/files/motd",
                     "one cluster " + std::to_string(round));
  const std::string body = R"({"ref":"refs/heads/main","after":")" + change.commit + R"("})";
  const auto pushed = Clock::now();
  fixture.post_generic_hook(body);
  change.webhook_answered_ms = milliseconds_since(pushed);
  while (fixture.get_json("/api/v1/clusters/" + cluster)["appliedRevision"] != change.commit) {
    if (Clock::now() - pushed > 30s) break;
    std::this_thread::sleep_for(2ms);
  }
  change.applied_ms = milliseconds_since(pushed);
  return change;
}

// The phases of a debug line "<prefix>: name 1.2 ms, name 3.4 ms, ..., total 4.6 ms", in order.
std::vector<std::pair<std::string, double>> phases_of(const std::string& message) {
  std::vector<std::pair<std::string, double>> phases;
  std::istringstream list(message.substr(message.find(": ") + 2));
  for (std::string item; std::getline(list, item, ',');) {
    item.erase(0, item.find_first_not_of(' '));
    const auto unit = item.rfind(" ms");
    const auto number = item.rfind(' ', unit - 1);
    if (unit == std::string::npos || number == std::string::npos) continue;
    phases.emplace_back(item.substr(0, number),
                        std::stod(item.substr(number + 1, unit - number - 1)));
  }
  return phases;
}

// Per phase (in the order first seen), the times the daemon logged for `commits`: the source
// loop's steps and the changed cluster's reconcile.
std::vector<std::pair<std::string, std::vector<double>>> logged_phases(
    const std::string& log, const std::vector<OneChange>& changes) {
  std::vector<std::pair<std::string, std::vector<double>>> table;
  auto add = [&](const std::string& name, double ms) {
    auto found = std::find_if(table.begin(), table.end(),
                              [&](const auto& row) { return row.first == name; });
    if (found == table.end()) found = table.insert(table.end(), {name, {}});
    found->second.push_back(ms);
  };
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(R"("level":"debug")") == std::string::npos) continue;
    const auto entry = nlohmann::json::parse(line, nullptr, false);
    if (!entry.is_object() || !entry.contains("message")) continue;
    const std::string message = entry["message"];
    for (const OneChange& change : changes) {
      const std::string id = change.commit.substr(0, 12);
      const bool source = message.starts_with("commit " + id + " in the source loop: ");
      const bool worker =
          message.starts_with("cluster ") && message.find(" at " + id + ": ") != std::string::npos;
      if (!source && !worker) continue;
      for (const auto& [name, ms] : phases_of(message)) {
        add((source ? "source loop: " : "reconcile: ") + name, ms);
      }
    }
  }
  return table;
}

// Median of `count` GETs of `path`, on one kept-alive connection or a new one each time.
double get_median_ms(int port, const std::string& path, int count, bool keep_alive) {
  std::vector<double> times;
  httplib::Client kept("127.0.0.1", port);
  kept.set_keep_alive(true);
  for (int i = 0; i < count; ++i) {
    const auto start = Clock::now();
    if (keep_alive) {
      (void)kept.Get(path);
    } else {
      httplib::Client fresh("127.0.0.1", port);
      (void)fresh.Get(path);
    }
    times.push_back(milliseconds_since(start));
  }
  return percentile(times, 0.5);
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
  double one_change_p90_ms = 0;
  double webhook_answered_ms = 0;
  std::vector<std::pair<std::string, std::vector<double>>> phases;
  double get_kept_alive_ms = 0;
  double get_fresh_ms = 0;
  double list_all_ms = 0;
};

ScaleFigures scale(int clusters) {
  nkd::testing::SyncdFixture fixture(nkd::bench::generate_repository(
      {.clusters = clusters, .workers = 10, .seed = 7, .platform = nkd::bench::Platform::kBareMetal}));
  const std::string head = fixture.head();
  const auto started = Clock::now();
  fixture.set_log_level("debug");  // the per-phase lines
  fixture.start_daemon("1h", "resyncInterval: 1h\n");
  // Polled once a second: each answer is a few MiB of JSON, and the poll must not be what the
  // resident-memory figure measures.
  while (!all_applied(fixture, head, static_cast<std::size_t>(clusters)) && Clock::now() - started < 600s) {
    std::this_thread::sleep_for(1s);
  }
  ScaleFigures figures{.start_to_applied_s = milliseconds_since(started) / 1000};
  std::this_thread::sleep_for(2s);  // steady state: the workers have gone quiet
  std::tie(figures.rss_mib, figures.peak_mib) = resident_mib(fixture.daemon_pid());
  const std::string one_cluster = "/api/v1/clusters/" + nkd::bench::cluster_name(0);
  figures.get_kept_alive_ms = get_median_ms(fixture.port(), one_cluster, 100, true);
  figures.get_fresh_ms = get_median_ms(fixture.port(), one_cluster, 100, false);
  figures.list_all_ms = get_median_ms(fixture.port(), "/api/v1/clusters", 5, false);
  std::vector<OneChange> changes;
  const auto [sum_before, count_before] = commit_to_applied(fixture);
  for (int round = 0; round < 20; ++round) {
    changes.push_back(push_one_change(fixture, nkd::bench::cluster_name((round * 97) % clusters), round));
  }
  std::vector<double> applied, answered;
  for (const OneChange& change : changes) {
    applied.push_back(change.applied_ms);
    answered.push_back(change.webhook_answered_ms);
  }
  figures.one_change_ms = percentile(applied, 0.5);
  figures.one_change_p90_ms = percentile(applied, 0.9);
  figures.webhook_answered_ms = percentile(answered, 0.5);
  figures.phases = logged_phases(fixture.log(), changes);
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
  std::printf(
      "| %d clusters: webhook -> applied of one changed cluster, median of 20 | %.1f ms | "
      "2-cluster median %.1f ms | %.2f |\n",
      clusters, large.one_change_ms, percentile(latencies, 0.5),
      large.one_change_ms / percentile(latencies, 0.5));
  std::printf(
      "| %d clusters: webhook -> applied of one changed cluster, p90 of 20 | %.1f ms | "
      "target 250 ms | %.2f |\n",
      clusters, large.one_change_p90_ms, large.one_change_p90_ms / 250);
  std::printf(
      "| %d clusters: of that, fetched -> applied inside the daemon (mean of 20) | %.1f ms | "
      "webhook -> applied %.1f ms | %.2f |\n",
      clusters, large.daemon_share_ms, large.one_change_ms,
      large.daemon_share_ms / large.one_change_ms);
  std::printf(
      "| API GET of one cluster, kept-alive connection, median of 100 | %.2f ms | "
      "new connection %.2f ms | %.2f |\n",
      large.get_kept_alive_ms, large.get_fresh_ms, large.get_kept_alive_ms / large.get_fresh_ms);
  std::printf(
      "| API GET of all %d clusters (`nkd status`), median of 5 | %.1f ms | "
      "one cluster %.2f ms | %.0f |\n",
      clusters, large.list_all_ms, large.get_fresh_ms, large.list_all_ms / large.get_fresh_ms);
  std::printf(
      "\n| %d clusters, one changed: phase (median of 20) | ms | share of webhook -> applied |\n"
      "|---|---:|---:|\n",
      clusters);
  std::printf("| webhook POST answered (fetch triggered) | %.1f | %.2f |\n",
              large.webhook_answered_ms, large.webhook_answered_ms / large.one_change_ms);
  for (const auto& [name, times] : large.phases) {
    const double median = percentile(times, 0.5);
    std::printf("| %s | %.1f | %.2f |\n", name.c_str(), median, median / large.one_change_ms);
  }
  return 0;
}
