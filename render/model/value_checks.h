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

// "v1.29.1" -> {1, 29, 1}; false when it does not parse.
bool parse_kubernetes_version(std::string_view value, int& major, int& minor, int& patch);

}  // namespace nkd::model
