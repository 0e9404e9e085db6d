// git's allowed signers format (ssh-keygen(1) ALLOWED SIGNERS) as source/allowed_signers.h reads
// it: principals, options, the key; and the lines it refuses.
#include "source/allowed_signers.h"

#include <gtest/gtest.h>

namespace nkd::source {
namespace {

constexpr const char* kKey =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPKuqxDuy4i1WpvFqsda+HgypcJkHizuTkDEwFOdJOf9";

Result<std::vector<AllowedSigner>> parse(const std::string& text) {
  return parse_allowed_signers(text, "allowed_signers");
}

TEST(AllowedSigners, ReadsPrincipalsAndKeyAndSkipsCommentsAndBlankLines) {
  const auto signers =
      parse(std::string("# team keys\n\n  ops@example.org,\"dev ops\" ") + kKey + " laptop\n");
  ASSERT_TRUE(signers.ok()) << signers.error().message;
  ASSERT_EQ(signers->size(), 1u);
  const AllowedSigner& signer = signers->front();
  EXPECT_EQ(signer.principals, (std::vector<std::string>{"ops@example.org", "dev ops"}));
  EXPECT_EQ(signer.key_type, "ssh-ed25519");
  EXPECT_EQ(signer.key_blob.size(), 51u);  // string "ssh-ed25519" + string of 32 bytes
  EXPECT_EQ(signer.line, 3);
  EXPECT_TRUE(signer.namespaces.empty());
  EXPECT_FALSE(signer.refusal("git", 0).has_value());
}

TEST(AllowedSigners, ReadsNamespacesAndValidityOptions) {
  const auto signers = parse(std::string("* namespaces=\"git,file\",valid-after=20260101,"
                                         "valid-before=\"20270101120000Z\" ") +
                             kKey + "\n");
  ASSERT_TRUE(signers.ok()) << signers.error().message;
  const AllowedSigner& signer = signers->front();
  EXPECT_EQ(signer.namespaces, (std::vector<std::string>{"git", "file"}));
  ASSERT_TRUE(signer.valid_before_unix.has_value());
  EXPECT_EQ(*signer.valid_before_unix, 1798804800);  // 2027-01-01T12:00:00Z
  const std::int64_t mid_2026 = 1782864000;
  EXPECT_FALSE(signer.refusal("git", mid_2026).has_value());
  EXPECT_NE(signer.refusal("email", mid_2026).value_or("").find("namespace \"email\""),
            std::string::npos);
  EXPECT_NE(signer.refusal("git", *signer.valid_before_unix).value_or("").find("expired"),
            std::string::npos);
  EXPECT_NE(signer.refusal("git", 1700000000).value_or("").find("not valid yet"),
            std::string::npos);
}

TEST(AllowedSigners, RefusesCertificateAuthoritiesWithAClearError) {
  const auto signers = parse(std::string("*.example.org cert-authority ") + kKey + "\n");
  ASSERT_FALSE(signers.ok());
  EXPECT_EQ(signers.error().code, ErrorCode::kParse);
  EXPECT_NE(
      signers.error().message.find("allowed_signers:1: cert-authority keys are not supported"),
      std::string::npos)
      << signers.error().message;
}

TEST(AllowedSigners, RefusesSecurityKeysUnknownOptionsAndBrokenKeys) {
  const auto security_key =
      parse("a@b sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIA==\n");
  ASSERT_FALSE(security_key.ok());
  EXPECT_NE(security_key.error().message.find("is not supported"), std::string::npos);
  const auto option = parse(std::string("a@b no-touch-required ") + kKey + "\n");
  ASSERT_FALSE(option.ok());
  EXPECT_NE(option.error().message.find("unknown option \"no-touch-required\""), std::string::npos);
  const auto broken = parse("a@b ssh-ed25519 not*base64\n");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find("not valid base64"), std::string::npos);
  // The base64 of an RSA key under an ed25519 type: the blob's own type must agree.
  const auto mismatched = parse("a@b ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7\n");
  EXPECT_FALSE(mismatched.ok());
  const auto bad_time = parse(std::string("a@b valid-before=tomorrow ") + kKey + "\n");
  ASSERT_FALSE(bad_time.ok());
  EXPECT_NE(bad_time.error().message.find("valid-before=\"tomorrow\""), std::string::npos);
}

TEST(AllowedSigners, AFileWithoutKeysIsAnError) {
  const auto signers = parse("# nobody yet\n");
  ASSERT_FALSE(signers.ok());
  EXPECT_NE(signers.error().message.find("lists no keys"), std::string::npos);
}

TEST(AllowedSigners, Base64DecodingDropsPaddingAndRefusesGarbage) {
  EXPECT_EQ(decode_base64("YWJj"), "abc");
  EXPECT_EQ(decode_base64("YWI="), "ab");
  EXPECT_EQ(decode_base64("YQ=="), "a");
  EXPECT_FALSE(decode_base64("YQ=").has_value());
  EXPECT_FALSE(decode_base64("Y!==").has_value());
  EXPECT_FALSE(decode_base64("").has_value());
}

}  // namespace
}  // namespace nkd::source
