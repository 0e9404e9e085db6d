#include "source/commit_verifier.h"

#include "source/allowed_signers.h"
#include "source/openpgp_signature.h"
#include "source/ssh_signature.h"

namespace nkd::source {

const char* rejection_label(Rejection reason) {
  switch (reason) {
    case Rejection::kUnsigned:
      return "unsigned";
    case Rejection::kUnknownKey:
      return "unknown_key";
    case Rejection::kBadSignature:
      return "bad_signature";
    case Rejection::kKeyNotAllowed:
      return "key_not_allowed";
    case Rejection::kMalformed:
      return "malformed";
    case Rejection::kUnverifiable:
      return "unverifiable";
  }
  return "unverifiable";
}

Result<std::unique_ptr<CommitVerifier>> CommitVerifier::open(VerifySettings settings) {
  switch (settings.mode) {
    case VerifySettings::Mode::kNone:
      return std::unique_ptr<CommitVerifier>();
    case VerifySettings::Mode::kSsh:
      if (auto signers = load_allowed_signers(settings.allowed_signers_file); !signers) {
        return signers.error().wrap("repository.verify.allowedSignersFile");
      }
      break;
    case VerifySettings::Mode::kOpenPgp:
      if (auto status = check_openpgp_keyring(settings.keyring_directory); !status) {
        return status.error().wrap("repository.verify.keyring");
      }
      break;
  }
  return std::make_unique<CommitVerifier>(std::move(settings));
}

SignatureCheck CommitVerifier::verify(SignedCommits& commits, const std::string& head,
                                      const std::string& last_applied,
                                      std::int64_t now_unix) const {
  SignatureCheck head_check = verify_one(commits, head, now_unix);
  if (!head_check.trusted() || !settings_.all_commits || last_applied.empty() ||
      last_applied == head) {
    return head_check;
  }
  auto between = commits.commits_between(last_applied, head);
  if (!between) {
    return SignatureCheck::rejected(Rejection::kUnverifiable, "cannot list the commits since " +
                                                                  last_applied.substr(0, 12) +
                                                                  ": " + between.error().message);
  }
  for (const std::string& commit : *between) {
    if (commit == head) continue;
    SignatureCheck check = verify_one(commits, commit, now_unix);
    if (!check.trusted()) {
      check.detail = "commit " + commit.substr(0, 12) + " (since the last applied " +
                     last_applied.substr(0, 12) + "): " + check.detail;
      return check;
    }
  }
  return head_check;
}

SignatureCheck CommitVerifier::verify_one(SignedCommits& commits, const std::string& commit,
                                          std::int64_t now_unix) const {
  auto signature = commits.signature(commit);
  if (!signature)
    return SignatureCheck::rejected(Rejection::kUnverifiable, signature.error().message);
  if (!signature->has_value()) {
    return SignatureCheck::rejected(Rejection::kUnsigned, "the commit is not signed");
  }
  const CommitSignature& signed_commit = **signature;
  if (settings_.mode == VerifySettings::Mode::kOpenPgp) {
    return verify_openpgp_signature(signed_commit.signature, signed_commit.signed_data,
                                    settings_.keyring_directory);
  }
  auto signers = load_allowed_signers(settings_.allowed_signers_file);
  if (!signers) return SignatureCheck::rejected(Rejection::kUnverifiable, signers.error().message);
  return verify_ssh_signature(signed_commit.signature, signed_commit.signed_data, *signers,
                              now_unix);
}

}  // namespace nkd::source
