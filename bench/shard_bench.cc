// Sharding figures on this machine (three `nkd syncd` replicas on a real three-member etcd
// cluster, tests/support/replica_fixture.h), each against a baseline measured in the same run:
//   failover: SIGKILL of one replica, then a commit changing the clusters it owned; the time
//   until every cluster is owned by a live replica (etcd's owners/) and until the dead
//   replica's clusters show the commit applied. Baselines: the same commit -> applied with every
//   replica alive, and a SIGTERM handover (the lease revoked at once) of a second replica.
//   etcd load: the requests the replicas put on etcd in steady state (every cluster applied,
//   nothing changing), counted by etcd itself: grpc_server_msg_received_total summed over the
//   members and the methods (the JSON gateway turns each HTTP call into one gRPC message), and
//   etcd_network_client_grpc_sent_bytes_total. Baseline: the same members with no replica.
// At each size in argv (bare-metal clusters x 13 nodes, each with its lease TTL; default 30
// clusters at 3 s and 1000 at 10 s). A size whose replicas do not settle is reported as such.
// Usage: nkd_shard_bench [CLUSTERS[:TTL_SECONDS]...]
#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench/generated_repository.h"
#include "tests/support/replica_fixture.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using nkd::testing::ReplicaFixture;

constexpr auto kRateWindow = 10s;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// etcd's own counters, summed over the members that still run: messages received per gRPC
// method, and bytes sent to clients.
struct EtcdCounters {
  std::map<std::string, double> messages;  // method -> count
  double sent_bytes = 0;

  [[nodiscard]] double total() const {
    double sum = 0;
    for (const auto& [method, count] : messages) sum += count;
    return sum;
  }
};

EtcdCounters read_counters(nkd::testing::EtcdCluster& etcd) {
  EtcdCounters counters;
  const std::vector<std::string> endpoints = etcd.endpoints();
  for (int i = 0; i < etcd.size(); ++i) {
    if (!etcd.running(i)) continue;
    httplib::Client client(endpoints[static_cast<std::size_t>(i)]);
    const auto response = client.Get("/metrics");
    if (!response) continue;
    std::istringstream lines(response->body);
    for (std::string line; std::getline(lines, line);) {
      const bool message = line.starts_with("grpc_server_msg_received_total{");
      if (!message && !line.starts_with("etcd_network_client_grpc_sent_bytes_total ")) continue;
      const double value = std::stod(line.substr(line.rfind(' ') + 1));
      if (message) {
        const auto method_at = line.find("grpc_method=\"") + 13;
        counters.messages[line.substr(method_at, line.find('"', method_at) - method_at)] += value;
      } else {
        counters.sent_bytes += value;
      }
    }
  }
  return counters;
}

struct Rate {
  double requests_per_second = 0;
  double sent_kib_per_second = 0;
  std::map<std::string, double> per_method;  // requests per second
};

Rate measure_rate(nkd::testing::EtcdCluster& etcd, std::chrono::seconds window) {
  const EtcdCounters before = read_counters(etcd);
  const auto started = Clock::now();
  std::this_thread::sleep_for(window);
  const EtcdCounters after = read_counters(etcd);
  const double seconds = seconds_since(started);
  Rate rate{.requests_per_second = (after.total() - before.total()) / seconds,
            .sent_kib_per_second = (after.sent_bytes - before.sent_bytes) / 1024 / seconds};
  for (const auto& [method, count] : after.messages) {
    const auto earlier = before.messages.find(method);
    const double delta = count - (earlier == before.messages.end() ? 0 : earlier->second);
    if (delta > 0) rate.per_method[method] = delta / seconds;
  }
  return rate;
}

std::set<std::string> clusters_of(ReplicaFixture& fixture, const std::string& id) {
  std::set<std::string> owned;
  for (const auto& [cluster, owner] :
       fixture.owners().value_or(std::map<std::string, std::string>{})) {
    if (owner == id) owned.insert(cluster);
  }
  return owned;
}

bool owned_by(ReplicaFixture& fixture, const std::set<std::string>& replicas,
              std::size_t clusters) {
  const auto owners = fixture.owners();
  return owners && owners->size() == clusters &&
         std::all_of(owners->begin(), owners->end(),
                     [&](const auto& entry) { return replicas.contains(entry.second); });
}

