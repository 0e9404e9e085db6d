// What only the etcd state store has, against real etcd members: a lost compare read again and
// retried, failover to the next endpoint, a timeout on a member that never answers, TLS with
// client certificates, and keys kept under the prefix. The contract every backend shares is
// state_contract_test.cc's. Suites are named Etcd* so they share one member a process
// (tests/CMakeLists.txt).
#include "state/etcd_state_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "common/curl_http_client.h"
#include "state/cluster_pki_store.h"
#include "state/etcd_client.h"
#include "state/secret_sealer.h"
#include "tests/support/etcd_member.h"
#include "tests/support/render_fixtures.h"
#include "tests/support/stalling_servers.h"
#include "tests/support/state_rows.h"
#include "tests/support/state_testing.h"
#include "tests/support/syncd_fixture.h"
#include "tests/support/test_support.h"

namespace nkd::state {
namespace {

using nkd::testing::EtcdMember;

// A real client that runs `before_txn` before it sends each transaction: a second writer gets
// in between the store's read and its compare.
class InterferingHttpClient final : public HttpClient {
 public:
  explicit InterferingHttpClient(std::function<void()> before_txn)
      : before_txn_(std::move(before_txn)) {}
  Result<HttpResponse> send(const HttpRequest& request) override {
    if (request.url.ends_with("/v3/kv/txn")) {
      ++txns_;
      before_txn_();
    }
    return real_.send(request);
  }
  [[nodiscard]] int txns() const { return txns_.load(); }

 private:
  CurlHttpClient real_;
  std::function<void()> before_txn_;
  std::atomic<int> txns_{0};
};

class EtcdStateStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { member_ = std::make_unique<EtcdMember>(); }
  static void TearDownTestSuite() { member_.reset(); }
  void SetUp() override {
    ASSERT_TRUE(member_->ready());
    prefix_ = std::string("/etcd-store/") +
              ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  std::unique_ptr<EtcdStateStore> open(EtcdSettings settings,
                                       std::unique_ptr<HttpClient> http = nullptr) {
    auto opened = EtcdStateStore::open(settings, real_clock(), std::move(http));
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    return opened.ok() ? std::move(*opened) : nullptr;
  }

  static inline std::unique_ptr<EtcdMember> member_;
  std::string prefix_;
};

TEST_F(EtcdStateStoreTest, ALostCompareIsReadAgainAndRetried) {
  auto other_writer = open(member_->settings(prefix_));
  ASSERT_NE(other_writer, nullptr);
  ASSERT_TRUE(put_record(*other_writer, rows::cluster_record("lab", "d1")).ok());
  // The source notes a rejection between the reconcile's read and its write, once.
  bool interfered = false;
  auto http = std::make_unique<InterferingHttpClient>([&] {
    if (interfered) return;
    interfered = true;
    ASSERT_TRUE(other_writer->note_rejection("lab", "r9", "commit r9 rejected", 10).ok());
  });
  const InterferingHttpClient& interferer = *http;
  auto store = open(member_->settings(prefix_), std::move(http));
  ASSERT_NE(store, nullptr);

  ClusterRecord status = rows::cluster_record("lab", "d2");
  status.phase = ClusterPhase::kWaitingForCluster;
  ASSERT_TRUE(store->save_status(status).ok());
  EXPECT_EQ(interferer.txns(), 2) << "the first commit lost its compare and was tried again";
  const ClusterRecord stored = store->get_cluster("lab").value().value();
  EXPECT_EQ(stored.phase, ClusterPhase::kWaitingForCluster) << "the retry wrote";
  EXPECT_EQ(stored.render_digest, "d2");
  EXPECT_EQ(stored.rejection, "commit r9 rejected") << "over the other writer's fields, not them";
  EXPECT_EQ(stored.observed_revision, "r9");
}

TEST_F(EtcdStateStoreTest, GivesUpWithAConflictWhenEveryCompareIsLost) {
  auto other_writer = open(member_->settings(prefix_));
  ASSERT_NE(other_writer, nullptr);
  int rejections = 0;
  auto http = std::make_unique<InterferingHttpClient>([&] {
    ASSERT_TRUE(
        other_writer->note_rejection("lab", "r" + std::to_string(++rejections), "x", 1).ok());
  });
  auto store = open(member_->settings(prefix_), std::move(http));
  ASSERT_NE(store, nullptr);
  const Status saved = store->save_status(rows::cluster_record("lab", "d2"));
  ASSERT_FALSE(saved.ok());
  EXPECT_EQ(saved.error().code, ErrorCode::kConflict) << saved.error().message;
  EXPECT_EQ(rejections, EtcdConnection::kMaxAttempts);
  EXPECT_EQ(other_writer->get_cluster("lab").value()->render_digest, "")
      << "no attempt wrote over the other writer";
}

// A history id is taken by a compare on the counter: two writers that read the same counter
// cannot both use its next value.
TEST_F(EtcdStateStoreTest, ConcurrentAttemptsNeverShareAnId) {
  auto other_writer = open(member_->settings(prefix_));
  ASSERT_NE(other_writer, nullptr);
  std::int64_t other_id = 0;
  auto http = std::make_unique<InterferingHttpClient>([&] {
    if (other_id == 0)
      other_id = other_writer->begin_attempt(rows::attempt_row("b", "d", 1)).value().id;
  });
  auto store = open(member_->settings(prefix_), std::move(http));
  ASSERT_NE(store, nullptr);
  const HistoryRow mine = store->begin_attempt(rows::attempt_row("a", "d", 1)).value();
  EXPECT_NE(mine.id, other_id);
  EXPECT_EQ(store->history("a", 0).value().at(0).id, mine.id);
  EXPECT_EQ(store->history("b", 0).value().at(0).id, other_id);
}

TEST_F(EtcdStateStoreTest, UsesTheNextEndpointWhenOneCannotBeReached) {
  const std::string dead = "http://127.0.0.1:" + std::to_string(nkd::testing::free_port());
  EtcdSettings settings = member_->settings(prefix_);
  settings.endpoints = {dead, member_->client_url()};
  auto store = open(settings);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->ping().ok());
  ASSERT_TRUE(store->save_pki("lab", "{\"ca\":1}").ok()) << "a write is resent: it never arrived";
  EXPECT_EQ(store->load_pki("lab").value(), "{\"ca\":1}");

