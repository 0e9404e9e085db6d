// Ignition review: turns a rendered Ignition config into text a person can review in a plan, and
// names which first-boot inputs differ between two configs.
//
// The review form is the config as pretty JSON with file and unit contents decoded into one JSON
// string per line (so a diff shows the changed line), and every secret replaced by a short digest:
// private keys (any PEM "PRIVATE KEY" block), password hashes, and the known secret values the
// caller passes (bootstrap token, fetch tokens). A digest shows that a secret changed without
// showing the secret. Pure and deterministic.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nkd::plan {

class SecretRedactor {
 public:
  // `secrets`: exact values to hide wherever they appear. Empty values are ignored.
  explicit SecretRedactor(std::vector<std::string> secrets);

  // "<redacted sha256:0123456789ab>": how a hidden value is shown.
  [[nodiscard]] static std::string placeholder(std::string_view secret);
  // `text` with every known secret and every PEM private-key block replaced by its placeholder.
  [[nodiscard]] std::string redact(std::string_view text) const;

 private:
  std::vector<std::string> secrets_;  // longest first, so a secret inside another is not split
};

// The review form of `ignition_json` (see above). A config that is not JSON is returned redacted
// as plain text.
[[nodiscard]] std::string review_ignition(std::string_view ignition_json,
                                          const SecretRedactor& redactor);

// One line per first-boot input that differs between two configs of the same node, e.g.
// "file /etc/motd: content changed", "unit node-exporter.service added",
// "user nest: sshAuthorizedKeys changed". Sorted; empty when the configs are equivalent.
[[nodiscard]] std::vector<std::string> first_boot_changes(std::string_view before_json,
                                                          std::string_view after_json);

}  // namespace nkd::plan
