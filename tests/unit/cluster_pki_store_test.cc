// The PKI in the state store (state/cluster_pki_store.h): writes are compare-and-swap, so the
// daemon saving a PKI it read before `nkd rotate-node-tokens` wrote cannot undo the rotation.
#include "state/cluster_pki_store.h"

#include <gtest/gtest.h>

#include "state/sqlite_state_store.h"
#include "tests/support/render_fixtures.h"
#include "tests/support/test_support.h"

namespace nkd::state {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;

class ClusterPkiStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = state::SqliteStateStore::open((scratch_.path() / "state.db").string());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
  }

  testing::ScratchDir scratch_;
  std::unique_ptr<state::SqliteStateStore> store_;
  model::Cluster cluster_ = testing::bare_metal_cluster();
};

TEST_F(ClusterPkiStoreTest, RotationKeepsEverythingButTheEpochAndSurvivesLoadOrCreate) {
  const auto created = load_or_create_pki(*store_, cluster_, kNow);
  ASSERT_TRUE(created.ok()) << created.error().message;
  const auto rotated = rotate_stored_node_tokens(*store_, cluster_.name, kNow + 10, 0);
  ASSERT_TRUE(rotated.ok()) << rotated.error().message;
  EXPECT_EQ(rotated->node_token_epoch, 1);
  EXPECT_EQ(rotated->ca, created->ca);
  const auto again = load_or_create_pki(*store_, cluster_, kNow + 20);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, *rotated);
}

TEST_F(ClusterPkiStoreTest, ChangeOfARecordThatMovedMeanwhileRunsAgainOnTheNewOne) {
  ASSERT_TRUE(load_or_create_pki(*store_, cluster_, kNow).ok());
  int runs = 0;
  // The first run reads epoch 0; a rotation lands before it saves (as from another process).
  const auto updated = update_stored_pki(
      *store_, cluster_.name,
      [&](const std::optional<pki::ClusterPki>& stored) -> Result<pki::ClusterPki> {
        if (++runs == 1) {
          EXPECT_TRUE(rotate_stored_node_tokens(*store_, cluster_.name, kNow, 0).ok());
        }
        pki::ClusterPki changed = *stored;
        changed.bootstrap_token_issued_unix = kNow + 1;
        return changed;
      });
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ(runs, 2);
  const auto stored = load_stored_pki(*store_, cluster_.name);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->node_token_epoch, 1) << "the rotation was not undone";
  EXPECT_EQ((*stored)->bootstrap_token_issued_unix, kNow + 1);
}

TEST_F(ClusterPkiStoreTest, RotatingAClusterWithoutPkiIsNotFound) {
  const auto rotated = rotate_stored_node_tokens(*store_, "nowhere", kNow, 0);
  ASSERT_FALSE(rotated.ok());
  EXPECT_EQ(rotated.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(store_->load_pki("nowhere").value().has_value());
}

}  // namespace
}  // namespace nkd::state
