// Daemon::create: the wiring of `nkd syncd`, the one place that builds the daemon's real parts
// (the SQLite or etcd store, opened after its checks, the libgit2 source, the libcurl client with
// the egress allow list, the clouds of clouds.yaml) and picks the system clock. Everything below
// takes them from here.
#include <spdlog/spdlog.h>

#include "common/curl_http_client.h"
#include "common/private_files.h"
#include "state/daemon_state_opening.h"
#include "syncd/daemon.h"
#include "syncd/source_factory.h"

namespace nkd::syncd {

Result<std::unique_ptr<Daemon>> Daemon::create(DaemonConfig config, const std::string& version,
                                               const std::string& commit) {
  // It holds the state store's private keys and the Git mirror: the daemon's user's alone.
  NKD_RETURN_IF_ERROR_WRAP(create_private_directories(config.state_directory()),
                           "creating the state directory");
  const Clock& clock = real_clock();
  DaemonParts parts;
  NKD_ASSIGN_OR_RETURN_WRAP(auto state, state::open_daemon_state(config.state, clock),
                            "opening the state store");
  for (const auto& line : state.warnings) spdlog::warn("{}", line);
  for (const auto& line : state.notices) spdlog::info("{}", line);
  if (!state.key_id.empty()) spdlog::info("state values are sealed with key {}", state.key_id);
  parts.store = std::move(state.store);
  parts.sealer = std::move(state.sealer);
  NKD_ASSIGN_OR_RETURN_WRAP(auto source, create_source(config), "setting up the Git source");
  parts.source = std::move(source);
  NKD_ASSIGN_OR_RETURN_WRAP(auto verifier, source::CommitVerifier::open(config.repository.verify),
                            "setting up commit signature verification");
  parts.verifier = std::move(verifier);
  if (!config.openstack.clouds_file.empty()) {
    NKD_ASSIGN_OR_RETURN_WRAP(auto loaded,
                              providers::openstack::load_clouds_file(config.openstack.clouds_file),
                              "reading clouds: " + config.openstack.clouds_file);
    parts.clouds = std::move(loaded);
  }
  parts.http = std::make_unique<CurlHttpClient>(config.egress);
  return std::make_unique<Daemon>(std::move(config), std::move(parts), clock, version, commit);
}

}  // namespace nkd::syncd
