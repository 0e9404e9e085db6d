// `nkd syncd` with repository.verify: a real `git daemon` serves commits signed by `git commit
// -S` with keys made here (ssh-keygen; gpg --batch). A head signed by an allowed key applies; an
// unsigned one, one signed by another key, or one whose content was changed under its signature
// does not: the last good commit stays applied, the reason shows in the API and `nkd status`,
// and nkd_source_verification_failures_total counts it by reason.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/signing_keys.h"
#include "tests/support/syncd_fixture.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;
using testing::SyncdFixture;

// Each change appends a line to edge-lab's definition, so the cluster is applied anew.
std::string change(int number) {
  return "echo '# change " + std::to_string(number) + "' >> clusters/edge-lab/cluster.yaml";
}

bool counted(SyncdFixture& fixture, const std::string& reason, int count) {
  return fixture.metrics().find("nkd_source_verification_failures_total{reason=\"" + reason +
                                "\"} " + std::to_string(count)) != std::string::npos;
}

// Waits until edge-lab has seen `commit`, then checks it was refused for `reason` while
// `applied` stays.
void expect_refused(SyncdFixture& fixture, const std::string& commit, const std::string& reason,
                    const std::string& applied, int count) {
  ASSERT_TRUE(testing::wait_until(
      [&] { return fixture.get_json("/api/v1/clusters/edge-lab")["observedRevision"] == commit; },
      20s))
      << fixture.log();
  const auto cluster = fixture.get_json("/api/v1/clusters/edge-lab");
  if (applied.empty()) {
    EXPECT_TRUE(cluster["appliedRevision"].is_null() || cluster["appliedRevision"] == "")
        << cluster.dump();
  } else {
    EXPECT_EQ(cluster["appliedRevision"], applied);
  }
  ASSERT_TRUE(cluster["lastError"].is_string()) << cluster.dump();
  EXPECT_NE(cluster["lastError"].get<std::string>().find("signature not trusted (" + reason + ")"),
            std::string::npos)
      << cluster["lastError"];
  EXPECT_TRUE(counted(fixture, reason, count)) << fixture.metrics();
}

// Commits a change signed as `git_flags` say, then rewrites its message under the signature
// and pushes that copy: a signed commit whose content is not what was signed.
std::string push_tampered(SyncdFixture& fixture, const std::string& env,
                          const std::string& git_flags) {
  const auto result = testing::run_shell(
      change(99) + " && git add -A && " + env +
          " git -c user.name=Ops -c user.email=ops@example.org " + git_flags +
          " commit -q -S -m signed && "
          "id=$(git cat-file commit HEAD | sed 's/^signed$/signed and changed/' | "
          "git hash-object -t commit -w --stdin) && git reset -q --hard $id && git push -q origin "
          "main && echo $id",
      (fixture.dir() / "work").string());
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return result.out.substr(0, 40);
}

TEST(SyncdSignatures, AppliesOnlyHeadsSignedByAnAllowedSshKey) {
  SyncdFixture fixture;
  const testing::SshSigningKey ops(fixture.dir(), "ops", "ed25519");
  const testing::SshSigningKey intruder(fixture.dir(), "intruder", "ed25519");
  testing::write_file(fixture.dir() / "allowed_signers", ops.allowed_signers_line());
  fixture.set_repository_config("verify: {mode: ssh, allowedSignersFile: " +
                                (fixture.dir() / "allowed_signers").string() + "}");
  fixture.start_daemon("1s");

  // The fixture's first commit is not signed: nothing is applied.
  expect_refused(fixture, fixture.head(), "unsigned", "", 1);

  const std::string sign_as_ops =
      "git config gpg.format ssh && git config commit.gpgsign true && "
      "git config user.signingkey '" +
      ops.private_key().string() + "' && ";
  const std::string good = fixture.commit(sign_as_ops + change(1), "signed by ops");
  ASSERT_TRUE(fixture.wait_applied("edge-lab", good, 30s)) << fixture.log();
  EXPECT_TRUE(fixture.get_json("/api/v1/clusters/edge-lab")["lastError"].is_null());

  const std::string unsigned_head =
      fixture.commit("git config commit.gpgsign false && " + change(2), "unsigned");
  expect_refused(fixture, unsigned_head, "unsigned", good, 2);
  const auto status =
      testing::run_command({testing::nkd_binary(), "status", "--server", fixture.url()});
  EXPECT_EQ(status.exit_code, 1);
  EXPECT_NE(status.out.find("signature not trusted (unsigned)"), std::string::npos) << status.out;

  const std::string other_key =
      fixture.commit("git config commit.gpgsign true && git config user.signingkey '" +
                         intruder.private_key().string() + "' && " + change(3),
                     "signed by another key");
  expect_refused(fixture, other_key, "unknown_key", good, 1);

  const std::string tampered = push_tampered(fixture, "", ops.git_flags());
  expect_refused(fixture, tampered, "bad_signature", good, 1);

  const std::string fixed = fixture.commit(sign_as_ops + change(4), "signed by ops again");
  ASSERT_TRUE(fixture.wait_applied("edge-lab", fixed, 30s)) << fixture.log();
  EXPECT_TRUE(fixture.get_json("/api/v1/clusters/edge-lab")["lastError"].is_null());
}

TEST(SyncdSignatures, AppliesOnlyHeadsSignedByAKeyOfTheOpenPgpKeyring) {
  SyncdFixture fixture;
  const testing::GpgSigningKey ops(fixture.dir(), "ops", "ops@example.org");
  const testing::GpgSigningKey intruder(fixture.dir(), "intruder", "intruder@example.org");
  fixture.set_repository_config("verify: {mode: openpgp, keyring: " + ops.keyring().string() + "}");
  fixture.start_daemon("1s");
  expect_refused(fixture, fixture.head(), "unsigned", "", 1);

  const std::string sign_as_ops =
      "export " + ops.env() + " && git config commit.gpgsign true && git config user.signingkey " +
      ops.fingerprint() + " && ";
  const std::string good = fixture.commit(sign_as_ops + change(1), "signed by ops");
  ASSERT_TRUE(fixture.wait_applied("edge-lab", good, 30s)) << fixture.log();

  const std::string unsigned_head =
      fixture.commit("git config commit.gpgsign false && " + change(2), "unsigned");
  expect_refused(fixture, unsigned_head, "unsigned", good, 2);

  const std::string other_key = fixture.commit("export " + intruder.env() +
                                                   " && git config commit.gpgsign true && "
                                                   "git config user.signingkey " +
                                                   intruder.fingerprint() + " && " + change(3),
                                               "signed by another key");
  expect_refused(fixture, other_key, "unknown_key", good, 1);

  const std::string tampered = push_tampered(fixture, ops.env(), ops.git_flags());
  expect_refused(fixture, tampered, "bad_signature", good, 1);
}

}  // namespace
}  // namespace nkd
