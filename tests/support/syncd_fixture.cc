#include "tests/support/syncd_fixture.h"

#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <ctime>
#include <stdexcept>

#include "render/pki/cluster_pki.h"
#include "state/secret_sealer.h"
#include "state/sqlite_state_store.h"
#include "syncd/http/webhooks.h"
#include "tests/support/definitions_repository.h"
#include "tests/support/memory_bound.h"

namespace nkd::testing {

namespace fs = std::filesystem;

SyncdFixture::SyncdFixture(int extra_clusters)
    : own_repository_(std::make_unique<DefinitionsRepository>(scratch_.path(), extra_clusters)),
      repository_(*own_repository_) {
  write_file(scratch_.path() / "webhook-secret", webhook_secret() + "\n");
}

SyncdFixture::SyncdFixture(const std::map<std::string, std::string>& files)
    : own_repository_(std::make_unique<DefinitionsRepository>(scratch_.path(), files)),
      repository_(*own_repository_) {
  write_file(scratch_.path() / "webhook-secret", webhook_secret() + "\n");
}

SyncdFixture::SyncdFixture(DefinitionsRepository& repository) : repository_(repository) {
  write_file(scratch_.path() / "webhook-secret", webhook_secret() + "\n");
}

pid_t SyncdFixture::daemon_pid() const { return syncd_ ? syncd_->pid() : 0; }

SyncdFixture::~SyncdFixture() {
  syncd_.reset();
  own_repository_.reset();
}

std::string SyncdFixture::repository_url() const { return repository_.url(); }

namespace {

// state.encryption's entry in the flow map `state: {...}`, for the given key files.
std::string state_encryption_yaml(const std::vector<std::string>& key_files) {
  if (key_files.empty()) return "";
  std::string yaml = ", encryption: {keyFile: " + key_files.front() + ", previousKeyFiles: [";
  for (std::size_t i = 1; i < key_files.size(); ++i) yaml += (i > 1 ? ", " : "") + key_files[i];
  return yaml + "]}";
}

// Whether a test's extra syncd.yaml lines have their own top-level http: section.
bool sets_http_section(const std::string& extra_config) {
  return extra_config.starts_with("http:") || extra_config.find("\nhttp:") != std::string::npos;
}

// Under the sanitizers, the daemon's bound is an option its runtime reads at start.
std::vector<std::string> memory_bound_environment() {
  std::string bound = sanitizer_memory_bound(kProcessMemoryBytes);
  if (bound.empty()) return {};
  return {std::move(bound)};
}

}  // namespace

void SyncdFixture::start_daemon(const std::string& poll_interval, const std::string& extra_config) {
  start_daemon_config_only(poll_interval, extra_config);
  syncd_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{nkd_binary(), "syncd", "--config",
                               (scratch_.path() / "syncd.yaml").string(), "--log-format", "json",
                               "--log-level", log_level_},
      (scratch_.path() / "syncd.log").string(), memory_bound_environment());
  // Bounded as it starts, long before it has fetched anything: a daemon that a test's input
  // drives to allocate without limit dies at the bound and fails the test
  // (tests/support/memory_bound.h).
  if (!bound_address_space(syncd_->pid(), kProcessAddressSpaceBytes)) {
    throw std::runtime_error("could not bound the memory of nkd syncd");
  }
  // A new client each time: with a self-signed listener the CA file appears only once the
  // daemon has made it.
  if (!wait_until([&] { return static_cast<bool>(client()->Get("/healthz")); },
                  std::chrono::seconds(15))) {
    throw std::runtime_error("nkd syncd did not start: " + log());
  }
}

void SyncdFixture::start_daemon_config_only(const std::string& poll_interval,
                                            const std::string& extra_config) {
  if (http_port_ == 0) http_port_ = free_port();
  write_file(
      scratch_.path() / "syncd.yaml",
      "repository:\n  url: " + repository_url() +
          "\n  ref: refs/heads/main\n"
          "  pollInterval: " +
          poll_interval + "\n" +
          (repository_config_.empty() ? "" : "  " + repository_config_ + "\n") +
          (extra_config.find("webhooks:") == std::string::npos
               ? "webhooks: {secretFile: " + (scratch_.path() / "webhook-secret").string() + "}\n"
               : "") +
          "state: {sqlite: " + state_db() + state_encryption_yaml(state_key_files_) +
          (state_entries_.empty() ? "" : ", " + state_entries_) +
          "}\n"
          "listen: 127.0.0.1:" +
          std::to_string(http_port_) + "\n" +
          // A test that reaches a fake API server sets clusterAccess itself (with apiServers).
          (extra_config.find("clusterAccess:") == std::string::npos ? "clusterAccess: none\n"
                                                                    : "") +
          "egress: {allow: [127.0.0.0/8, \"::1/128\"]}\n" +
          // Plain HTTP by the explicit opt-in, unless the test serves HTTPS or sets http: itself.
          (https_ || sets_http_section(extra_config) ? "" : "http: {insecure: true}\n") +
          extra_config);
}

