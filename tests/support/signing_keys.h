// Signing identities made for a test with the real tools, for commit signature verification:
// an SSH key from ssh-keygen (its allowed-signers line, and git flags that sign with it), and
// an OpenPGP key from gpg --batch in a GNUPGHOME of its own (its public key exported into a
// separate keyring directory, as the daemon reads one). Files live in the caller's directory;
// the OpenPGP home's gpg-agent is stopped when the object goes.
#pragma once

#include <filesystem>
#include <string>

namespace nkd::testing {

class SshSigningKey {
 public:
  // ssh-keygen -t `type` (ed25519, ecdsa, rsa) with `bits` when not 0, at <dir>/<name>.
  SshSigningKey(const std::filesystem::path& dir, const std::string& name, const std::string& type,
                int bits = 0);
  [[nodiscard]] std::string public_key() const;  // "ssh-ed25519 AAAA... comment"
  // A line of an allowed signers file for this key, with `options` ("" for none).
  [[nodiscard]] std::string allowed_signers_line(const std::string& options = "") const;
  // `git` flags that sign a commit with this key (git -c ... commit -S).
  [[nodiscard]] std::string git_flags() const;
  // Signs `file` with ssh-keygen -Y sign in `signature_namespace`; returns the armored signature.
  [[nodiscard]] std::string sign(const std::filesystem::path& file,
                                 const std::string& signature_namespace = "git") const;
  [[nodiscard]] const std::filesystem::path& private_key() const { return private_key_; }

 private:
  std::filesystem::path private_key_;
};

class GpgSigningKey {
 public:
  // A GNUPGHOME at <dir>/<name>-home with one Ed25519 signing key for `email`, and
  // <dir>/<name>-keyring holding only its public key.
  GpgSigningKey(const std::filesystem::path& dir, const std::string& name,
                const std::string& email);
  ~GpgSigningKey();
  GpgSigningKey(const GpgSigningKey&) = delete;
  GpgSigningKey& operator=(const GpgSigningKey&) = delete;

  [[nodiscard]] const std::string& fingerprint() const { return fingerprint_; }
  [[nodiscard]] const std::filesystem::path& keyring() const { return keyring_; }
  // An environment assignment and git flags that sign a commit with this key:
  // "GNUPGHOME=... git -c ... commit -S" is the caller's to compose as `env() + " git " +
  // git_flags()`.
  [[nodiscard]] std::string env() const { return "GNUPGHOME='" + home_.string() + "'"; }
  [[nodiscard]] std::string git_flags() const;

 private:
  std::filesystem::path home_;
  std::filesystem::path keyring_;
  std::string fingerprint_;
};

}  // namespace nkd::testing
