#include "tests/support/signing_keys.h"

#include <stdexcept>

#include "tests/support/test_support.h"

namespace nkd::testing {

namespace fs = std::filesystem;

namespace {

std::string checked(const CommandResult& result, const std::string& doing) {
  if (result.exit_code != 0) {
    throw std::runtime_error(doing + " failed (" + std::to_string(result.exit_code) +
                             "): " + result.err);
  }
  return result.out;
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

SshSigningKey::SshSigningKey(const fs::path& dir, const std::string& name, const std::string& type,
                             int bits)
    : private_key_(dir / name) {
  std::vector<std::string> argv{
      "ssh-keygen",         "-q", "-t", type, "-N", "", "-C", name + "@example.org", "-f",
      private_key_.string()};
  if (bits != 0) {
    argv.insert(argv.begin() + 4, {"-b", std::to_string(bits)});
  }
  checked(run_command(argv), "ssh-keygen -t " + type);
}

std::string SshSigningKey::public_key() const {
  return trimmed(read_file(private_key_.string() + ".pub"));
}

std::string SshSigningKey::allowed_signers_line(const std::string& options) const {
  return "ops@example.org " + (options.empty() ? "" : options + " ") + public_key() + "\n";
}

std::string SshSigningKey::git_flags() const {
  return "-c gpg.format=ssh -c user.signingkey='" + private_key_.string() + "'";
}

std::string SshSigningKey::sign(const fs::path& file,
                                const std::string& signature_namespace) const {
  fs::remove(file.string() + ".sig");
  checked(run_command({"ssh-keygen", "-q", "-Y", "sign", "-n", signature_namespace, "-f",
                       private_key_.string(), file.string()}),
          "ssh-keygen -Y sign");
  return read_file(file.string() + ".sig");
}

GpgSigningKey::GpgSigningKey(const fs::path& dir, const std::string& name, const std::string& email)
    : home_(dir / (name + "-home")), keyring_(dir / (name + "-keyring")) {
  fs::create_directories(home_);
  fs::create_directories(keyring_);
  fs::permissions(home_, fs::perms::owner_all, fs::perm_options::replace);
  fs::permissions(keyring_, fs::perms::owner_all, fs::perm_options::replace);
  const std::string gpg = "gpg --batch --quiet --homedir '" + home_.string() + "' ";
  checked(run_shell(gpg + "--passphrase '' --pinentry-mode loopback --quick-gen-key '" + name +
                    " <" + email + ">' ed25519 sign never"),
          "gpg --quick-gen-key");
  const std::string listing =
      checked(run_shell(gpg + "--with-colons --list-keys '" + email + "'"), "gpg --list-keys");
  const auto fpr = listing.find("\nfpr:");
  if (fpr == std::string::npos) throw std::runtime_error("gpg listed no fingerprint: " + listing);
  const auto start = listing.find_first_not_of(':', fpr + 5);
  fingerprint_ = listing.substr(start, listing.find(':', start) - start);
  checked(run_shell(gpg + "--armor --export " + fingerprint_ +
                    " | gpg --batch --quiet --homedir '" + keyring_.string() + "' --import"),
          "exporting the public key into the keyring");
}

GpgSigningKey::~GpgSigningKey() {
  // gpg starts an agent for each home that signs; it would outlive the test.
  for (const fs::path& home : {home_, keyring_}) {
    run_command({"gpgconf", "--homedir", home.string(), "--kill", "all"});
  }
}

std::string GpgSigningKey::git_flags() const {
  return "-c gpg.format=openpgp -c user.signingkey=" + fingerprint_;
}

}  // namespace nkd::testing
