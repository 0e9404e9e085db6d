// nkd node-url and nkd rotate-node-tokens against a running `nkd syncd` (SyncdFixture: real
// binary, real git daemon, bare metal, loopback only). The printed URL is fetched with curl as
// a machine would; the printed pointer config is followed as Ignition would (header, SHA-512).
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/crypto.h"
#include "state/sqlite_state_store.h"
#include "tests/support/syncd_fixture.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;
using testing::CommandResult;
using testing::SyncdFixture;

constexpr const char* kNode = "edge-lab-worker-0";

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

class NodeTokensCli : public ::testing::Test {
 protected:
  void SetUp() override {
    fixture_.start_daemon("1s");
    ASSERT_TRUE(fixture_.wait_applied("edge-lab", fixture_.head(), 20s)) << fixture_.log();
  }

  std::string config() const { return (fixture_.dir() / "syncd.yaml").string(); }

  CommandResult nkd(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), testing::nkd_binary());
    return testing::run_command(arguments, "", "", 30s);
  }

  // `nkd node-url --config ... edge-lab <node>`, checked to succeed.
  std::string node_url(const std::string& node = kNode) {
    const CommandResult result = nkd({"node-url", "--config", config(), "edge-lab", node});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return trimmed(result.out);
  }

  nlohmann::json pointer() {
    const CommandResult result =
        nkd({"node-url", "--pointer", "--config", config(), "edge-lab", kNode});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return nlohmann::json::parse(result.out, nullptr, false);
  }

  // What a machine booting with `url` gets (curl exits 22 on an HTTP error).
  static CommandResult curl(const std::string& url) {
    return testing::run_command(
        {"curl", "--silent", "--show-error", "--fail", "--max-time", "10", url}, "", "", 20s);
  }

  nlohmann::json stored_pki() {
    auto store = state::SqliteStateStore::open_read_only(fixture_.state_db());
    if (!store) throw std::runtime_error(store.error().message);
    auto saved = (*store)->load_pki("edge-lab");
    if (!saved || !saved->has_value()) throw std::runtime_error("no PKI stored for edge-lab");
    return nlohmann::json::parse(**saved);
  }

  SyncdFixture fixture_;
};

TEST_F(NodeTokensCli, PrintedUrlFetchesTheNodesConfigWithCurl) {
  const std::string url = node_url();
  // A PKI from before rotations existed (epoch 0) gives the token nkd always derived.
  EXPECT_EQ(url, fixture_.url() + "/ignition/edge-lab/" + kNode +
                     "?token=" + fixture_.node_token("edge-lab", kNode));
  const CommandResult fetched = curl(url);
  ASSERT_EQ(fetched.exit_code, 0) << fetched.err;
  const auto config = nlohmann::json::parse(fetched.out, nullptr, false);
  ASSERT_FALSE(config.is_discarded()) << fetched.out.substr(0, 200);
  EXPECT_EQ(config["ignition"]["version"], "3.3.0");
  auto store = state::SqliteStateStore::open_read_only(fixture_.state_db());
  ASSERT_TRUE(store.ok()) << store.error().message;
  const auto published = (*store)->load_published_config("edge-lab", kNode);
  ASSERT_TRUE(published.ok() && published->has_value());
  EXPECT_EQ(fetched.out, (*published)->content) << "the node's own config";

  const CommandResult by_state = nkd({"node-url", "--state", fixture_.state_db(), "--ignition-url",
                                      fixture_.url() + "/", "edge-lab", kNode});
  EXPECT_EQ(by_state.exit_code, 0) << by_state.err;
  EXPECT_EQ(trimmed(by_state.out), url);
}

TEST_F(NodeTokensCli, PointerConfigFetchesTheConfigItVerifies) {
  const nlohmann::json printed = pointer();
  ASSERT_FALSE(printed.is_discarded());
  EXPECT_EQ(printed["ignition"]["version"], "3.3.0");
  const auto& replace = printed["ignition"]["config"]["replace"];
  const std::string source = replace["source"];
  ASSERT_TRUE(source.starts_with(fixture_.url())) << source;
  httplib::Client client(fixture_.url());
  client.set_read_timeout(10, 0);
  const std::string header = replace["httpHeaders"][0]["value"];
  auto served = client.Get(source.substr(fixture_.url().size()), {{"Authorization", header}});
  ASSERT_TRUE(served);
  ASSERT_EQ(served->status, 200);
  EXPECT_EQ(replace["verification"]["hash"], "sha512-" + sha512_hex(served->body));
}