  settings.endpoints = {dead};
  auto alone = open(settings);
  ASSERT_NE(alone, nullptr);
  const auto unreachable = alone->load_pki("lab");
  ASSERT_FALSE(unreachable.ok());
  EXPECT_EQ(unreachable.error().code, ErrorCode::kUnavailable) << unreachable.error().message;
}

TEST_F(EtcdStateStoreTest, TimesOutOnAMemberThatNeverAnswers) {
  nkd::testing::StallingListener silent;
  EtcdSettings settings = member_->settings(prefix_);
  settings.endpoints = {"http://127.0.0.1:" + std::to_string(silent.port())};
  settings.timeout_ms = 300;
  auto store = open(settings);
  ASSERT_NE(store, nullptr);
  const auto started = std::chrono::steady_clock::now();
  const auto answer = store->load_pki("lab");
  const auto waited = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code, ErrorCode::kTimeout) << answer.error().message;
  EXPECT_LT(waited, std::chrono::seconds(3));
  EXPECT_GE(silent.accepted(), 1);

  // With a live member after it, a read moves on; a write may have been applied by the silent
  // one, so it is not sent again.
  settings.endpoints.push_back(member_->client_url());
  auto failing_over = open(settings);
  ASSERT_NE(failing_over, nullptr);
  EXPECT_TRUE(failing_over->load_pki("lab").ok());
  auto writer = open(settings);  // a new store starts with the first endpoint again
  ASSERT_NE(writer, nullptr);
  const Status write = writer->save_pki("lab", "{}");
  ASSERT_FALSE(write.ok());
  EXPECT_EQ(write.error().code, ErrorCode::kTimeout) << write.error().message;
}

TEST_F(EtcdStateStoreTest, KeepsEveryKeyUnderItsPrefix) {
  auto first = open(member_->settings(prefix_ + "/first"));
  auto second = open(member_->settings(prefix_ + "/second/"));
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(put_record(*first, rows::cluster_record("lab", "d1")).ok());
  rows::run_attempt(*first, "lab", "d1", Outcome::kApplied, "", 1,
                    {rows::node_record("lab", "n0")});
  ASSERT_TRUE(first->add_intent(rows::make_intent("lab", "create-server")).ok());
  EXPECT_TRUE(second->list_clusters().value().empty());
  EXPECT_TRUE(second->history("lab", 0).value().empty());
  EXPECT_TRUE(second->pending_intents("").value().empty());

  // Read as anyone would, straight from etcd: every key lies under the first prefix.
  auto everything =
      EtcdClient::create(EtcdSettings{.endpoints = {member_->client_url()}, .prefix = prefix_},
                         std::make_unique<CurlHttpClient>());
  ASSERT_TRUE(everything.ok());
  const auto keys = (*everything)->list("").value();
  ASSERT_FALSE(keys.values.empty());
  for (const EtcdKeyValue& key : keys.values) EXPECT_TRUE(key.key.starts_with("first/")) << key.key;
}

