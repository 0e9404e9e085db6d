// The SQLite store with a state key (secret_sealer.h), and the daemon's opening of its state
// (daemon_state_opening.h), against real files. The file's raw bytes are read back as a copy of
// the disk would be: the store's own answers would not prove what it wrote.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "common/clock.h"
#include "common/crypto.h"
#include "state/daemon_state_opening.h"
#include "state/secret_sealer.h"
#include "state/sqlite_handles.h"
#include "state/sqlite_state_store.h"
#include "tests/support/state_testing.h"
#include "tests/support/test_support.h"

namespace nkd::state {
namespace {

using nkd::testing::ScratchDir;
namespace fs = std::filesystem;

constexpr std::string_view kPkiJson = R"({"ca":{"key":"-----BEGIN PRIVATE KEY-----\nSECRET"}})";
constexpr std::string_view kConfig = R"({"ignition":{"version":"3.3.0"},"token":"abcdef0123"})";

std::unique_ptr<SqliteStateStore> open_sealed_store(const fs::path& path, SecretSealer sealer) {
  auto store = SqliteStateStore::open(path.string(), real_clock(), std::move(sealer));
  EXPECT_TRUE(store.ok()) << store.error().message;
  return store.ok() ? std::move(*store) : nullptr;
}

// What a copy of the state directory holds: the file and its WAL.
std::string disk_bytes(const fs::path& db) {
  std::string bytes;
  for (const char* suffix : {"", "-wal"}) {
    if (fs::exists(db.string() + suffix)) bytes += nkd::testing::read_file(db.string() + suffix);
  }
  return bytes;
}

void fill(SqliteStateStore& store) {
  ASSERT_TRUE(store.save_pki("edge", std::string(kPkiJson)).ok());
  ASSERT_TRUE(
      store
          .save_published_configs(
              "edge", {{.node = "n0", .digest = "d0", .content = std::string(kConfig)}}, {"n0"})
          .ok());
}

std::string write_key_file(const fs::path& dir, const std::string& name, char fill_byte) {
  const fs::path path = dir / name;
  nkd::testing::write_file(path, base64_encode(test_state_key(fill_byte).reveal()) + "\n");
  EXPECT_EQ(::chmod(path.c_str(), 0600), 0);
  return path.string();
}

class SealedStateStoreTest : public ::testing::Test {
 protected:
  ScratchDir dir_;
  fs::path db_ = dir_.path() / "state" / "state.db";
};

TEST_F(SealedStateStoreTest, PkiAndConfigsAreSealedOnDiskAndReadBackWhole) {
  auto store = open_sealed_store(db_, test_sealer({test_state_key('a')}));
  fill(*store);
  auto pki = store->load_pki("edge");
  ASSERT_TRUE(pki.ok() && pki->has_value());
  EXPECT_EQ(**pki, kPkiJson);
  auto config = store->load_published_config("edge", "n0");
  ASSERT_TRUE(config.ok() && config->has_value());
  EXPECT_EQ((*config)->content, kConfig);
  EXPECT_EQ((*config)->digest, "d0");
  EXPECT_EQ(store->pragma_value("secure_delete").value(), "1");
  store.reset();

  const std::string bytes = disk_bytes(db_);
  EXPECT_EQ(bytes.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(bytes.find("abcdef0123"), std::string::npos);
  EXPECT_EQ(bytes.find("\"ignition\""), std::string::npos);
  EXPECT_NE(bytes.find("nkd-sealed:v1:"), std::string::npos);
}

TEST_F(SealedStateStoreTest, WithoutTheKeyNothingOpensAndTheErrorNamesTheKey) {
  const SecretSealer sealer = test_sealer({test_state_key('a')});
  const std::string key_id = sealer.current_key_id();
  fill(*open_sealed_store(db_, sealer));
  auto store = SqliteStateStore::open_read_only(db_.string());
  ASSERT_TRUE(store.ok());
  auto pki = (*store)->load_pki("edge");
  ASSERT_FALSE(pki.ok());
  EXPECT_EQ(pki.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(pki.error().message.find(key_id), std::string::npos) << pki.error().message;
  EXPECT_FALSE((*store)->load_published_config("edge", "n0").ok());
}

TEST_F(SealedStateStoreTest, APlaintextValuePlantedInASealedStoreIsRefused) {
  auto store = open_sealed_store(db_, test_sealer({test_state_key('a')}));
  fill(*store);
  auto db = sqlite::open_database(db_.string(), /*create=*/false);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(sqlite::exec(db->get(),
                           "UPDATE pki SET json = '{\"ca\":\"attacker\"}' WHERE cluster = 'edge'",
                           "planting a PKI")
                  .ok());
  auto planted = store->load_pki("edge");
  ASSERT_FALSE(planted.ok());
  EXPECT_EQ(planted.error().code, ErrorCode::kPermissionDenied);
}

TEST_F(SealedStateStoreTest, CompareAndSwapComparesThePlaintext) {
  auto store = open_sealed_store(db_, test_sealer({test_state_key('a')}));
  ASSERT_TRUE(store->save_pki("edge", "first").ok());
  auto stale = store->replace_pki("edge", std::string("other"), "second");
  ASSERT_TRUE(stale.ok());
  EXPECT_FALSE(*stale);
  auto swapped = store->replace_pki("edge", std::string("first"), "second");
  ASSERT_TRUE(swapped.ok()) << swapped.error().message;
  EXPECT_TRUE(*swapped);
  EXPECT_EQ(store->load_pki("edge")->value_or(""), "second");
}

TEST_F(SealedStateStoreTest, ResealingMovesEveryValueToTheCurrentKeyAndLeavesNoOldBytes) {
  fill(*open_sealed_store(db_, SecretSealer()));
  ASSERT_NE(disk_bytes(db_).find("PRIVATE KEY"), std::string::npos);  // the search can see it

  const SecretSealer first = test_sealer({test_state_key('a')});
  {
    auto store = open_sealed_store(db_, first);
    auto counts = store->sealed_value_counts();
    ASSERT_TRUE(counts.ok());
    EXPECT_EQ(*counts, (std::map<std::string, std::int64_t>{{"", 2}}));
    auto resealed = store->reseal_all();
    ASSERT_TRUE(resealed.ok()) << resealed.error().message;
    EXPECT_EQ(*resealed, 2);
    // While the store is still open (a running daemon's): the sealed pages have reached the
    // file itself, not only its WAL.
    EXPECT_EQ(disk_bytes(db_).find("PRIVATE KEY"), std::string::npos);
    EXPECT_EQ(disk_bytes(db_).find("abcdef0123"), std::string::npos);
  }

  const SecretSealer rotating = test_sealer({test_state_key('b'), test_state_key('a')});
  {
    auto store = open_sealed_store(db_, rotating);
    EXPECT_EQ(store->reseal_all().value(), 2);
    EXPECT_EQ(store->reseal_all().value(), 0);  // nothing left to do
    auto counts = store->sealed_value_counts();
    ASSERT_TRUE(counts.ok());
    EXPECT_EQ(*counts, (std::map<std::string, std::int64_t>{{rotating.current_key_id(), 2}}));
  }
  auto only_new = open_sealed_store(db_, test_sealer({test_state_key('b')}));
  EXPECT_EQ(only_new->load_pki("edge")->value_or(""), kPkiJson);
  auto only_old = open_sealed_store(db_, first);
  EXPECT_FALSE(only_old->load_pki("edge").ok());
  EXPECT_FALSE(open_sealed_store(db_, SecretSealer())->reseal_all().ok());  // no key to seal with
}

TEST_F(SealedStateStoreTest, AReaderThatHoldsTheWalIsReportedAndTheNextRunFinishes) {
  fill(*open_sealed_store(db_, SecretSealer()));
  auto store = open_sealed_store(db_, test_sealer({test_state_key('a')}));
  {
    // Another process in the middle of a read keeps the WAL's frames alive.
    auto reader = sqlite::open_database(db_.string(), /*create=*/false);
    ASSERT_TRUE(reader.ok());
    ASSERT_TRUE(sqlite::exec(reader->get(), "BEGIN", "a read").ok());
    auto rows = sqlite::Statement::prepare(reader->get(), "SELECT count(*) FROM pki");
    ASSERT_TRUE(rows.ok());
    ASSERT_TRUE(rows->step().ok());
    auto blocked = store->reseal_all();
    ASSERT_FALSE(blocked.ok());
    EXPECT_EQ(blocked.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(blocked.error().message.find("run `nkd state rotate-key` again"), std::string::npos);
  }
  EXPECT_EQ(store->reseal_all().value(), 0);  // already sealed; the WAL is emptied now
  EXPECT_EQ(disk_bytes(db_).find("PRIVATE KEY"), std::string::npos);
}

TEST_F(SealedStateStoreTest, TheDaemonSealsWhatWasStoredBeforeItHadAKey) {
  fill(*open_sealed_store(db_, SecretSealer()));
  const StateSettings settings{.sqlite_path = db_.string(),
                               .encryption = {.key_file = write_key_file(dir_.path(), "k", 'a')}};
  auto opened = open_daemon_state(settings, real_clock());
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_TRUE(opened->warnings.empty());
  ASSERT_EQ(opened->notices.size(), 1u);
  EXPECT_NE(opened->notices[0].find("sealed 2 state values"), std::string::npos)
      << opened->notices[0];
  opened->store.reset();
  EXPECT_EQ(disk_bytes(db_).find("PRIVATE KEY"), std::string::npos);
}

TEST_F(SealedStateStoreTest, TheDaemonWarnsWithoutAKeyAndRefusesAKeyItWasNotGiven) {
  auto plain = open_daemon_state(StateSettings{.sqlite_path = db_.string()}, real_clock());
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  ASSERT_EQ(plain->warnings.size(), 1u);
  EXPECT_NE(plain->warnings[0].find("stored unencrypted"), std::string::npos);
  plain->store.reset();

  fill(*open_sealed_store(db_, test_sealer({test_state_key('a')})));
  const StateSettings other{.sqlite_path = db_.string(),
                            .encryption = {.key_file = write_key_file(dir_.path(), "k", 'b')}};
  auto refused = open_daemon_state(other, real_clock());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(refused.error().message.find(SecretSealer::key_id_for(test_state_key('a'))),
            std::string::npos)
      << refused.error().message;
  auto unkeyed = open_daemon_state(StateSettings{.sqlite_path = db_.string()}, real_clock());
  EXPECT_FALSE(unkeyed.ok());
}

TEST_F(SealedStateStoreTest, TheDaemonRefusesAStateFileOrDirectoryOthersMayRead) {
  const StateSettings settings{.sqlite_path = db_.string()};
  ASSERT_TRUE(open_daemon_state(settings, real_clock()).ok());  // makes them 0700 and 0600

  ASSERT_EQ(::chmod(db_.parent_path().c_str(), 0750), 0);
  auto directory = open_daemon_state(settings, real_clock());
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(directory.error().message.find("state directory " + db_.parent_path().string() +
                                           " is mode 0750"),
            std::string::npos)
      << directory.error().message;
  EXPECT_NE(directory.error().message.find("chmod 700"), std::string::npos);
  ASSERT_EQ(::chmod(db_.parent_path().c_str(), 0700), 0);

  for (const std::string suffix : {"", "-wal"}) {
    const std::string file = db_.string() + suffix;
    if (!fs::exists(file)) nkd::testing::write_file(file, "");
    for (const mode_t shared : {0604, 0640}) {  // world-readable, group-readable
      ASSERT_EQ(::chmod(file.c_str(), shared), 0);
      auto refused = open_daemon_state(settings, real_clock());
      ASSERT_FALSE(refused.ok()) << file;
      std::ostringstream mode;
      mode << std::oct << shared;
      EXPECT_NE(refused.error().message.find("state file " + file + " is mode 0" + mode.str()),
                std::string::npos)
          << refused.error().message;
    }
    ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  }
  EXPECT_TRUE(open_daemon_state(settings, real_clock()).ok());
}

}  // namespace
}  // namespace nkd::state