TEST_F(NodeTokensCli, RotationRefusesOldTokensServesNewOnesAndKeepsEveryKey) {
  const nlohmann::json pki_before = stored_pki();
  const std::string old_url = node_url();
  const nlohmann::json old_pointer = pointer();
  const CommandResult served_before = curl(old_url);
  ASSERT_EQ(served_before.exit_code, 0) << served_before.err;

  const CommandResult rotated = nkd({"rotate-node-tokens", "--config", config(), "edge-lab"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  EXPECT_NE(rotated.out.find("epoch 1"), std::string::npos) << rotated.out;
  EXPECT_NE(rotated.out.find("refused from now on"), std::string::npos) << rotated.out;

  // At once: the daemon reads the tokens from the state on every fetch.
  EXPECT_NE(curl(old_url).exit_code, 0) << "the old token still opens the config";
  httplib::Client client(fixture_.url());
  const std::string old_header =
      old_pointer["ignition"]["config"]["replace"]["httpHeaders"][0]["value"];
  auto refused =
      client.Get(std::string("/ignition/edge-lab/") + kNode, {{"Authorization", old_header}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 404);

  const std::string new_url = node_url();
  EXPECT_NE(new_url, old_url);
  const CommandResult served_after = curl(new_url);
  ASSERT_EQ(served_after.exit_code, 0) << served_after.err << fixture_.log();
  EXPECT_EQ(served_after.out, served_before.out) << "the node's config itself is unchanged";

  const nlohmann::json new_pointer = pointer();
  const auto& old_replace = old_pointer["ignition"]["config"]["replace"];
  const auto& new_replace = new_pointer["ignition"]["config"]["replace"];
  EXPECT_NE(new_replace["httpHeaders"], old_replace["httpHeaders"]);
  EXPECT_EQ(new_replace["verification"], old_replace["verification"]);
  EXPECT_EQ(new_replace["source"], old_replace["source"]);

  // Every certificate, key and token secret is byte for byte what it was; only the epoch moved.
  const nlohmann::json pki_after = stored_pki();
  for (const auto& [field, value] : pki_before.items()) {
    if (field == "version") continue;
    EXPECT_EQ(pki_after.at(field), value) << field;
  }
  EXPECT_EQ(pki_after.at("nodeTokenEpoch"), 1);
  EXPECT_EQ(pki_after.at("version"), 3);
}

TEST_F(NodeTokensCli, GracePeriodKeepsThePreviousTokenAcceptedMeanwhile) {
  const std::string old_url = node_url();
  const CommandResult rotated =
      nkd({"rotate-node-tokens", "--config", config(), "--grace-period", "1h", "edge-lab"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  EXPECT_NE(rotated.out.find("stay accepted until"), std::string::npos) << rotated.out;
  EXPECT_EQ(curl(old_url).exit_code, 0);
  const std::string new_url = node_url();
  EXPECT_NE(new_url, old_url);
  EXPECT_EQ(curl(new_url).exit_code, 0);
}

TEST_F(NodeTokensCli, UnknownClusterNodeOrStateAreClearErrors) {
  CommandResult result = nkd({"node-url", "--config", config(), "nowhere", "nowhere-worker-0"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("no cluster named nowhere"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("edge-lab"), std::string::npos) << "names the clusters there";

  result = nkd({"node-url", "--config", config(), "edge-lab", "edge-lab-worker-9"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("no node named edge-lab-worker-9"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("edge-lab-worker-1"), std::string::npos) << "names its nodes";

  result = nkd({"node-url", "edge-lab", kNode});
  EXPECT_EQ(result.exit_code, 2) << "no state named: nothing is guessed";
  EXPECT_NE(result.err.find("--config"), std::string::npos) << result.err;

  result = nkd({"node-url", "--state", fixture_.state_db(), "edge-lab", kNode});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--ignition-url"), std::string::npos) << result.err;

  const std::string missing = (fixture_.dir() / "missing.db").string();
  result = nkd({"rotate-node-tokens", "--state", missing, "edge-lab"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("does not exist"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(missing)) << "no empty state is made";

  result = nkd({"rotate-node-tokens", "--config", config(), "nowhere"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("no cluster named nowhere"), std::string::npos) << result.err;

  result = nkd({"rotate-node-tokens", "--config", config(), "--grace-period", "48h", "edge-lab"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(stored_pki().count("nodeTokenEpoch"), 0u) << "a refused command rotates nothing";
}

}  // namespace
}  // namespace nkd