bool applied(ReplicaFixture& fixture, int via, const std::set<std::string>& clusters,
             const std::string& revision) {
  std::size_t done = 0;
  for (const auto& cluster : fixture.get_json(via, "/api/v1/clusters")) {
    done += clusters.contains(cluster.value("name", "")) && cluster["appliedRevision"] == revision;
  }
  return done == clusters.size();
}

// Commits a change to `clusters` and posts a signed webhook to replica `via`.
std::string commit_to(ReplicaFixture& fixture, int via, const std::set<std::string>& clusters,
                      const std::string& round) {
  std::string script = "true";
  for (const std::string& cluster : clusters) {
    // The generated clusters' Ignition configs carry files/motd: their renders change.
    script += " && echo " + round + " >> clusters/" + cluster + "/files/motd";
  }
  const std::string head = fixture.repository().commit(script, "round " + round);
  fixture.replica(via).post_generic_hook(R"({"ref":"refs/heads/main","after":")" + head + R"("})");
  return head;
}

struct SizeFigures {
  int clusters = 0;
  int lease_ttl_seconds = 0;
  double start_to_applied_s = 0;
  Rate idle;
  Rate steady;
  double apply_alive_s = 0;         // commit -> applied, every replica alive
  double handover_term_s = 0;       // SIGTERM -> its clusters owned by the others
  double owned_after_kill_s = 0;    // SIGKILL -> every cluster owned by a live replica
  double applied_after_kill_s = 0;  // SIGKILL -> its clusters applied at the new commit
  std::size_t victim_clusters = 0;
};

// Thrown when the replicas do not get somewhere in time: the fixture's destructor still ends
// every process, and the run goes on with the next size.
struct NotSettled : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string& what, ReplicaFixture& fixture) {
  const std::string logs = fixture.logs();
  // The last lines of the logs: enough to see why, short enough for a terminal.
  std::fprintf(stderr, "%s\n%s\n", what.c_str(),
               logs.substr(logs.size() > 20'000 ? logs.size() - 20'000 : 0).c_str());
  throw NotSettled(what);
}

SizeFigures measure(int clusters, int lease_ttl_seconds) {
  ReplicaFixture fixture(
      nkd::bench::generate_repository({.clusters = clusters,
                                       .workers = 10,
                                       .seed = 7,
                                       .platform = nkd::bench::Platform::kBareMetal}),
      {.replicas = 3,
       .lease_ttl_seconds = lease_ttl_seconds,
       .poll_interval = "60s",
       .extra_config = "resyncInterval: 10m\n"});
  SizeFigures figures{.clusters = clusters, .lease_ttl_seconds = lease_ttl_seconds};
  figures.idle = measure_rate(fixture.etcd(), 5s);
  const auto started = Clock::now();
  if (!fixture.start()) fail("the replicas did not start", fixture);
  const std::string head = fixture.repository().head();
  std::set<std::string> all;
  for (const std::string& name : fixture.cluster_names()) all.insert(name);
  const std::set<std::string> everyone = {"r1", "r2", "r3"};
  while (!(owned_by(fixture, everyone, all.size()) && applied(fixture, 0, all, head))) {
    if (seconds_since(started) > 300) {
      fail("not every cluster was owned and applied within 300 s", fixture);
    }
    std::this_thread::sleep_for(200ms);
  }
  figures.start_to_applied_s = seconds_since(started);
  std::this_thread::sleep_for(3s);  // the workers go quiet
  figures.steady = measure_rate(fixture.etcd(), kRateWindow);

  // Baseline: r3's clusters changed with everyone alive.
  std::set<std::string> victims = clusters_of(fixture, "r3");
  figures.victim_clusters = victims.size();
  auto at = Clock::now();
  std::string revision = commit_to(fixture, 0, victims, "alive");
  while (!applied(fixture, 0, victims, revision)) {
    if (seconds_since(at) > 120) fail("the baseline commit was not applied", fixture);
    std::this_thread::sleep_for(20ms);
  }
  figures.apply_alive_s = seconds_since(at);

  // SIGKILL of r3: its lease runs out after the TTL.
  at = Clock::now();
  fixture.signal(2, SIGKILL);
  revision = commit_to(fixture, 0, victims, "killed");
  bool owned = false;
  while (!applied(fixture, 0, victims, revision)) {
    if (!owned && owned_by(fixture, {"r1", "r2"}, all.size())) {
      figures.owned_after_kill_s = seconds_since(at);
      owned = true;
    }
    if (seconds_since(at) > 120) fail("r3's clusters were not applied after SIGKILL", fixture);
    std::this_thread::sleep_for(20ms);
  }
  figures.applied_after_kill_s = seconds_since(at);
  if (!owned) figures.owned_after_kill_s = figures.applied_after_kill_s;
  std::this_thread::sleep_for(2s);

  // SIGTERM of r2: it revokes its lease on the way out, r1 claims at its next refresh.
  at = Clock::now();
  fixture.signal(1, SIGTERM);
  while (!owned_by(fixture, {"r1"}, all.size())) {
    if (seconds_since(at) > 60) fail("r2's clusters were not taken after SIGTERM", fixture);
    std::this_thread::sleep_for(20ms);
  }
  figures.handover_term_s = seconds_since(at);
  return figures;
}

