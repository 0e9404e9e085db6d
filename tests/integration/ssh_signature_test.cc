// SSH signatures (sshsig) verified by source/ssh_signature.h against keys made here with
// ssh-keygen and signatures made with `ssh-keygen -Y sign`, the same code git calls for
// gpg.format=ssh: every supported key type verifies; a changed payload or signature, another
// namespace, a key not listed, a listed key outside its namespaces or validity do not.
#include "source/ssh_signature.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "tests/support/signing_keys.h"
#include "tests/support/test_support.h"

namespace nkd::source {
namespace {

using testing::ScratchDir;
using testing::SshSigningKey;

constexpr const char* kPayload =
    "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor Ops <ops@example.org> 1700000000 +0000\n"
    "committer Ops <ops@example.org> 1700000000 +0000\n\nDeploy\n";

class SshSignatureTest : public ::testing::Test {
 protected:
  std::vector<AllowedSigner> signers(const std::string& text) {
    auto parsed = parse_allowed_signers(text, "allowed_signers");
    EXPECT_TRUE(parsed.ok()) << parsed.error().message;
    return parsed.ok() ? *parsed : std::vector<AllowedSigner>{};
  }
  std::string sign(const SshSigningKey& key, const std::string& payload,
                   const std::string& signature_namespace = "git") {
    const auto file = scratch_.path() / "payload";
    testing::write_file(file, payload);
    return key.sign(file, signature_namespace);
  }
  std::int64_t now() const { return testing::unix_now_seconds(); }

  ScratchDir scratch_;
};

TEST_F(SshSignatureTest, VerifiesEachSupportedKeyType) {
  const std::vector<std::pair<std::string, int>> types = {
      {"ed25519", 0}, {"ecdsa", 256}, {"ecdsa", 384}, {"ecdsa", 521}, {"rsa", 3072}};
  for (const auto& [type, bits] : types) {
    const SshSigningKey key(scratch_.path(), type + std::to_string(bits), type, bits);
    const SignatureCheck check = verify_ssh_signature(sign(key, kPayload), kPayload,
                                                      signers(key.allowed_signers_line()), now());
    EXPECT_TRUE(check.trusted()) << type << " " << bits << ": " << check.detail;
    EXPECT_NE(check.detail.find("ops@example.org (SHA256:"), std::string::npos) << check.detail;
  }
}

TEST_F(SshSignatureTest, RefusesAChangedPayload) {
  const SshSigningKey key(scratch_.path(), "ops", "ed25519");
  std::string changed = kPayload;
  changed.replace(changed.find("Deploy"), 6, "Destroy");
  const SignatureCheck check = verify_ssh_signature(sign(key, kPayload), changed,
                                                    signers(key.allowed_signers_line()), now());
  ASSERT_FALSE(check.trusted());
  EXPECT_EQ(*check.rejection, Rejection::kBadSignature);
  EXPECT_NE(check.detail.find("does not match the commit"), std::string::npos) << check.detail;
}

// One bit of the signature flipped (under the armor, which stays valid base64): RSA and ECDSA
// both refuse it, so no key type accepts a damaged signature.
TEST_F(SshSignatureTest, RefusesAChangedSignature) {
  for (const std::string type : {"ed25519", "ecdsa", "rsa"}) {
    const SshSigningKey key(scratch_.path(), "flip-" + type, type);
    const std::string armored = sign(key, kPayload);
    const auto begin = armored.find('\n') + 1;
    const auto end = armored.find("-----END");
    std::string base64;
    for (const char c : armored.substr(begin, end - begin)) {
      if (c != '\n') base64 += c;
    }
    std::string blob = decode_base64(base64).value();
    blob[blob.size() - 5] = static_cast<char>(blob[blob.size() - 5] ^ 0x01);
    std::string encoded(4 * ((blob.size() + 2) / 3) + 1, '\0');
    encoded.resize(static_cast<std::size_t>(EVP_EncodeBlock(
        reinterpret_cast<unsigned char*>(encoded.data()),
        reinterpret_cast<const unsigned char*>(blob.data()), static_cast<int>(blob.size()))));
    const std::string tampered =
        "-----BEGIN SSH SIGNATURE-----\n" + encoded + "\n-----END SSH SIGNATURE-----\n";
    const SignatureCheck check =
        verify_ssh_signature(tampered, kPayload, signers(key.allowed_signers_line()), now());
    ASSERT_FALSE(check.trusted()) << type;
    EXPECT_EQ(*check.rejection, Rejection::kBadSignature) << type << ": " << check.detail;
  }
}

TEST_F(SshSignatureTest, RefusesASignatureForAnotherNamespace) {
  const SshSigningKey key(scratch_.path(), "ops", "ed25519");
  const SignatureCheck check = verify_ssh_signature(sign(key, kPayload, "file"), kPayload,
                                                    signers(key.allowed_signers_line()), now());
  ASSERT_FALSE(check.trusted());
  EXPECT_EQ(*check.rejection, Rejection::kBadSignature);
  EXPECT_NE(check.detail.find("namespace \"file\""), std::string::npos) << check.detail;
}

TEST_F(SshSignatureTest, RefusesAKeyTheFileDoesNotList) {
  const SshSigningKey allowed(scratch_.path(), "ops", "ed25519");
  const SshSigningKey other(scratch_.path(), "intruder", "ed25519");
  const SignatureCheck check = verify_ssh_signature(sign(other, kPayload), kPayload,
                                                    signers(allowed.allowed_signers_line()), now());
  ASSERT_FALSE(check.trusted());
  EXPECT_EQ(*check.rejection, Rejection::kUnknownKey);
  EXPECT_NE(check.detail.find("does not list"), std::string::npos) << check.detail;
}

TEST_F(SshSignatureTest, RefusesAListedKeyOutsideItsNamespacesOrValidity) {
  const SshSigningKey key(scratch_.path(), "ops", "ed25519");
  const std::string signature = sign(key, kPayload);
  const SignatureCheck expired = verify_ssh_signature(
      signature, kPayload, signers(key.allowed_signers_line("valid-before=20200101")), now());
  ASSERT_FALSE(expired.trusted());
  EXPECT_EQ(*expired.rejection, Rejection::kKeyNotAllowed);
  EXPECT_NE(expired.detail.find("has expired"), std::string::npos) << expired.detail;
  const SignatureCheck other_namespace = verify_ssh_signature(
      signature, kPayload, signers(key.allowed_signers_line("namespaces=\"file\"")), now());
  ASSERT_FALSE(other_namespace.trusted());
  EXPECT_EQ(*other_namespace.rejection, Rejection::kKeyNotAllowed);
  // The same key on a second line that allows git: that line decides.
  const SignatureCheck second_line = verify_ssh_signature(
      signature, kPayload,
      signers(key.allowed_signers_line("valid-before=20200101") +
              key.allowed_signers_line("namespaces=\"git\",valid-after=20200101")),
      now());
  EXPECT_TRUE(second_line.trusted()) << second_line.detail;
}

TEST_F(SshSignatureTest, RefusesWhatIsNotAnSshSignature) {
  const SshSigningKey key(scratch_.path(), "ops", "ed25519");
  const SignatureCheck check = verify_ssh_signature(
      "-----BEGIN PGP SIGNATURE-----\n\nwnUEABYKAB0WIQQ=\n-----END PGP SIGNATURE-----\n", kPayload,
      signers(key.allowed_signers_line()), now());
  ASSERT_FALSE(check.trusted());
  EXPECT_EQ(*check.rejection, Rejection::kMalformed);
}

}  // namespace
}  // namespace nkd::source