void SyncdFixture::signal_daemon(int signal) {
  if (syncd_) kill(syncd_->pid(), signal);
}

int SyncdFixture::stop_daemon(int signal) {
  if (!syncd_) return 0;
  return syncd_->stop(signal, std::chrono::seconds(15));
}

std::string SyncdFixture::commit(const std::string& script, const std::string& message) {
  return repository_.commit(script, message);
}

std::string SyncdFixture::head() { return repository_.head(); }

void SyncdFixture::use_https(const std::string& ca_file) {
  https_ = true;
  ca_file_ = ca_file.empty() ? (scratch_.path() / "state/tls/ca.crt").string() : ca_file;
}

std::string SyncdFixture::url() const {
  return std::string(https_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(http_port_);
}

std::unique_ptr<httplib::Client> SyncdFixture::client() const {
  auto client = std::make_unique<httplib::Client>(url());
  if (https_) {
    client->set_ca_cert_path(ca_file_.c_str());
    client->enable_server_certificate_verification(true);
  }
  client->set_connection_timeout(1, 0);
  client->set_read_timeout(5, 0);
  return client;
}

nlohmann::json SyncdFixture::get_json(const std::string& path) {
  auto response = client()->Get(path);
  if (!response || response->status != 200) return nlohmann::json::object();
  return nlohmann::json::parse(response->body, nullptr, false);
}

std::string SyncdFixture::metrics() {
  auto response = client()->Get("/metrics");
  return response ? response->body : "";
}

int SyncdFixture::post_generic_hook(const std::string& body, const std::string& delivery_id) {
  static std::atomic<int> sequence{0};
  const std::string delivery =
      delivery_id.empty() ? "fixture-" + std::to_string(::getpid()) + "-" + std::to_string(++sequence)
                          : delivery_id;
  const std::string timestamp = std::to_string(std::time(nullptr));
  return post_hook("generic", body,
                   syncd::generic_webhook_signature(webhook_secret(), timestamp, delivery, body),
                   {{"X-Nkd-Timestamp", timestamp}, {"X-Nkd-Delivery", delivery}});
}

int SyncdFixture::post_hook(const std::string& kind, const std::string& body,
                            const std::string& signature,
                            const std::vector<std::pair<std::string, std::string>>& extra_headers) {
  httplib::Headers headers(extra_headers.begin(), extra_headers.end());
  if (kind == "github") headers.emplace("X-Hub-Signature-256", signature);
  else if (kind == "gitea") headers.emplace("X-Gitea-Signature", signature);
  else if (kind == "gitlab") headers.emplace("X-Gitlab-Token", signature);
  else headers.emplace("X-Nkd-Signature", signature);
  auto response = client()->Post("/hooks/" + kind, headers, body, "application/json");
  return response ? response->status : -1;
}

bool SyncdFixture::wait_applied(const std::string& cluster, const std::string& revision,
                                std::chrono::milliseconds timeout) {
  return wait_until([&] {
    const auto record = get_json("/api/v1/clusters/" + cluster);
    return record.contains("appliedRevision") && record["appliedRevision"] == revision;
  }, timeout);
}

std::string SyncdFixture::node_token(const std::string& cluster, const std::string& node) {
  auto sealer = state::SecretSealer::from_settings(
      state::EncryptionSettings::from_key_files(state_key_files_));
  if (!sealer) throw std::runtime_error(sealer.error().message);
  auto store = state::open_sqlite_state_store(state_db(), real_clock(), std::move(*sealer));
  if (!store) throw std::runtime_error(store.error().message);
  auto saved = (*store)->load_pki(cluster);
  if (!saved || !saved->has_value()) throw std::runtime_error("no PKI stored for " + cluster);
  auto pki = pki::pki_from_json(nlohmann::json::parse(**saved));
  if (!pki) throw std::runtime_error(pki.error().message);
  return pki::node_fetch_token(*pki, node).reveal();
}

std::string SyncdFixture::log() const { return read_file(scratch_.path() / "syncd.log"); }

}  // namespace nkd::testing
