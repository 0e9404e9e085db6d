// Daemon::create: the wiring of `nkd syncd`, the one place that builds the daemon's real parts
// (the SQLite store, the libgit2 source, the libcurl client with the egress allow list, the
// clouds of clouds.yaml) and picks the system clock. Everything below takes them from here.
#include "common/curl_http_client.h"
#include "common/private_files.h"
#include "syncd/daemon.h"
#include "syncd/source_factory.h"
#include "state/sqlite_state_store.h"

namespace nkd::syncd {

Result<std::unique_ptr<Daemon>> Daemon::create(DaemonConfig config, const std::string& version,
                                               const std::string& commit) {
  // It holds the state store's private keys and the Git mirror: the daemon's user's alone.
  if (auto made = create_private_directories(config.state_directory()); !made) {
    return made.error().wrap("creating the state directory");
  }
  const Clock& clock = real_clock();
  DaemonParts parts;
  auto store = state::open_sqlite_state_store(config.state.sqlite_path, clock);
  if (!store) return store.error().wrap("opening the state store");
  parts.store = std::move(store).value();
  auto source = create_source(config);
  if (!source) return source.error().wrap("setting up the Git source");
  parts.source = std::move(source).value();
  auto verifier = source::CommitVerifier::open(config.repository.verify);
  if (!verifier) return verifier.error().wrap("setting up commit signature verification");
  parts.verifier = std::move(verifier).value();
  if (!config.openstack.clouds_file.empty()) {
    auto loaded = providers::openstack::load_clouds_file(config.openstack.clouds_file);
    if (!loaded) return loaded.error().wrap("reading clouds: " + config.openstack.clouds_file);
    parts.clouds = std::move(loaded).value();
  }
  parts.http = std::make_unique<CurlHttpClient>(config.egress);
  return std::make_unique<Daemon>(std::move(config), std::move(parts), clock, version, commit);
}

}  // namespace nkd::syncd