// `nkd rotate-node-tokens --config` works on the state the daemon's syncd.yaml names: its etcd.
TEST_F(EtcdStateStoreTest, RotateNodeTokensWritesTheDaemonsEtcd) {
  auto store = open(member_->settings(prefix_));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(load_or_create_pki(*store, nkd::testing::bare_metal_cluster("lab"),
                                 nkd::testing::unix_now_seconds())
                  .ok());
  const std::string before = store->load_pki("lab").value().value();
  const nkd::testing::ScratchDir scratch;
  const std::string config = (scratch.path() / "syncd.yaml").string();
  nkd::testing::write_file(config,
                           "repository: {url: file:///srv/clusters.git}\n"
                           "state: {etcd: {endpoints: [" +
                               member_->client_url() + "], prefix: " + prefix_ +
                               "}}\n"
                               "listen: 127.0.0.1:9480\n");
  const auto rotated = nkd::testing::run_command(
      {nkd::testing::nkd_binary(), "rotate-node-tokens", "--config", config, "lab"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  EXPECT_NE(store->load_pki("lab").value().value(), before);

  const auto unknown = nkd::testing::run_command(
      {nkd::testing::nkd_binary(), "rotate-node-tokens", "--config", config, "nowhere"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("etcd " + member_->client_url() + " under " + prefix_),
            std::string::npos)
      << unknown.err;
}

// `nkd syncd` with state.etcd: what it applies is recorded in etcd, and no SQLite file is made.
TEST_F(EtcdStateStoreTest, TheDaemonKeepsItsStateInEtcd) {
  nkd::testing::SyncdFixture fixture;
  const std::string entries =
      "etcd: {endpoints: [" + member_->client_url() + "], prefix: " + prefix_ + "}";
  // etcd without a state key is refused: private keys never reach etcd in the clear.
  fixture.set_state_entries(entries);
  fixture.start_daemon_config_only("1s");
  const auto refused = nkd::testing::run_command(
      {nkd::testing::nkd_binary(), "syncd", "--config", (fixture.dir() / "syncd.yaml").string()},
      "", "", std::chrono::seconds(20));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE((refused.out + refused.err).find("state.etcd needs state.encryption.keyFile"),
            std::string::npos)
      << refused.out << refused.err;

  const auto made = nkd::testing::run_shell("umask 077 && openssl rand -base64 32 > state.key",
                                            fixture.dir().string());
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string key_file = (fixture.dir() / "state.key").string();
  fixture.set_state_key_files({key_file});
  fixture.start_daemon("1s");
  const std::string head = fixture.head();
  ASSERT_TRUE(fixture.wait_applied("edge-lab", head, std::chrono::seconds(20))) << fixture.log();

  // What etcd holds is sealed: read without the key, the PKI does not open.
  auto unkeyed = open(member_->settings(prefix_));
  ASSERT_NE(unkeyed, nullptr);
  auto unkeyed_pki = unkeyed->load_pki("edge-lab");
  ASSERT_FALSE(unkeyed_pki.ok());
  EXPECT_EQ(unkeyed_pki.error().code, ErrorCode::kPermissionDenied);
  auto raw = unkeyed->sealed_value_counts();
  ASSERT_TRUE(raw.ok()) << raw.error().message;
  EXPECT_EQ(raw->count(""), 0u) << "no value in etcd is plaintext";

  auto sealer = SecretSealer::from_settings({.key_file = key_file});
  ASSERT_TRUE(sealer.ok()) << sealer.error().message;
  auto opened = EtcdStateStore::open(member_->settings(prefix_), real_clock(), nullptr, *sealer);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto& store = *opened;
  const ClusterRecord record = store->get_cluster("edge-lab").value().value();
  EXPECT_EQ(record.applied_revision, head);
  EXPECT_EQ(record.observed_revision, head);
  const auto history = store->history("edge-lab", 0).value();
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].outcome, Outcome::kApplied);
  EXPECT_TRUE(store->load_pki("edge-lab").value().has_value());
  const auto nodes = store->nodes("edge-lab").value();
  ASSERT_FALSE(nodes.empty());
  EXPECT_TRUE(store->load_published_config("edge-lab", nodes[0].name).value().has_value());
  EXPECT_FALSE(std::filesystem::exists(fixture.state_db())) << "the SQLite file stays unmade";
}

TEST(EtcdSettingsTest, RefusesSettingsThatCannotWork) {
  const auto refused = [](EtcdSettings settings) {
    auto opened = EtcdStateStore::open(settings);
    return !opened.ok() && opened.error().code == ErrorCode::kInvalidArgument;
  };
  EXPECT_TRUE(refused({}));
  EXPECT_TRUE(refused({.endpoints = {"127.0.0.1:2379"}}));
  EXPECT_TRUE(refused({.endpoints = {"http://127.0.0.1:2379"}, .prefix = "nkd"}));
  EXPECT_TRUE(refused({.endpoints = {"http://127.0.0.1:2379"}, .prefix = "/"}));
  EXPECT_TRUE(refused({.endpoints = {"http://127.0.0.1:2379"}, .ca_file = "/etc/ca.crt"}));
  EXPECT_TRUE(refused({.endpoints = {"https://127.0.0.1:2379"}, .cert_file = "/etc/c.crt"}));
  EXPECT_FALSE(refused({.endpoints = {"http://127.0.0.1:2379"}, .prefix = "/nkd/"}));
}

// The member trusts one CA and asks every client for a certificate it signed.
TEST(EtcdTlsTest, SpeaksTlsWithAClientCertificateAndRefusesWithout) {
  const nkd::testing::EtcdTestCertificates certificates;
  ASSERT_TRUE(certificates.made());
  const EtcdMember member(certificates.member_tls());
  ASSERT_TRUE(member.ready());
  EtcdSettings settings = member.settings("/tls");
  settings.ca_file = certificates.file("ca.crt");
  settings.cert_file = certificates.file("client.crt");
  settings.key_file = certificates.file("client.key");
  auto store = EtcdStateStore::open(settings);
  ASSERT_TRUE(store.ok()) << store.error().message;
  ASSERT_TRUE((*store)->ping().ok());
  ASSERT_TRUE((*store)->save_pki("lab", "{\"ca\":1}").ok());
  EXPECT_EQ((*store)->load_pki("lab").value(), "{\"ca\":1}");

  EtcdSettings anonymous = settings;
  anonymous.cert_file.clear();
  anonymous.key_file.clear();
  const auto refused = EtcdStateStore::open(anonymous).value()->load_pki("lab");
  EXPECT_FALSE(refused.ok()) << "the member asks for a client certificate";

  EtcdSettings untrusting = settings;
  untrusting.ca_file = certificates.file("other-ca.crt");
  const auto untrusted = EtcdStateStore::open(untrusting).value()->load_pki("lab");
  ASSERT_FALSE(untrusted.ok());
  EXPECT_EQ(untrusted.error().code, ErrorCode::kUnauthenticated) << untrusted.error().message;
}

TEST_F(EtcdStateStoreTest, SealedValuesAreCountedAPageAtATime) {
  // More values than one page (200) holds: a thousand clusters' configs do not fit in one
  // range answer within the timeout, so the count must read page after page.
  auto opened = EtcdStateStore::open(member_->settings(prefix_), real_clock(), nullptr,
                                     test_sealer({test_state_key('p')}));
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EtcdStateStore& store = **opened;
  for (int cluster = 0; cluster < 5; ++cluster) {
    std::vector<PublishedConfig> configs;
    std::vector<std::string> nodes;
    for (int node = 0; node < 90; ++node) {
      const std::string name = "n" + std::to_string(node);
      configs.push_back({name, "d" + name, "config of " + name});
      nodes.push_back(name);
    }
    const std::string name = "c" + std::to_string(cluster);
    ASSERT_TRUE(store.save_published_configs(name, configs, nodes).ok());
    ASSERT_TRUE(store.save_pki(name, "{\"pki\":1}").ok());
  }
  const auto counts = store.sealed_value_counts();
  ASSERT_TRUE(counts.ok()) << counts.error().message;
  ASSERT_EQ(counts->size(), 1u) << "every value under the one key";
  EXPECT_EQ(counts->begin()->second, 5 * 90 + 5);
}

}  // namespace
}  // namespace nkd::state
