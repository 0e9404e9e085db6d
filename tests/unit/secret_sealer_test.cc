// SecretSealer: AES-256-GCM sealing of the state's secret values, with keys from real files.
#include "state/secret_sealer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "common/crypto.h"
#include "tests/support/state_testing.h"
#include "tests/support/test_support.h"

namespace nkd::state {
namespace {

using nkd::testing::ScratchDir;

constexpr std::string_view kPem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n";

std::string sealed(const SecretSealer& sealer, std::string_view text, std::string_view place) {
  auto value = sealer.seal(text, place);
  EXPECT_TRUE(value.ok()) << value.error().message;
  return value.ok() ? *value : "";
}

std::string key_file(const ScratchDir& dir, const std::string& name, const std::string& content,
                     mode_t mode) {
  const std::string path = (dir.path() / name).string();
  nkd::testing::write_file(path, content);
  EXPECT_EQ(::chmod(path.c_str(), mode), 0);
  return path;
}

TEST(SecretSealerTest, SealsSoThatNothingOfThePlaintextShowsAndOpensItAgain) {
  const SecretSealer sealer = test_sealer({test_state_key('a')});
  const std::string value = sealed(sealer, kPem, "pki/edge");
  EXPECT_TRUE(value.starts_with("nkd-sealed:v1:" + sealer.current_key_id() + ":")) << value;
  EXPECT_EQ(value.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(value.find(base64_encode(kPem).substr(0, 20)), std::string::npos);
  auto opened = sealer.unseal(value, "pki/edge");
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(*opened, kPem);
}

TEST(SecretSealerTest, EveryValueGetsAFreshNonce) {
  const SecretSealer sealer = test_sealer({test_state_key('a')});
  EXPECT_NE(sealed(sealer, kPem, "pki/edge"), sealed(sealer, kPem, "pki/edge"));
}

TEST(SecretSealerTest, AValueMovedToAnotherPlaceOrAlteredDoesNotOpen) {
  const SecretSealer sealer = test_sealer({test_state_key('a')});
  const std::string value = sealed(sealer, kPem, "pki/edge");
  auto moved = sealer.unseal(value, "pki/other");
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(moved.error().message.find("altered or moved"), std::string::npos);

  std::string altered = value;
  altered[altered.size() - 6] = altered[altered.size() - 6] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(sealer.unseal(altered, "pki/edge").ok());
  EXPECT_FALSE(sealer.unseal(value.substr(0, value.size() - 8), "pki/edge").ok());
}

TEST(SecretSealerTest, AValueSealedWithAKeyNotGivenNamesThatKey) {
  const SecretSealer first = test_sealer({test_state_key('a')});
  const SecretSealer second = test_sealer({test_state_key('b')});
  auto opened = second.unseal(sealed(first, kPem, "pki/edge"), "pki/edge");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(opened.error().message.find(first.current_key_id()), std::string::npos)
      << opened.error().message;
  EXPECT_NE(opened.error().message.find("previousKeyFiles"), std::string::npos);
  // Without any key the value cannot be read either.
  EXPECT_FALSE(SecretSealer().unseal(sealed(first, kPem, "pki/edge"), "pki/edge").ok());
}

TEST(SecretSealerTest, APreviousKeyOpensAndOnlyTheCurrentOneSeals) {
  const SecretSealer old_sealer = test_sealer({test_state_key('a')});
  const SecretSealer rotating = test_sealer({test_state_key('b'), test_state_key('a')});
  const std::string old_value = sealed(old_sealer, kPem, "config/edge/n0");
  auto opened = rotating.unseal(old_value, "config/edge/n0");
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(*opened, kPem);
  EXPECT_TRUE(rotating.needs_resealing(old_value));
  const std::string new_value = sealed(rotating, kPem, "config/edge/n0");
  EXPECT_EQ(SecretSealer::key_id_of(new_value), rotating.current_key_id());
  EXPECT_FALSE(rotating.needs_resealing(new_value));
  EXPECT_TRUE(rotating.needs_resealing(kPem));  // plaintext, while a key is given
  EXPECT_FALSE(old_sealer.unseal(new_value, "config/edge/n0").ok());
}

TEST(SecretSealerTest, WithoutAKeyValuesStayAsGivenAndWithOnePlaintextIsReadOnlyToBeSealed) {
  const SecretSealer none;
  EXPECT_FALSE(none.seals());
  EXPECT_EQ(sealed(none, kPem, "pki/edge"), kPem);
  EXPECT_FALSE(none.needs_resealing(kPem));
  EXPECT_EQ(none.unseal(kPem, "pki/edge").value(), kPem);

  // With a key, a plaintext value is someone's plant until proven otherwise.
  const SecretSealer keyed = test_sealer({test_state_key('a')});
  auto planted = keyed.unseal(kPem, "pki/edge");
  ASSERT_FALSE(planted.ok());
  EXPECT_EQ(planted.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(planted.error().message.find("not sealed"), std::string::npos);
  EXPECT_EQ(keyed.unseal_for_resealing(kPem, "pki/edge").value(), kPem);

  // A damaged header is damage, never plaintext.
  auto damaged = keyed.unseal_for_resealing("nkd-sealed:v1:kabc", "pki/edge");
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.error().code, ErrorCode::kParse);
}

TEST(SecretSealerTest, KeysMustBe32BytesAndDistinct) {
  EXPECT_FALSE(SecretSealer::from_keys({Secret("short")}).ok());
  EXPECT_FALSE(SecretSealer::from_keys({test_state_key('a'), test_state_key('a')}).ok());
  EXPECT_NE(SecretSealer::key_id_for(test_state_key('a')),
            SecretSealer::key_id_for(test_state_key('b')));
  // The id reveals nothing of the key: it is not a prefix of its hex or base64.
  EXPECT_EQ(to_hex(test_state_key('a').reveal())
                .find(SecretSealer::key_id_for(test_state_key('a')).substr(1)),
            std::string::npos);
}

TEST(SecretSealerTest, ReadsKeyFilesMadeByOpensslAndRefusesSharedOrMalformedOnes) {
  const ScratchDir dir;
  const auto made =
      nkd::testing::run_shell("umask 077; openssl rand -base64 32 > made.key", dir.str());
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string good = (dir.path() / "made.key").string();
  const std::string old_key =
      key_file(dir, "old.key", base64_encode(test_state_key('o').reveal()) + "\n", 0400);
  // 0640 is how the packaged /etc/nkd keeps secrets (root:nkd).
  ASSERT_EQ(::chmod(good.c_str(), 0640), 0);
  auto sealer = SecretSealer::from_settings({.key_file = good, .previous_key_files = {old_key}});
  ASSERT_TRUE(sealer.ok()) << sealer.error().message;
  EXPECT_EQ(sealer->key_ids().size(), 2u);
  EXPECT_EQ(sealer->key_ids()[1], SecretSealer::key_id_for(test_state_key('o')));

  const std::string shared =
      key_file(dir, "shared.key", base64_encode(test_state_key('s').reveal()), 0644);
  auto refused = SecretSealer::from_settings({.key_file = shared});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(refused.error().message.find("chmod 600 " + shared), std::string::npos)
      << refused.error().message;

  const std::string short_key = key_file(dir, "short.key", base64_encode("sixteen bytes!!!"), 0600);
  auto malformed = SecretSealer::from_settings({.key_file = short_key});
  ASSERT_FALSE(malformed.ok());
  EXPECT_NE(malformed.error().message.find("openssl rand -base64 32"), std::string::npos);

  EXPECT_FALSE(SecretSealer::from_settings({.key_file = (dir.path() / "none").string()}).ok());
  EXPECT_FALSE(SecretSealer::from_settings({.previous_key_files = {good}}).ok());
  auto no_key = SecretSealer::from_settings({});
  ASSERT_TRUE(no_key.ok());
  EXPECT_FALSE(no_key->seals());
}

}  // namespace
}  // namespace nkd::state
