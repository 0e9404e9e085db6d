// Daemon::create: the wiring of `nkd syncd`, the one place that builds the daemon's real parts
// (the SQLite or etcd store, the libgit2 source, the libcurl client with the egress allow list, the
// clouds of clouds.yaml) and picks the system clock. Everything below takes them from here.
#include "common/curl_http_client.h"
#include "common/private_files.h"
#include "syncd/daemon.h"
#include "syncd/source_factory.h"
#include "state/etcd_state_store.h"

namespace nkd::syncd {

Result<std::unique_ptr<Daemon>> Daemon::create(DaemonConfig config, const std::string& version,
                                               const std::string& commit) {
  // It holds the state store's private keys and the Git mirror: the daemon's user's alone.
  NKD_RETURN_IF_ERROR_WRAP(create_private_directories(config.state_directory()),
                           "creating the state directory");
  const Clock& clock = real_clock();
  DaemonParts parts;
  NKD_ASSIGN_OR_RETURN_WRAP(auto store,
                            state::open_state_store(config.state, clock),
                            "opening the state store");
  parts.store = std::move(store);
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
