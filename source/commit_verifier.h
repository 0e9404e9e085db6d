// CommitVerifier: decides whether a commit may be applied by its signature (repository.verify,
// source_settings.h). In ssh mode the signature must be an sshsig by a key of the allowed
// signers file (re-read at each check, so a key removed from it is refused at once); in openpgp
// mode a good OpenPGP signature by a key of the keyring directory. With all_commits, every
// commit since the last applied one must pass too, not only the head. Thread-compatible: the
// verifier holds only its settings; `commits` is used on the caller's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "source/signature_check.h"
#include "source/signed_commits.h"
#include "source/source_settings.h"

namespace nkd::source {

class CommitVerifier {
 public:
  // Checks the settings up front (the allowed signers file parses, the keyring directory
  // exists); kInvalidArgument or kParse otherwise. nullptr when the mode is kNone.
  static Result<std::unique_ptr<CommitVerifier>> open(VerifySettings settings);
  explicit CommitVerifier(VerifySettings settings) : settings_(std::move(settings)) {}

  // The verdict on `head`, and with all_commits on each commit after `last_applied` ("" : the
  // head alone). The first commit that fails decides, named in the message.
  [[nodiscard]] SignatureCheck verify(SignedCommits& commits, const std::string& head,
                                      const std::string& last_applied, std::int64_t now_unix) const;

  [[nodiscard]] const VerifySettings& settings() const { return settings_; }

 private:
  [[nodiscard]] SignatureCheck verify_one(SignedCommits& commits, const std::string& commit,
                                          std::int64_t now_unix) const;
  VerifySettings settings_;
};

}  // namespace nkd::source
