#include "model/value_checks.h"

#include "common/crypto.h"
#include "model/kubernetes_support.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <regex>

namespace nkd::model {

namespace {

bool parse_number(std::string_view text, int& value) {
  if (text.empty() || (text.size() > 1 && text.front() == '0')) return false;
  const auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), value);
  return status == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string check_dns1123_label(std::string_view value) {
  static const std::regex kLabel("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  if (value.empty()) return "must not be empty";
  if (value.size() > 63) return "'" + std::string(value) + "' is longer than 63 characters";
  if (!std::regex_match(value.begin(), value.end(), kLabel)) {
    return "'" + std::string(value) +
           "' is not a DNS-1123 label: use lower-case letters, digits and '-', starting and "
           "ending with a letter or digit";
  }
  return "";
}

bool parse_kubernetes_version(std::string_view value, int& major, int& minor, int& patch) {
  if (!value.starts_with('v')) return false;
  value.remove_prefix(1);
  const auto first_dot = value.find('.');
  if (first_dot == std::string_view::npos) return false;
  const auto second_dot = value.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos) return false;
  return parse_number(value.substr(0, first_dot), major) &&
         parse_number(value.substr(first_dot + 1, second_dot - first_dot - 1), minor) &&
         parse_number(value.substr(second_dot + 1), patch);
}

std::string check_dns1123_subdomain(std::string_view value) {
  static const std::regex kSubdomain("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  if (value.empty()) return "must not be empty";
  if (value.size() > 253) return "'" + std::string(value) + "' is longer than 253 characters";
  if (!std::regex_match(value.begin(), value.end(), kSubdomain)) {
    return "'" + std::string(value) + "' is not a DNS name (lower-case labels joined by '.')";
  }
  return "";
}

std::string check_kubernetes_version(std::string_view value) {
  int major = 0, minor = 0, patch = 0;
  if (!parse_kubernetes_version(value, major, minor, patch)) {
    return "'" + std::string(value) + "' is not vMAJOR.MINOR.PATCH (for example v1.29.1)";
  }
  if (major != 1 || minor < kOldestSupportedMinor) {
    return "'" + std::string(value) + "' is older than v1." +
           std::to_string(kOldestSupportedMinor) +
           ", the oldest Kubernetes nkd supports (its kubeadm reads only kubeadm.k8s.io/v1beta2, "
           "which nkd does not render); use v1." + std::to_string(kOldestSupportedMinor) +
           " or newer";
  }
  return "";
}

std::string check_ssh_public_key(std::string_view line) {
  static constexpr std::array<std::string_view, 8> kTypes = {
      "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
      "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com",
      "sk-ecdsa-sha2-nistp256@openssh.com", "ssh-dss"};
  const auto space = line.find(' ');
  const std::string_view type = line.substr(0, space);
  if (std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end()) {
    return "not an OpenSSH public key: unknown key type '" + std::string(type) +
           "' (expected a line such as 'ssh-ed25519 AAAA... user@host')";
  }
  if (space == std::string_view::npos) return "not an OpenSSH public key: the key data is missing";
  std::string_view rest = line.substr(space + 1);
  const std::string_view blob_text = rest.substr(0, rest.find(' '));
  const std::string blob = base64_decode(blob_text);
  // The blob starts with a 4-byte big-endian length and the key type again.
  if (blob.size() < 4 + type.size()) {
    return "not an OpenSSH public key: the key data is not valid base64 of a " + std::string(type) + " key";
  }
  const std::size_t length = (std::size_t{static_cast<unsigned char>(blob[0])} << 24) |
                             (std::size_t{static_cast<unsigned char>(blob[1])} << 16) |
                             (std::size_t{static_cast<unsigned char>(blob[2])} << 8) |
                             std::size_t{static_cast<unsigned char>(blob[3])};
  if (length != type.size() || std::string_view(blob).substr(4, length) != type) {
    return "not an OpenSSH public key: the key data does not belong to a " + std::string(type) + " key";
  }
  return "";
}

std::string check_relative_path(std::string_view value) {
  if (value.empty()) return "must not be empty";
  if (value.front() == '/') return "'" + std::string(value) + "' must be relative to the cluster's directory";
  std::size_t start = 0;
  while (start <= value.size()) {
    const auto end = value.find('/', start);
    const std::string_view segment = value.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (segment.empty() || segment == "..") {
      return "'" + std::string(value) + "' must stay inside the cluster's directory (no '..' or empty segments)";
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return "";
}

std::string check_mac_address(std::string_view value) {
  static const std::regex kMac("([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}");
  if (std::regex_match(value.begin(), value.end(), kMac)) return "";
  return "'" + std::string(value) + "' is not a MAC address such as 52:54:00:12:34:56";
}

std::string normalize_mac(std::string_view value) {
  std::string normalized(value);
  for (char& c : normalized) {
    c = c == '-' ? ':' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return normalized;
}

namespace {

// Printable ASCII that a kernel command line and an iPXE script keep as one literal word.
bool is_boot_word(std::string_view value) {
  return !value.empty() && std::all_of(value.begin(), value.end(), [](unsigned char c) {
    return c > 0x20 && c < 0x7f && c != '"' && c != '\'' && c != '\\' && c != '$' && c != '`';
  });
}

}  // namespace

std::string check_boot_url(std::string_view value) {
  if (!value.starts_with("http://") && !value.starts_with("https://")) {
    return "'" + std::string(value) + "' must be an http:// or https:// URL that iPXE can fetch";
  }
  if (!is_boot_word(value)) {
    return "must be one word of printable ASCII without quotes, backslashes or '$' (it goes into "
           "an iPXE script); percent-encode such characters";
  }
  return "";
}

std::string check_install_device(std::string_view value) {
  if (!value.starts_with("/dev/") || value.size() == 5 || !is_boot_word(value)) {
    return "'" + std::string(value) + "' must be a device path such as /dev/sda or "
           "/dev/disk/by-id/<id>";
  }
  return "";
}

std::string check_kernel_argument(std::string_view value) {
  if (!is_boot_word(value)) {
    return "'" + std::string(value) + "' must be one kernel argument: printable ASCII without "
           "spaces, quotes, backslashes or '$'";
  }
  for (const std::string_view reserved :
       {"ignition.", "coreos.inst.install_dev", "coreos.inst.ignition_url", "coreos.live.rootfs_url",
        "initrd="}) {
    if (value.starts_with(reserved)) {
      return "'" + std::string(value) + "' is set by nkd itself; remove it";
    }
  }
  return "";
}

}  // namespace nkd::model
