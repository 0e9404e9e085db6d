// Checks of single values in cluster definitions. Each returns "" when the value is fine, or a
// sentence that says what is wrong and what a good value looks like.
#pragma once

#include <string>
#include <string_view>

namespace nkd::model {

std::string check_dns1123_label(std::string_view value);
// A DNS-1123 subdomain such as api.prod.example.org.
std::string check_dns1123_subdomain(std::string_view value);
// vMAJOR.MINOR.PATCH, 1.x no older than kOldestSupportedMinor (kubernetes_support.h).
std::string check_kubernetes_version(std::string_view value);
// An OpenSSH public key line: "<type> <base64 blob> [comment]", the blob naming the same type.
std::string check_ssh_public_key(std::string_view line);
// A path inside a cluster directory: relative, no "..", no empty segments.
std::string check_relative_path(std::string_view value);
std::string check_mac_address(std::string_view value);
// 52:54:00:AB:CD:EF and 52-54-00-ab-cd-ef -> 52:54:00:ab:cd:ef (the form iPXE's ${net0/mac}
// gives); other text is returned lower-cased.
std::string normalize_mac(std::string_view value);
// An http(s) URL that is one word on a kernel command line and in an iPXE script: printable
// ASCII without spaces, quotes, backslashes or `$` (iPXE expands ${...}).
std::string check_boot_url(std::string_view value);
// An absolute device path such as /dev/sda or /dev/disk/by-id/wwn-0x5000c500a0b1c2d3.
std::string check_install_device(std::string_view value);
// One kernel argument ("console=ttyS0,115200"), under the same rules as check_boot_url.
std::string check_kernel_argument(std::string_view value);

// "v1.29.1" -> {1, 29, 1}; false when it does not parse.
bool parse_kubernetes_version(std::string_view value, int& major, int& minor, int& patch);

}  // namespace nkd::model
