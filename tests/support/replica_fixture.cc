#include "tests/support/replica_fixture.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>

#include "common/curl_http_client.h"

namespace nkd::testing {

namespace fs = std::filesystem;

namespace {

// A prefix no other fixture in any process uses: etcd's keys outlive a failed test run only as
// long as the cluster does, but two fixtures of one process must not see each other's keys.
std::string unique_prefix() {
  static std::atomic<int> sequence{0};
  return "/nkd-test-" + std::to_string(::getpid()) + "-" + std::to_string(++sequence);
}

std::string flow_list(const std::vector<std::string>& items) {
  std::string list = "[";
  for (std::size_t i = 0; i < items.size(); ++i) list += (i > 0 ? ", " : "") + items[i];
  return list + "]";
}

}  // namespace

ReplicaFixture::ReplicaFixture(int clusters, ReplicaFixtureOptions options)
    : options_(std::move(options)),
      prefix_(unique_prefix()),
      repository_(std::make_unique<DefinitionsRepository>(dir_.path() / "repository",
                                                          std::max(clusters - 2, 0))) {
  prepare();
}

ReplicaFixture::ReplicaFixture(const std::map<std::string, std::string>& files,
                               ReplicaFixtureOptions options)
    : options_(std::move(options)),
      prefix_(unique_prefix()),
      repository_(std::make_unique<DefinitionsRepository>(dir_.path() / "repository", files)) {
  prepare();
}

void ReplicaFixture::prepare() {
  const CommandResult made =
      run_shell("umask 077 && openssl rand -base64 32 > state.key", dir_.str());
  if (made.exit_code != 0) throw std::runtime_error("could not make a state key: " + made.err);
  const std::string etcd_entry = "etcd: {endpoints: " + flow_list(etcd_.endpoints()) +
                                 ", prefix: " + prefix_ + ", replicaId: ";
  for (int i = 0; i < options_.replicas; ++i) {
    auto replica = std::make_unique<SyncdFixture>(*repository_);
    replica->set_state_key_files({(dir_.path() / "state.key").string()});
    replica->set_state_entries(etcd_entry + replica_id(i) + ", leaseTtlSeconds: " +
                               std::to_string(options_.lease_ttl_seconds) + "}");
    replica->set_log_level(options_.log_level);
    replicas_.push_back(std::move(replica));
  }
  auto client =
      state::EtcdClient::create(etcd_.settings(prefix_), std::make_unique<CurlHttpClient>());
  if (!client.ok()) throw std::runtime_error("etcd client: " + client.error().message);
  store_ = std::move(*client);
}

ReplicaFixture::~ReplicaFixture() {
  // A stopped replica would sit out SIGTERM's grace period before being killed.
  for (int i = 0; i < size(); ++i) signal(i, SIGCONT);
  replicas_.clear();
}

bool ReplicaFixture::start() {
  if (!etcd_.ready()) return false;
  for (auto& replica : replicas_) {
    try {
      replica->start_daemon(options_.poll_interval, options_.extra_config);
    } catch (const std::exception& failed) {
      ADD_FAILURE() << failed.what();
      return false;
    }
  }
  return true;
}

std::string ReplicaFixture::replica_id(int index) { return "r" + std::to_string(index + 1); }

int ReplicaFixture::replica_index(const std::string& id) {
  if (id.size() < 2 || id[0] != 'r') return -1;
  try {
    return std::stoi(id.substr(1)) - 1;
  } catch (const std::exception&) {
    return -1;
  }
}

std::chrono::milliseconds ReplicaFixture::refresh_period() const {
  return std::max(std::chrono::milliseconds(options_.lease_ttl_seconds * 1000 / 3),
                  std::chrono::milliseconds(500));
}

void ReplicaFixture::signal(int index, int signal) { replica(index).signal_daemon(signal); }

nlohmann::json ReplicaFixture::get_json(int index, const std::string& path) {
  return replica(index).get_json(path);
}

std::string ReplicaFixture::metrics(int index) { return replica(index).metrics(); }

std::string ReplicaFixture::log(int index) const {
  return replicas_.at(static_cast<std::size_t>(index))->log();
}

std::string ReplicaFixture::logs() const {
  std::string all;
  for (int i = 0; i < size(); ++i) all += "--- replica " + replica_id(i) + "\n" + log(i);
  return all + etcd_.log();
}

std::vector<std::string> ReplicaFixture::cluster_names() const {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(repository_->work_dir() / "clusters")) {
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::optional<std::map<std::string, std::string>> ReplicaFixture::owners() {
  auto listed = store_->list("owners/");
  if (!listed.ok()) return std::nullopt;
  std::map<std::string, std::string> owners;
  for (const auto& entry : listed->values) owners[entry.key.substr(7)] = entry.value;
  return owners;
}

std::optional<std::vector<std::string>> ReplicaFixture::live_replicas() {
  auto listed = store_->list("replicas/");
  if (!listed.ok()) return std::nullopt;
  std::vector<std::string> ids;
  for (const auto& entry : listed->values) ids.push_back(entry.key.substr(9));
  return ids;
}

}  // namespace nkd::testing
