// `nkd validate` as users run it: the real binary on examples-repo, on a Git repository at
// chosen revisions, and with bad flags.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/support/signing_keys.h"
#include "tests/support/test_support.h"

namespace nkd {
namespace {

using testing::make_example_git_repo;
using testing::nkd_binary;
using testing::run_command;
using testing::run_shell;
using testing::ScratchDir;
using testing::source_dir;

TEST(ValidateCli, ExamplesRepoIsValid) {
  const auto result = run_command({nkd_binary(), "validate", "--repo", source_dir() + "/examples-repo"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("2 valid cluster(s), 0 error(s)"), std::string::npos) << result.err;
}

TEST(ValidateCli, ReadsTheCommitNotTheWorkTree) {
  ScratchDir scratch;
  const auto repo = scratch.path() / "repo";
  make_example_git_repo(repo);
  const auto first = run_shell("git rev-parse HEAD", repo.string()).out;
  // Break a definition in a second commit, then leave a valid file uncommitted on disk.
  ASSERT_EQ(run_shell("sed -i '0,/replicas: 3/s//replcas: 3/' clusters/prod-east/cluster.yaml && "
                      "git -c user.name=a -c user.email=a@b commit -qam broken",
                      repo.string()).exit_code, 0);
  const auto at_head = run_command({nkd_binary(), "validate", "--repo", repo.string()});
  EXPECT_EQ(at_head.exit_code, 1);
  EXPECT_NE(at_head.err.find("clusters/prod-east/cluster.yaml:41:7: error: unknown key 'replcas' "
                             "in spec.pools[0]; did you mean 'replicas'?"),
            std::string::npos)
      << at_head.err;
  const auto at_first = run_command(
      {nkd_binary(), "validate", "--repo", repo.string(), "--rev", first.substr(0, 40)});
  EXPECT_EQ(at_first.exit_code, 0) << at_first.err;
  ASSERT_EQ(run_shell("git checkout -q " + first.substr(0, 40) + " -- clusters", repo.string()).exit_code, 0);
  const auto worktree = run_command({nkd_binary(), "validate", "--repo", repo.string(), "--worktree"});
  EXPECT_EQ(worktree.exit_code, 0) << worktree.err;
}

TEST(ValidateCli, JsonFormatListsDiagnostics) {
  ScratchDir scratch;
  const auto repo = scratch.path() / "repo";
  make_example_git_repo(repo);
  ASSERT_EQ(run_shell("sed -i 's/networkPlugin: calico/networkPlugin: weave/' "
                      "clusters/prod-east/cluster.yaml && git -c user.name=a -c user.email=a@b "
                      "commit -qam weave", repo.string()).exit_code, 0);
  const auto result = run_command({nkd_binary(), "validate", "--repo", repo.string(), "--format", "json"});
  EXPECT_EQ(result.exit_code, 1);
  const auto diagnostics = nlohmann::json::parse(result.out);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0]["path"], "clusters/prod-east/cluster.yaml");
  EXPECT_EQ(diagnostics[0]["severity"], "error");
  EXPECT_GT(diagnostics[0]["line"].get<int>(), 0);
}

TEST(ValidateCli, RevisionOnPlainDirectoryIsUsageError) {
  const auto result = run_command(
      {nkd_binary(), "validate", "--repo", source_dir() + "/examples-repo", "--rev", "HEAD"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("is not the root of a Git repository"), std::string::npos) << result.err;
}

TEST(ValidateCli, UnknownFlagAndUnknownRevisionAreUsageErrors) {
  EXPECT_EQ(run_command({nkd_binary(), "validate", "--bogus"}).exit_code, 2);
  ScratchDir scratch;
  make_example_git_repo(scratch.path() / "repo");
  const auto result = run_command(
      {nkd_binary(), "validate", "--repo", (scratch.path() / "repo").string(), "--rev", "nope"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("nope"), std::string::npos);
}

TEST(ValidateCli, HelpExplainsEveryFlag) {
  const auto top = run_command({nkd_binary(), "--help"});
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.out.find("validate"), std::string::npos);
  const auto help = run_command({nkd_binary(), "validate", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* flag : {"--repo", "--rev", "--worktree", "--format"}) {
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
  }
  EXPECT_NE(help.out.find("Exit 0 when valid"), std::string::npos);
}

}  // namespace
}  // namespace nkd

namespace nkd {
namespace {

// --base: a Kubernetes version two minors past the one at the base revision is an error at the
// version's line; one minor up is fine; a plain directory has no revisions (usage error).
TEST(ValidateCli, BaseRefusesAKubernetesMinorSkip) {
  testing::ScratchDir scratch;
  const auto repo = scratch.path() / "repo";
  testing::make_example_git_repo(repo);
  const std::string base = testing::run_shell("git rev-parse HEAD", repo.string()).out.substr(0, 40);
  ASSERT_EQ(testing::run_shell("sed -i 's/version: v1.29.1/version: v1.31.0/' "
                               "clusters/prod-east/cluster.yaml && git -c user.name=a "
                               "-c user.email=a@b commit -qam skip", repo.string()).exit_code, 0);
  const std::string nkd = testing::nkd_binary();
  EXPECT_EQ(testing::run_command({nkd, "validate", "--repo", repo.string()}).exit_code, 0)
      << "without --base the head alone is valid";
  const auto skip = testing::run_command({nkd, "validate", "--repo", repo.string(), "--base", base});
  EXPECT_EQ(skip.exit_code, 1);
  EXPECT_NE(skip.err.find("clusters/prod-east/cluster.yaml:20:14: error: spec.kubernetes.version "
                          "v1.31.0 skips v1.30 from the base v1.29.1"),
            std::string::npos)
      << skip.err;
  ASSERT_EQ(testing::run_shell("sed -i 's/version: v1.31.0/version: v1.30.0/' "
                               "clusters/prod-east/cluster.yaml", repo.string()).exit_code, 0);
  const auto one_minor = testing::run_command(
      {nkd, "validate", "--repo", repo.string(), "--worktree", "--base", base});
  EXPECT_EQ(one_minor.exit_code, 0) << one_minor.err;
  const auto no_git = testing::run_command(
      {nkd, "validate", "--repo", testing::source_dir() + "/examples-repo", "--base", "HEAD"});
  EXPECT_EQ(no_git.exit_code, 2) << no_git.err;
}

// What validation refuses instead of dying on or reading: two billion nodes, a link to a file of
// the machine, a directory name that is not UTF-8 (which --format json must still print).
TEST(ValidateCli, HugeReplicasIsAnErrorNotACrash) {
  ScratchDir scratch;
  const auto repo = scratch.path() / "repo";
  std::filesystem::copy(source_dir() + "/examples-repo", repo, std::filesystem::copy_options::recursive);
  ASSERT_EQ(run_shell("sed -i '0,/replicas: 3/s//replicas: 2000000000/' "
                      "clusters/prod-east/cluster.yaml", repo.string()).exit_code, 0);
  const auto result = run_command({nkd_binary(), "validate", "--repo", repo.string()});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("clusters/prod-east/cluster.yaml:41:17: error: spec.pools[0].replicas "
                            "is 2000000000, more than the 1000 nodes a cluster may have"),
            std::string::npos)
      << result.err;
}

TEST(ValidateCli, WorktreeRefusesALinkOutOfTheRepository) {
  ScratchDir scratch;
  const auto repo = scratch.path() / "repo";
  make_example_git_repo(repo);
  testing::write_file(scratch.path() / "secret", "not for nodes\n");
  ASSERT_EQ(run_shell("rm clusters/prod-east/files/motd && ln -s " + (scratch.path() / "secret").string() +
                      " clusters/prod-east/files/motd", repo.string()).exit_code, 0);
  const auto result = run_command({nkd_binary(), "validate", "--repo", repo.string(), "--worktree"});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("clusters/prod-east/cluster.yaml:52:47: error: "
                            "spec.ignition.files[0].source 'files/motd': clusters/prod-east/files/"
                            "motd is a symbolic link to '" + (scratch.path() / "secret").string() +
                            "', which is outside the repository"),
            std::string::npos)
      << result.err;
  // Committed, the link is refused in the commit's tree the same way.
  ASSERT_EQ(run_shell("git -c user.name=a -c user.email=a@b commit -qam link", repo.string()).exit_code, 0);
  const auto committed = run_command({nkd_binary(), "validate", "--repo", repo.string()});
  EXPECT_EQ(committed.exit_code, 1) << committed.err;
  EXPECT_NE(committed.err.find("which is outside the repository"), std::string::npos) << committed.err;
}

TEST(ValidateCli, JsonFormatSurvivesADirectoryNameThatIsNotUtf8) {
  ScratchDir scratch;
  const auto repo = scratch.path() / "repo";
  std::filesystem::copy(source_dir() + "/examples-repo", repo, std::filesystem::copy_options::recursive);
  std::filesystem::rename(repo / "clusters/edge-lab", repo / "clusters/edge-l\xE4" "b");
  const auto result = run_command({nkd_binary(), "validate", "--repo", repo.string(), "--format", "json"});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  const auto diagnostics = nlohmann::json::parse(result.out);
  ASSERT_EQ(diagnostics.size(), 1u) << result.out;
  EXPECT_EQ(diagnostics[0]["path"], "clusters/edge-l\xEF\xBF\xBD" "b/");
  EXPECT_NE(diagnostics[0]["message"].get<std::string>().find("not valid UTF-8"), std::string::npos);
}

TEST(ValidateCli, KeyMaterialInTheRepositoryIsWarnedAboutWithItsLine) {
  ScratchDir scratch;
  const auto repo = scratch.path() / "repo";
  make_example_git_repo(repo);
  // A key pasted into a note, and a state database forced past the examples' .gitignore.
  ASSERT_EQ(run_shell("mkdir -p notes .nkd && openssl genpkey -algorithm ed25519 -out key.pem && "
                      "{ echo 'ssh into the lab with:'; echo; cat key.pem; } > notes/lab.md && "
                      "rm key.pem && printf 'SQLite format 3\\000rest' > .nkd/state.db && "
                      "git add -f notes .nkd && "
                      "git -c user.name=a -c user.email=a@b commit -qm 'keys by mistake'",
                      repo.string()).exit_code, 0);
  const auto result = run_command({nkd_binary(), "validate", "--repo", repo.string()});
  EXPECT_EQ(result.exit_code, 0) << "warnings do not fail validation: " << result.err;
  EXPECT_NE(result.err.find("notes/lab.md:3:1: warning: a PEM private key in the repository"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find(".nkd/state.db: warning: an SQLite database (nkd's state holds "
                            "private keys) in the repository"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("2 valid cluster(s), 0 error(s), 2 warning(s)"), std::string::npos)
      << result.err;

  const auto clean = run_command({nkd_binary(), "validate", "--repo", source_dir() + "/examples-repo"});
  EXPECT_EQ(clean.err.find("in the repository"), std::string::npos) << clean.err;
}

// --verify: the check the daemon makes with repository.verify, for CI before a merge.
TEST(ValidateCli, VerifyFailsAnUnsignedOrUntrustedCommitAndPassesASignedOne) {
  ScratchDir scratch;
  const auto repo = scratch.path() / "repo";
  make_example_git_repo(repo);
  const testing::SshSigningKey ops(scratch.path(), "ops", "ed25519");
  const testing::SshSigningKey intruder(scratch.path(), "intruder", "ecdsa");
  const auto allowed = scratch.path() / "allowed_signers";
  testing::write_file(allowed, ops.allowed_signers_line());
  const std::vector<std::string> verify = {nkd_binary(),    "validate", "--repo",
                                           repo.string(),   "--verify", "--allowed-signers",
                                           allowed.string()};

  const auto unsigned_head = run_command(verify);
  EXPECT_EQ(unsigned_head.exit_code, 1);
  EXPECT_NE(unsigned_head.err.find("signature not trusted (unsigned): the commit is not signed"),
            std::string::npos)
      << unsigned_head.err;

  const std::string commit = " -c user.name=a -c user.email=a@b commit -q --allow-empty -S -m ";
  ASSERT_EQ(run_shell("git " + ops.git_flags() + commit + "signed", repo.string()).exit_code, 0);
  const auto signed_head = run_command(verify);
  EXPECT_EQ(signed_head.exit_code, 0) << signed_head.err;
  EXPECT_NE(signed_head.err.find("is signed by ops@example.org (SHA256:"), std::string::npos)
      << signed_head.err;
  // Every commit since the first one: the first signed one follows an unsigned one, which is
  // the base and so not checked.
  auto since_root = verify;
  since_root.insert(since_root.end(), {"--verify-since", "HEAD~1"});
  EXPECT_EQ(run_command(since_root).exit_code, 0);

  ASSERT_EQ(run_shell("git " + intruder.git_flags() + commit + "intruder", repo.string()).exit_code,
            0);
  const auto other_key = run_command(verify);
  EXPECT_EQ(other_key.exit_code, 1);
  EXPECT_NE(other_key.err.find("signature not trusted (unknown_key)"), std::string::npos)
      << other_key.err;

  const auto no_trust =
      run_command({nkd_binary(), "validate", "--repo", repo.string(), "--verify"});
  EXPECT_EQ(no_trust.exit_code, 2);
  EXPECT_NE(no_trust.err.find("--allowed-signers"), std::string::npos) << no_trust.err;
}

}  // namespace
}  // namespace nkd
