// source/commit_verifier.h over real Git repositories: commits signed by `git commit -S` with an
// SSH key (gpg.format=ssh) or an OpenPGP key made by gpg --batch, read back through libgit2
// (LocalSignedCommits). Signed by an allowed key: trusted; unsigned, another key, or a commit
// whose content was changed under its signature: refused, with the reason. With allCommits, an
// unsigned commit in the middle refuses a signed head.
#include "source/commit_verifier.h"

#include <gtest/gtest.h>

#include "source/git_signed_commits.h"
#include "tests/support/signing_keys.h"
#include "tests/support/test_support.h"

namespace nkd::source {
namespace {

using testing::run_shell;
using testing::ScratchDir;

class CommitVerifierTest : public ::testing::Test {
 protected:
  CommitVerifierTest() {
    repo_ = scratch_.path() / "repo";
    EXPECT_EQ(run_shell("git init -q -b main '" + repo_.string() + "'").exit_code, 0);
  }
  // Commits a change with `git <flags> commit` (flags may add -c options), prefixed by `env`.
  std::string commit(const std::string& flags, bool sign, const std::string& env = "") {
    const std::string number = std::to_string(++commits_);
    const auto result = run_shell(
        "echo " + number + " > file && git add file && " + env +
            " git -c user.name=Ops -c user.email=ops@example.org -c commit.gpgsign=false " + flags +
            " commit -q " + (sign ? "-S " : "") + "-m 'change " + number +
            "' && git rev-parse HEAD",
        repo_.string());
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result.out.substr(0, 40);
  }
  // A copy of HEAD with its message changed but its signature kept, made the new HEAD.
  std::string tamper_head() {
    const auto result = run_shell(
        "id=$(git cat-file commit HEAD | sed 's/^change \\([0-9]*\\)$/change \\1 and more/' | "
        "git hash-object -t commit -w --stdin) && git update-ref HEAD $id && echo $id",
        repo_.string());
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result.out.substr(0, 40);
  }
  std::unique_ptr<LocalSignedCommits> open_repo() {
    return LocalSignedCommits::open(repo_.string()).value();
  }
  SignatureCheck check(const VerifySettings& settings, const std::string& head,
                       const std::string& last_applied = "") {
    auto verifier = CommitVerifier::open(settings);
    EXPECT_TRUE(verifier.ok()) << verifier.error().message;
    auto commits = open_repo();
    return (*verifier)->verify(*commits, head, last_applied, testing::unix_now_seconds());
  }
  VerifySettings ssh_settings(const testing::SshSigningKey& allowed, bool all_commits = false) {
    const auto file = scratch_.path() / "allowed_signers";
    testing::write_file(file, allowed.allowed_signers_line());
    return VerifySettings{.mode = VerifySettings::Mode::kSsh,
                          .allowed_signers_file = file.string(),
                          .all_commits = all_commits};
  }

