// SyncdFixture: a definitions repository served by a real `git daemon` on 127.0.0.1
// (definitions_repository.h, its own or one shared with other fixtures), a config
// for `nkd syncd` (SQLite state, bare metal, clusterAccess none, loopback-only egress), and the
// daemon process itself, all removed or stopped when the fixture goes. The listener serves plain
// HTTP by the explicit opt-in (http.insecure) unless use_https() is called or the test's extra
// config sets http: itself. The repository holds two
// bare-metal clusters: edge-lab (from examples-repo) and lab-two (a copy), plus `extra_clusters`
// more copies named lab-00, lab-01, ... for tests that need a busy repository.
#pragma once

#include <httplib.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/definitions_repository.h"
#include "tests/support/test_support.h"

namespace nkd::testing {

class SyncdFixture {
 public:
  explicit SyncdFixture(int extra_clusters = 0);
  // A repository holding exactly `files` (path -> contents), for benchmarks of large repositories.
  explicit SyncdFixture(const std::map<std::string, std::string>& files);
  // A daemon of its own (config, state directory, listener) fetching from `repository`, which
  // another owner serves and keeps alive longer than this fixture (several replicas, one Git).
  explicit SyncdFixture(DefinitionsRepository& repository);
  ~SyncdFixture();

  // Writes the config (pollInterval as given) and starts the daemon; waits for /healthz. An
  // `extra_config` with its own `webhooks:` replaces the fixture's (one secret for all forges).
  void start_daemon(const std::string& poll_interval, const std::string& extra_config = "");
  // The daemon's --log-level (default info); call before start_daemon().
  void set_log_level(const std::string& level) { log_level_ = level; }
  // Lines of YAML added under `repository:` (e.g. "verify: {mode: ssh, ...}"); call before
  // start_daemon().
  void set_repository_config(const std::string& yaml) { repository_config_ = yaml; }
  // Key files for state.encryption (the first seals); call before start_daemon(). The fixture's
  // own reads of the state (node_token) use them too.
  void set_state_key_files(std::vector<std::string> files) { state_key_files_ = std::move(files); }
  // Entries added to the `state:` flow map after sqlite (e.g. "etcd: {endpoints: [...]}"); call
  // before start_daemon().
  void set_state_entries(const std::string& yaml) { state_entries_ = yaml; }
  // Rewrites the config only (for reload tests).
  void start_daemon_config_only(const std::string& poll_interval, const std::string& extra_config = "");
  // Sends `signal` to the running daemon without waiting.
  void signal_daemon(int signal);
  // Sends `signal` and returns the wait status.
  int stop_daemon(int signal);

  // Runs `script` in the work clone, commits everything as "Ops", pushes; returns the new head.
  std::string commit(const std::string& script, const std::string& message);
  std::string head();

  nlohmann::json get_json(const std::string& path);
  std::string metrics();
  // Posts to /hooks/<kind> with `signature` in that kind's signature header, plus `headers`.
  int post_hook(const std::string& kind, const std::string& body, const std::string& signature,
                const std::vector<std::pair<std::string, std::string>>& headers = {});
  // Posts a generic hook signed with the fixture's secret, the current time and a new delivery
  // ID (or `delivery_id` when given).
  int post_generic_hook(const std::string& body, const std::string& delivery_id = "");
  bool wait_applied(const std::string& cluster, const std::string& revision,
                    std::chrono::milliseconds timeout);
  // The bearer token of a node, derived from the PKI the daemon stored.
  std::string node_token(const std::string& cluster, const std::string& node);

  [[nodiscard]] int port() const { return http_port_; }
  // The running daemon's process id (0 when none runs).
  [[nodiscard]] pid_t daemon_pid() const;
  // The daemon serves HTTPS (no http.insecure); clients trust `ca_file`, by default the CA the
  // daemon makes in its state directory. Call before start_daemon().
  void use_https(const std::string& ca_file = "");
  // A client of the daemon's listener (trusting its CA with use_https()), short timeouts.
  [[nodiscard]] std::unique_ptr<httplib::Client> client() const;
  [[nodiscard]] std::string url() const;
  [[nodiscard]] const std::string& ca_file() const { return ca_file_; }
  [[nodiscard]] std::string webhook_secret() const { return "fixture-webhook-secret"; }
  [[nodiscard]] std::string log() const;
  [[nodiscard]] const std::filesystem::path& dir() const { return scratch_.path(); }
  [[nodiscard]] std::string state_db() const { return (scratch_.path() / "state/state.db").string(); }
  [[nodiscard]] std::string repository_url() const;
  [[nodiscard]] DefinitionsRepository& repository() { return repository_; }

 private:
  ScratchDir scratch_;
  // Set when the fixture made its repository (in scratch_, so dir() / "work" is its clone).
  std::unique_ptr<DefinitionsRepository> own_repository_;
  DefinitionsRepository& repository_;
  int http_port_ = 0;
  std::unique_ptr<ChildProcess> syncd_;
  bool https_ = false;
  std::string log_level_ = "info";
  std::string repository_config_;
  std::vector<std::string> state_key_files_;
  std::string state_entries_;
  std::string ca_file_;
};

}  // namespace nkd::testing
