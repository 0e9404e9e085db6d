// Secrets at rest against a running `nkd syncd` (SyncdFixture: real binary, real git daemon, bare
// metal, loopback only) with key files made by `openssl rand`: a copy of the state directory
// taken without the key holds none of the clusters' private keys or tokens, `nkd state
// rotate-key` moves every value to a new key, and the daemon refuses a state others may read.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/crypto.h"
#include "state/secret_sealer.h"
#include "state/sqlite_state_store.h"
#include "tests/support/syncd_fixture.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;
using testing::CommandResult;
using testing::SyncdFixture;
namespace fs = std::filesystem;

constexpr const char* kNode = "edge-lab-worker-0";
// Any PEM private key ("-----BEGIN PRIVATE KEY-----", "... EC PRIVATE KEY-----"); certificates
// (tls/ca.crt) are public.
constexpr std::string_view kPemKeyHeader = "PRIVATE KEY-----";

std::string make_key_file(const fs::path& dir, const std::string& name) {
  const CommandResult made =
      testing::run_shell("umask 077 && openssl rand -base64 32 > " + name, dir.string());
  if (made.exit_code != 0) throw std::runtime_error("openssl rand failed: " + made.err);
  return (dir / name).string();
}

CommandResult nkd(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), testing::nkd_binary());
  return testing::run_command(arguments, "", "", 30s);
}

// Every PEM block in the PKI's JSON, whatever field holds it.
void collect_pems(const nlohmann::json& value, std::vector<std::string>& pems) {
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    if (text.find("PRIVATE KEY-----") != std::string::npos) pems.push_back(text);
  } else if (value.is_structured()) {
    for (const auto& item : value) collect_pems(item, pems);
  }
}

// The raw key bytes of a PEM private key (its DER) and the first line of its base64 body.
struct KeyMaterial {
  std::string der;
  std::string first_body_line;
};

KeyMaterial key_material(const std::string& pem) {
  std::string body;
  std::string first_line;
  std::istringstream lines(pem);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.starts_with("-----")) continue;
    if (first_line.empty()) first_line = line;
    body += line;
  }
  return KeyMaterial{.der = base64_decode(body), .first_body_line = first_line};
}

class StateEncryption : public ::testing::Test {
 protected:
  void SetUp() override { key_ = make_key_file(keys_.path(), "state.key"); }

  // Over HTTPS, so the listener's own CA and serving keys are in the state directory too.
  void start_and_apply(const std::vector<std::string>& key_files) {
    fixture_.set_state_key_files(key_files);
    fixture_.use_https();
    fixture_.start_daemon("1s");
    ASSERT_TRUE(fixture_.wait_applied("edge-lab", fixture_.head(), 30s)) << fixture_.log();
    ASSERT_TRUE(fixture_.wait_applied("lab-two", fixture_.head(), 30s)) << fixture_.log();
  }

  nlohmann::json stored_pki(const std::string& cluster, const std::vector<std::string>& keys) {
    auto sealer =
        state::SecretSealer::from_settings(state::EncryptionSettings::from_key_files(keys));
    if (!sealer) throw std::runtime_error(sealer.error().message);
    auto store = state::SqliteStateStore::open_read_only(fixture_.state_db(), real_clock(),
                                                         std::move(*sealer));
    if (!store) throw std::runtime_error(store.error().message);
    auto saved = (*store)->load_pki(cluster);
    if (!saved || !saved->has_value()) throw std::runtime_error("no PKI for " + cluster);
    return nlohmann::json::parse(**saved);
  }

  // The state directory copied as a stolen disk would be, without any key file: its bytes.
  std::string copied_state_bytes() {
    const fs::path copy = keys_.path() / "copied-state";
    fs::copy(fs::path(fixture_.state_db()).parent_path(), copy, fs::copy_options::recursive);
    std::string bytes;
    for (const auto& entry : fs::recursive_directory_iterator(copy)) {
      if (entry.is_regular_file()) bytes += testing::read_file(entry.path());
    }
    return bytes;
  }

  // Which of the clusters' secrets appear in `bytes`, by name; empty when none does.
  std::vector<std::string> secrets_found(const std::string& bytes,
                                         const std::vector<std::string>& keys) {
    std::vector<std::string> found;
    if (bytes.find(kPemKeyHeader) != std::string::npos) found.push_back("a PEM private key");
    // A published config in the clear (its files, keys among them, are data URLs in it).
    if (bytes.find(R"("ignition":{)") != std::string::npos) found.push_back("an Ignition config");
    for (const std::string cluster : {"edge-lab", "lab-two"}) {
      const nlohmann::json pki = stored_pki(cluster, keys);
      std::vector<std::string> pems;
      collect_pems(pki, pems);
      EXPECT_GE(pems.size(), 3u) << "the PKI of " << cluster << " should hold private keys";
      for (std::size_t i = 0; i < pems.size(); ++i) {
        const KeyMaterial material = key_material(pems[i]);
        EXPECT_GE(material.der.size(), 32u);
        const std::string which = cluster + "'s private key #" + std::to_string(i);
        if (bytes.find(material.der) != std::string::npos) found.push_back(which + " (DER)");
        if (bytes.find(material.first_body_line) != std::string::npos) {
          found.push_back(which + " (base64)");
        }
      }
      // The tokens: kubeadm's bootstrap secret, and the key every node's fetch token comes from.
      for (const char* token : {"bootstrapTokenSecret", "nodeTokenKey"}) {
        const std::string value = pki.value(token, "");
        EXPECT_GE(value.size(), 16u) << token;
        if (bytes.find(value) != std::string::npos) found.push_back(cluster + "'s " + token);
      }
    }
    return found;
  }

