// Per-node Ignition fetch tokens (render/pki/node_tokens.cc): epoch 0 is the token nkd always
// issued, a rotation changes every node's token and nothing else, and a grace period keeps the
// previous epoch's tokens for a while.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/crypto.h"
#include "render/pki/cluster_pki.h"
#include "tests/support/render_fixtures.h"

namespace nkd::pki {
namespace {

// A real PKI (the node token key is random, as in production).
ClusterPki pki_of(const model::Cluster& cluster) {
  Result<ClusterPki> made = ensure_pki(cluster, std::nullopt, 1'700'000'000);
  if (!made) throw std::runtime_error(made.error().message);
  return std::move(made).value();
}

// A record as nkd wrote it before node tokens could be rotated: layout 2, no epoch fields.
nlohmann::json record_without_epoch(const ClusterPki& pki) {
  nlohmann::json record = to_json(pki);
  record["version"] = 2;
  for (const char* field :
       {"nodeTokenEpoch", "nodeTokensRotatedAt", "previousNodeTokensValidUntil"}) {
    record.erase(field);
  }
  return record;
}

TEST(NodeTokens, RecordWithoutEpochKeepsTheTokensItAlwaysHad) {
  const ClusterPki pki = pki_of(testing::bare_metal_cluster());
  const Result<ClusterPki> read = pki_from_json(record_without_epoch(pki));
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->node_token_epoch, 0);
  for (const char* node : {"bm-0", "bm-2"}) {
    const std::string issued_before = hmac_sha256_hex(pki.node_token_key.reveal(), node);
    EXPECT_EQ(node_fetch_token(*read, node).reveal(), issued_before) << node;
    const std::vector<Secret> accepted = accepted_node_fetch_tokens(*read, node, 1'700'000'000);
    ASSERT_EQ(accepted.size(), 1u);
    EXPECT_EQ(accepted[0].reveal(), issued_before);
  }
  // Until a rotation, the record is written as it was read, so an older nkd still reads it.
  EXPECT_EQ(to_json(*read).dump(), record_without_epoch(pki).dump());
}

TEST(NodeTokens, RotationChangesEveryNodeTokenAndNothingElse) {
  const ClusterPki pki = pki_of(testing::bare_metal_cluster());
  const ClusterPki rotated = with_rotated_node_tokens(pki, 1'700'000'000, 0);
  EXPECT_EQ(rotated.node_token_epoch, 1);
  EXPECT_EQ(rotated.node_tokens_rotated_unix, 1'700'000'000);
  for (const char* node : {"bm-0", "bm-1", "bm-2"}) {
    EXPECT_NE(node_fetch_token(rotated, node), node_fetch_token(pki, node)) << node;
    EXPECT_EQ(node_fetch_token(rotated, node).reveal(),
              hmac_sha256_hex(pki.node_token_key.reveal(), std::string(node) + "/1"));
  }
  const ClusterPki twice = with_rotated_node_tokens(rotated, 1'700'000'100, 0);
  EXPECT_NE(node_fetch_token(twice, "bm-1"), node_fetch_token(rotated, "bm-1"));
  EXPECT_NE(node_fetch_token(twice, "bm-1"), node_fetch_token(pki, "bm-1"));
  ClusterPki without_epoch = twice;
  without_epoch.node_token_epoch = 0;
  without_epoch.node_tokens_rotated_unix = 0;
  EXPECT_EQ(without_epoch, pki) << "certificates, keys and the bootstrap token stay";
}

TEST(NodeTokens, WithoutGraceOnlyTheNewTokenIsAccepted) {
  const ClusterPki pki = pki_of(testing::bare_metal_cluster());
  const ClusterPki rotated = with_rotated_node_tokens(pki, 1'000, 0);
  const std::vector<Secret> accepted = accepted_node_fetch_tokens(rotated, "bm-1", 1'000);
  ASSERT_EQ(accepted.size(), 1u);
  EXPECT_EQ(accepted[0], node_fetch_token(rotated, "bm-1"));
}

TEST(NodeTokens, GracePeriodAcceptsThePreviousTokenUntilItEnds) {
  const ClusterPki pki = pki_of(testing::bare_metal_cluster());
  const ClusterPki rotated = with_rotated_node_tokens(pki, 1'000, 600);
  EXPECT_EQ(rotated.previous_node_tokens_valid_until_unix, 1'600);
  const std::vector<Secret> during = accepted_node_fetch_tokens(rotated, "bm-1", 1'599);
  ASSERT_EQ(during.size(), 2u);
  EXPECT_EQ(during[0], node_fetch_token(rotated, "bm-1"));
  EXPECT_EQ(during[1], node_fetch_token(pki, "bm-1"));
  EXPECT_EQ(accepted_node_fetch_tokens(rotated, "bm-1", 1'600).size(), 1u);
  // A second rotation within the grace keeps only its own previous epoch.
  const ClusterPki again = with_rotated_node_tokens(rotated, 1'100, 600);
  const std::vector<Secret> after_second = accepted_node_fetch_tokens(again, "bm-1", 1'200);
  ASSERT_EQ(after_second.size(), 2u);
  EXPECT_EQ(after_second[1], node_fetch_token(rotated, "bm-1"));
}

TEST(NodeTokens, RotatedRecordIsLayoutThreeAndRoundTrips) {
  const ClusterPki rotated =
      with_rotated_node_tokens(pki_of(testing::bare_metal_cluster()), 5'000, 60);
  const nlohmann::json json = to_json(rotated);
  EXPECT_EQ(json.at("version"), 3);
  EXPECT_EQ(json.at("nodeTokenEpoch"), 1);
  EXPECT_EQ(json.at("previousNodeTokensValidUntil"), 5'060);
  const Result<ClusterPki> back = pki_from_json(nlohmann::json::parse(json.dump()));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, rotated);
  nlohmann::json damaged = json;
  damaged["nodeTokenEpoch"] = "one";
  const Result<ClusterPki> refused = pki_from_json(damaged);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("nodeTokenEpoch is not an integer"), std::string::npos)
      << refused.error().message;
  damaged.erase("nodeTokenEpoch");
  EXPECT_FALSE(pki_from_json(damaged).ok()) << "a layout 3 record names its epoch";
}

}  // namespace
}  // namespace nkd::pki