  ScratchDir scratch_;
  std::filesystem::path repo_;
  int commits_ = 0;
};

TEST_F(CommitVerifierTest, SshSignedByAnAllowedKeyIsTrustedOthersAreNot) {
  const testing::SshSigningKey ops(scratch_.path(), "ops", "ed25519");
  const testing::SshSigningKey intruder(scratch_.path(), "intruder", "ecdsa");
  const VerifySettings settings = ssh_settings(ops);

  const std::string signed_head = commit(ops.git_flags(), true);
  const SignatureCheck good = check(settings, signed_head);
  EXPECT_TRUE(good.trusted()) << good.detail;

  const SignatureCheck unsigned_head = check(settings, commit("", false));
  ASSERT_FALSE(unsigned_head.trusted());
  EXPECT_EQ(*unsigned_head.rejection, Rejection::kUnsigned);

  const SignatureCheck other_key = check(settings, commit(intruder.git_flags(), true));
  ASSERT_FALSE(other_key.trusted());
  EXPECT_EQ(*other_key.rejection, Rejection::kUnknownKey);

  commit(ops.git_flags(), true);
  const SignatureCheck tampered = check(settings, tamper_head());
  ASSERT_FALSE(tampered.trusted());
  EXPECT_EQ(*tampered.rejection, Rejection::kBadSignature) << tampered.detail;
}

TEST_F(CommitVerifierTest, AllCommitsRefusesAnUnsignedCommitBehindASignedHead) {
  const testing::SshSigningKey ops(scratch_.path(), "ops", "rsa");
  const std::string applied = commit(ops.git_flags(), true);
  const std::string unsigned_middle = commit("", false);
  const std::string head = commit(ops.git_flags(), true);

  EXPECT_TRUE(check(ssh_settings(ops), head, applied).trusted());
  const SignatureCheck every = check(ssh_settings(ops, true), head, applied);
  ASSERT_FALSE(every.trusted());
  EXPECT_EQ(*every.rejection, Rejection::kUnsigned);
  EXPECT_NE(every.detail.find(unsigned_middle.substr(0, 12)), std::string::npos) << every.detail;
  // From the unsigned commit on, only signed ones follow.
  EXPECT_TRUE(check(ssh_settings(ops, true), head, unsigned_middle).trusted());
}

TEST_F(CommitVerifierTest, OpenPgpSignedByAKeyInTheKeyringIsTrustedOthersAreNot) {
  const testing::GpgSigningKey ops(scratch_.path(), "ops", "ops@example.org");
  const testing::GpgSigningKey intruder(scratch_.path(), "intruder", "intruder@example.org");
  const VerifySettings settings{.mode = VerifySettings::Mode::kOpenPgp,
                                .keyring_directory = ops.keyring().string()};

  const SignatureCheck good = check(settings, commit(ops.git_flags(), true, ops.env()));
  EXPECT_TRUE(good.trusted()) << good.detail;
  EXPECT_NE(good.detail.find(ops.fingerprint()), std::string::npos) << good.detail;

  const SignatureCheck unsigned_head = check(settings, commit("", false));
  ASSERT_FALSE(unsigned_head.trusted());
  EXPECT_EQ(*unsigned_head.rejection, Rejection::kUnsigned);

  const SignatureCheck other_key =
      check(settings, commit(intruder.git_flags(), true, intruder.env()));
  ASSERT_FALSE(other_key.trusted());
  EXPECT_EQ(*other_key.rejection, Rejection::kUnknownKey) << other_key.detail;

  commit(ops.git_flags(), true, ops.env());
  const SignatureCheck tampered = check(settings, tamper_head());
  ASSERT_FALSE(tampered.trusted());
  EXPECT_EQ(*tampered.rejection, Rejection::kBadSignature) << tampered.detail;

  // An SSH signature where OpenPGP is expected does not pass either.
  const testing::SshSigningKey ssh(scratch_.path(), "ssh", "ed25519");
  const SignatureCheck wrong_kind = check(settings, commit(ssh.git_flags(), true));
  EXPECT_FALSE(wrong_kind.trusted()) << wrong_kind.detail;
}

TEST_F(CommitVerifierTest, OpenRefusesAMissingOrBrokenTrustConfiguration) {
  auto missing = CommitVerifier::open(
      VerifySettings{.mode = VerifySettings::Mode::kSsh,
                     .allowed_signers_file = (scratch_.path() / "none").string()});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("cannot read the allowed signers file"),
            std::string::npos);
  testing::write_file(scratch_.path() / "broken",
                      "ops@example.org cert-authority ssh-ed25519 AAAA\n");
  auto broken = CommitVerifier::open(
      VerifySettings{.mode = VerifySettings::Mode::kSsh,
                     .allowed_signers_file = (scratch_.path() / "broken").string()});
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find("cert-authority"), std::string::npos);
  auto no_keyring = CommitVerifier::open(
      VerifySettings{.mode = VerifySettings::Mode::kOpenPgp,
                     .keyring_directory = (scratch_.path() / "none").string()});
  EXPECT_FALSE(no_keyring.ok());
  auto off = CommitVerifier::open(VerifySettings{});
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->get(), nullptr);
}

}  // namespace
}  // namespace nkd::source