  testing::ScratchDir keys_;
  std::string key_;
  SyncdFixture fixture_;
};

TEST_F(StateEncryption, ACopyOfTheStateWithoutItsKeyHoldsNoKeyMaterial) {
  start_and_apply({key_});
  EXPECT_EQ(fixture_.log().find("stored unencrypted"), std::string::npos);
  // Copied while the daemon runs, its WAL included.
  const std::string copied = copied_state_bytes();
  EXPECT_EQ(fixture_.stop_daemon(SIGTERM), 0) << fixture_.log();

  EXPECT_EQ(secrets_found(copied, {key_}), std::vector<std::string>{});
  for (const char* file : {"ca.pem", "server.pem"}) {
    const fs::path path = fs::path(fixture_.state_db()).parent_path() / "tls" / file;
    EXPECT_TRUE(testing::read_file(path).starts_with("nkd-sealed:v1:")) << path;
  }

  // Without the key, the copy opens nothing, and the error names the key it needs.
  const std::string copy = (keys_.path() / "copied-state" / "state.db").string();
  const std::string key_id = state::SecretSealer::key_id_for(
      Secret(base64_decode(testing::read_file(key_).substr(0, 44))));
  const CommandResult refused =
      nkd({"node-url", "--state", copy, "--ignition-url", "http://127.0.0.1:9", "edge-lab", kNode});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("sealed with key " + key_id), std::string::npos) << refused.err;
  const CommandResult opened = nkd({"node-url", "--state", copy, "--state-key-file", key_,
                                    "--ignition-url", "http://127.0.0.1:9", "edge-lab", kNode});
  EXPECT_EQ(opened.exit_code, 0) << opened.err;
}

// The control for the test above: without a key the same search finds the keys, so its empty
// answer there is proof, and the daemon says so once.
TEST_F(StateEncryption, WithoutAKeyTheDaemonWarnsOnceAndTheKeysLieInTheCopy) {
  start_and_apply({});
  EXPECT_EQ(fixture_.stop_daemon(SIGTERM), 0) << fixture_.log();
  const std::string log = fixture_.log();
  const auto first = log.find("stored unencrypted");
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find("stored unencrypted", first + 1), std::string::npos) << log;

  const auto found = secrets_found(copied_state_bytes(), {});
  EXPECT_NE(std::find(found.begin(), found.end(), "a PEM private key"), found.end());
  EXPECT_NE(std::find(found.begin(), found.end(), "an Ignition config"), found.end());
  EXPECT_NE(std::find(found.begin(), found.end(), "edge-lab's nodeTokenKey"), found.end());
  EXPECT_NE(std::find(found.begin(), found.end(), "edge-lab's private key #0 (base64)"),
            found.end());
}

TEST_F(StateEncryption, RotateKeySealsEverythingWithTheNewKeySoTheOldOneCanGo) {
  start_and_apply({key_});
  EXPECT_EQ(fixture_.stop_daemon(SIGTERM), 0) << fixture_.log();
  const std::string ca_before = testing::read_file(fixture_.ca_file());
  const std::string new_key = make_key_file(keys_.path(), "state.key.new");
  fixture_.set_state_key_files({new_key, key_});
  fixture_.start_daemon_config_only("1s");

  const std::string config = (fixture_.dir() / "syncd.yaml").string();
  const CommandResult rotated = nkd({"state", "rotate-key", "--config", config});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err << rotated.out;
  const std::string new_id = state::SecretSealer::key_id_for(
      Secret(base64_decode(testing::read_file(new_key).substr(0, 44))));
  EXPECT_NE(rotated.out.find("sealed with key " + new_id), std::string::npos) << rotated.out;
  EXPECT_NE(rotated.out.find("previousKeyFiles"), std::string::npos) << rotated.out;

  // The old key alone opens nothing now; the new one alone runs the daemon.
  const CommandResult old_only =
      nkd({"node-url", "--state", fixture_.state_db(), "--state-key-file", key_, "--ignition-url",
           "http://127.0.0.1:9", "edge-lab", kNode});
  EXPECT_EQ(old_only.exit_code, 1) << old_only.out;
  EXPECT_EQ(secrets_found(copied_state_bytes(), {new_key}), std::vector<std::string>{});
  start_and_apply({new_key});
  EXPECT_FALSE(fixture_.node_token("edge-lab", kNode).empty());
  // The listener's CA was opened with the new key, not made anew (nodes pin it).
  EXPECT_EQ(testing::read_file(fixture_.ca_file()), ca_before);
}

TEST_F(StateEncryption, TheDaemonRefusesAStateDirectoryOthersMayRead) {
  start_and_apply({key_});
  EXPECT_EQ(fixture_.stop_daemon(SIGTERM), 0) << fixture_.log();
  const fs::path directory = fs::path(fixture_.state_db()).parent_path();
  ASSERT_EQ(::chmod(directory.c_str(), 0750), 0);
  const CommandResult refused =
      nkd({"syncd", "--config", (fixture_.dir() / "syncd.yaml").string()});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE((refused.out + refused.err).find("chmod 700 " + directory.string()), std::string::npos)
      << refused.out << refused.err;
}

}  // namespace
}  // namespace nkd