void print_rows(const SizeFigures& size) {
  const int n = size.clusters;
  const double refresh_s = std::max(size.lease_ttl_seconds / 3.0, 0.5);
  const double floor_s = size.lease_ttl_seconds + refresh_s;
  std::printf("| %d clusters, TTL %d s: start -> all owned and applied | %.1f s | - | - |\n", n,
              size.lease_ttl_seconds, size.start_to_applied_s);
  std::printf(
      "| %d clusters, TTL %d s: SIGKILL -> every cluster owned by a live replica | %.2f s | "
      "TTL + one refresh %.1f s | %.2f |\n",
      n, size.lease_ttl_seconds, size.owned_after_kill_s, floor_s,
      size.owned_after_kill_s / floor_s);
  std::printf(
      "| %d clusters, TTL %d s: SIGKILL -> its %zu clusters applied at a new commit | %.2f s | "
      "same commit, all alive %.2f s | %.2f |\n",
      n, size.lease_ttl_seconds, size.victim_clusters, size.applied_after_kill_s,
      size.apply_alive_s, size.applied_after_kill_s / size.apply_alive_s);
  std::printf(
      "| %d clusters, TTL %d s: SIGTERM -> its clusters owned by the others | %.2f s | "
      "SIGKILL %.2f s | %.2f |\n",
      n, size.lease_ttl_seconds, size.handover_term_s, size.owned_after_kill_s,
      size.handover_term_s / size.owned_after_kill_s);
  std::printf(
      "| %d clusters, TTL %d s: etcd requests/s, steady state (no replica: %.1f) | %.1f | "
      "3 replicas x 4 calls a refresh %.1f | %.2f |\n",
      n, size.lease_ttl_seconds, size.idle.requests_per_second, size.steady.requests_per_second,
      3 * 4 / refresh_s, size.steady.requests_per_second / (3 * 4 / refresh_s));
  std::printf(
      "| %d clusters, TTL %d s: etcd KiB/s sent, steady state | %.1f | no replica %.1f | - |\n", n,
      size.lease_ttl_seconds, size.steady.sent_kib_per_second, size.idle.sent_kib_per_second);
  std::string methods;
  for (const auto& [method, rate] : size.steady.per_method) {
    char item[96];
    std::snprintf(item, sizeof(item), "%s%s %.2f", methods.empty() ? "" : ", ", method.c_str(),
                  rate);
    methods += item;
  }
  std::printf("| %d clusters, TTL %d s: steady requests/s by etcd method | %s | - | - |\n", n,
              size.lease_ttl_seconds, methods.c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  // Each argument: CLUSTERS or CLUSTERS:TTL_SECONDS (default TTL 3 s).
  std::vector<std::pair<int, int>> sizes;
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    const auto colon = argument.find(':');
    sizes.emplace_back(std::atoi(argument.substr(0, colon).c_str()),
                       colon == std::string::npos ? 3 : std::atoi(argument.c_str() + colon + 1));
  }
  // 1,000 clusters with a 3 s lease do not settle (docs/performance.md says why): the default
  // 10 s there.
  if (sizes.empty()) sizes = {{30, 3}, {1000, 10}};
  std::printf("Three replicas, three etcd members.\n\n");
  std::printf("| figure | value | baseline | ratio |\n|---|---:|---:|---:|\n");
  std::fflush(stdout);
  int failures = 0;
  for (const auto& [clusters, ttl] : sizes) {
    try {
      print_rows(measure(clusters, ttl));
    } catch (const std::exception& failure) {  // NotSettled, or a replica that did not start
      std::printf("| %d clusters, TTL %d s | did not settle: %s | - | - |\n", clusters, ttl,
                  failure.what());
      std::fflush(stdout);
      ++failures;
    }
  }
  return failures == 0 ? 0 : 1;
}
