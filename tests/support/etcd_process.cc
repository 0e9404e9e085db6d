#include "tests/support/etcd_process.h"

#include <memory>

#include "common/curl_http_client.h"
#include "state/etcd_client.h"
#include "state/state_settings.h"

namespace nkd::testing {

std::string etcd_peer_url(int peer_port) { return "http://127.0.0.1:" + std::to_string(peer_port); }

std::vector<std::string> etcd_command(const EtcdProcessSpec& spec) {
  const std::string peer = etcd_peer_url(spec.peer_port);
  return {"etcd",
          "--name",
          spec.name,
          "--data-dir",
          spec.data_dir.string(),
          "--listen-client-urls",
          spec.client_url,
          "--advertise-client-urls",
          spec.client_url,
          "--listen-peer-urls",
          peer,
          "--initial-advertise-peer-urls",
          peer,
          "--initial-cluster",
          spec.initial_cluster,
          "--initial-cluster-state",
          "new",
          "--heartbeat-interval",
          std::to_string(spec.heartbeat_ms),
          "--election-timeout",
          std::to_string(spec.election_timeout_ms),
          "--logger",
          "zap",
          "--log-level",
          "warn"};
}

bool etcd_answers(const std::string& client_url) {
  const state::EtcdSettings probe{
      .endpoints = {client_url}, .prefix = "/probe", .timeout_ms = 2'000};
  auto client = state::EtcdClient::create(probe, std::make_unique<CurlHttpClient>());
  return client.ok() && (*client)->ping().ok();
}

}  // namespace nkd::testing
