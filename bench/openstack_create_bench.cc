// Concurrent server creates: the wall time of OpenStackProvider::apply() bringing a cluster of N
// servers (default 50; m1.tiny, cirros, network private) into the real test cloud
// (tests/openstack/, cloud nkd-demo) with max_concurrent_creates = 1 (the baseline) and then 10,
// every server deleted after each run; the ratio c1 / c10 is what concurrency buys. Both runs are
// in one process, one after the other, against the same cloud. Exits 0 with a "skipped: no cloud"
// line when Keystone does not answer.
// Usage: nkd_openstack_create_bench [servers] [name-prefix]
//   The clouds file is $NKD_OPENSTACK_CLOUDS, else tests/openstack/clouds.yaml under the current
//   directory (bench/run runs from the repository's root).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "common/crypto.h"
#include "common/curl_http_client.h"
#include "providers/openstack/openstack_provider.h"
#include "state/sqlite_state_store.h"

namespace {

using Clock = std::chrono::steady_clock;
using nkd::providers::openstack::OpenStackProvider;
using nkd::providers::openstack::OpenStackProviderOptions;

constexpr const char* kCloud = "nkd-demo";

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

nkd::model::Cluster make_cluster(const std::string& name, int servers) {
  return nkd::model::Cluster{
      .name = name,
      .platform = nkd::model::OpenStackPlatform{.cloud = kCloud, .image = "cirros",
                                                .flavor = "m1.tiny", .network = "private"},
      .pools = {{.name = "cp", .role = nkd::model::PoolRole::kControlPlane, .replicas = 1},
                {.name = "w", .role = nkd::model::PoolRole::kWorker, .replicas = servers - 1}}};
}

nkd::render::ClusterRender make_render(const nkd::model::Cluster& cluster) {
  nkd::render::ClusterRender render{.cluster = cluster.name};
  for (const nkd::model::Node& node : nkd::model::expand_nodes(cluster)) {
    const std::string config = R"({"ignition":{"version":"3.3.0"},"node":")" + node.name + "\"}";
    render.nodes.push_back(nkd::render::NodeRender{.node = node, .ignition = config,
                                                   .ignition_sha256 = nkd::sha256_hex(config)});
  }
  return render;
}

// "" when Keystone at `auth_url` answers, else why not.
std::string cloud_unavailable(nkd::HttpClient& http, const std::string& auth_url) {
  nkd::Result<nkd::HttpResponse> answer =
      http.send(nkd::HttpRequest{.url = auth_url, .timeout_ms = 3'000, .connect_timeout_ms = 2'000});
  if (!answer) return answer.error().message;
  if (answer->status >= 400) return "Keystone answered HTTP " + std::to_string(answer->status);
  return "";
}

struct RunFigures {
  double create_seconds = 0;
  double delete_seconds = 0;
  std::size_t servers_seen = 0;
  std::string error;
};

RunFigures create_and_delete(const nkd::providers::openstack::Clouds& clouds, nkd::HttpClient& http,
                             const std::string& cluster_name, int servers, int concurrency) {
  RunFigures figures;
  const std::filesystem::path state_dir =
      std::filesystem::temp_directory_path() / ("nkd-os-bench-" + cluster_name);
  std::filesystem::create_directories(state_dir);
  auto state = nkd::state::SqliteStateStore::open((state_dir / "state.db").string());
  if (!state) {
    figures.error = state.error().message;
    return figures;
  }
  nkd::SystemClock clock;
  OpenStackProviderOptions options;
  options.max_concurrent_creates = concurrency;
  OpenStackProvider provider(clouds, http, clock, **state, nullptr, options);
  const nkd::model::Cluster cluster = make_cluster(cluster_name, servers);
  const auto started = Clock::now();
  auto applied = provider.apply(cluster, make_render(cluster), {});
  figures.create_seconds = seconds_since(started);
  if (!applied) figures.error = applied.error().message;
  else if (!applied->complete) figures.error = "incomplete: " + applied->message;
  if (auto seen = provider.observe(cluster_name); seen) figures.servers_seen = seen->size();
  const auto deleting = Clock::now();
  if (nkd::Status removed = provider.remove(cluster_name); !removed) {
    figures.error += (figures.error.empty() ? "" : "; ") + removed.error().message;
  }
  figures.delete_seconds = seconds_since(deleting);
  std::filesystem::remove_all(state_dir);
  return figures;
}

}  // namespace

int main(int argc, char** argv) {
  const int servers = argc > 1 ? std::atoi(argv[1]) : 50;
  const std::string prefix = argc > 2 ? argv[2] : "nkd-bench";
  const char* clouds_env = std::getenv("NKD_OPENSTACK_CLOUDS");
  const std::string clouds_path = clouds_env != nullptr ? clouds_env : "tests/openstack/clouds.yaml";
  if (servers < 2) {
    std::fprintf(stderr, "usage: nkd_openstack_create_bench [servers >= 2] [name-prefix]\n");
    return 2;
  }
  auto clouds = nkd::providers::openstack::load_clouds_file(clouds_path);
  if (!clouds) {
    std::printf("skipped: no cloud (%s)\n", clouds.error().message.c_str());
    return 0;
  }
  auto cloud = nkd::providers::openstack::find_cloud(*clouds, kCloud);
  nkd::CurlHttpClient http(*nkd::CidrAllowList::parse("127.0.0.0/8,::1/128"));
  const std::string why = cloud ? cloud_unavailable(http, cloud->auth.auth_url) : cloud.error().message;
  if (!why.empty()) {
    std::printf("skipped: no cloud (%s; start it with tests/openstack/start.sh)\n", why.c_str());
    return 0;
  }
  const std::string run = prefix + "-" + std::to_string(getpid() % 100000);
  const RunFigures serial = create_and_delete(*clouds, http, run + "-c1", servers, 1);
  const RunFigures parallel = create_and_delete(*clouds, http, run + "-c10", servers, 10);
  std::printf("| %d servers (m1.tiny, fake driver) | create s | servers seen | delete s | x c10 |\n",
              servers);
  std::printf("|---|---:|---:|---:|---:|\n");
  std::printf("| max_concurrent_creates = 1 (baseline) | %.2f | %zu | %.2f | %.2f |\n",
              serial.create_seconds, serial.servers_seen, serial.delete_seconds,
              serial.create_seconds / parallel.create_seconds);
  std::printf("| max_concurrent_creates = 10 | %.2f | %zu | %.2f | 1.00 |\n",
              parallel.create_seconds, parallel.servers_seen, parallel.delete_seconds);
  std::printf("\nratio c1 / c10: %.2f\n", serial.create_seconds / parallel.create_seconds);
  for (const RunFigures* figures : {&serial, &parallel}) {
    if (!figures->error.empty()) std::printf("error: %s\n", figures->error.c_str());
  }
  return serial.error.empty() && parallel.error.empty() ? 0 : 1;
}
