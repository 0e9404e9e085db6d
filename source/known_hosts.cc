#include "source/known_hosts.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <sstream>
#include <vector>

#include "common/crypto.h"

namespace nkd::source {

namespace {

std::string sha256_raw(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(digest), length);
}

// "*" and "?" globbing as OpenSSH does for host patterns.
bool glob_match(std::string_view pattern, std::string_view text) {
  if (pattern.empty()) return text.empty();
  if (pattern[0] == '*') {
    for (std::size_t skip = 0; skip <= text.size(); ++skip) {
      if (glob_match(pattern.substr(1), text.substr(skip))) return true;
    }
    return false;
  }
  if (text.empty()) return false;
  if (pattern[0] != '?' && pattern[0] != text[0]) return false;
  return glob_match(pattern.substr(1), text.substr(1));
}

// |1|base64(salt)|base64(HMAC-SHA1(salt, name))
bool hashed_match(std::string_view pattern, const std::string& name) {
  const std::size_t split = pattern.find('|', 3);
  if (split == std::string_view::npos) return false;
  const std::string salt = base64_decode(pattern.substr(3, split - 3));
  const std::string expected = base64_decode(pattern.substr(split + 1));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (HMAC(EVP_sha1(), salt.data(), static_cast<int>(salt.size()),
           reinterpret_cast<const unsigned char*>(name.data()), name.size(), digest,
           &length) == nullptr) {
    return false;
  }
  return constant_time_equal(expected, std::string_view(reinterpret_cast<char*>(digest), length));
}

// The host field matches when some pattern matches and no negated pattern does.
bool hosts_match(std::string_view field, const std::string& name) {
  if (field.starts_with("|1|")) return hashed_match(field, name);
  bool matched = false;
  std::stringstream patterns{std::string(field)};
  std::string pattern;
  while (std::getline(patterns, pattern, ',')) {
    const bool negated = !pattern.empty() && pattern[0] == '!';
    if (!glob_match(negated ? std::string_view(pattern).substr(1) : pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

bool key_matches(const HostKey& key, const std::string& type, const std::string& base64_blob) {
  if (!key.type.empty() && type != key.type) return false;  // a bare fingerprint has no type
  const std::string blob = base64_decode(base64_blob);
  if (blob.empty()) return false;
  if (!key.blob.empty()) return blob == key.blob;
  return !key.sha256.empty() && sha256_raw(blob) == key.sha256;
}

std::string fingerprint(const HostKey& key) {
  const std::string digest = key.blob.empty() ? key.sha256 : sha256_raw(key.blob);
  std::string text = base64_encode(digest);
  while (!text.empty() && text.back() == '=') text.pop_back();
  return (key.type.empty() ? std::string() : key.type + " ") + "SHA256:" + text;
}

}  // namespace

Status check_known_host(std::string_view known_hosts_text, const std::string& host, int port,
                        const HostKey& key, const std::string& known_hosts_path) {
  const std::string name = port == 22 ? host : "[" + host + "]:" + std::to_string(port);
  bool host_listed = false;
  std::stringstream lines{std::string(known_hosts_text)};
  std::string line;
  while (std::getline(lines, line)) {
    std::stringstream fields(line);
    std::string first, type, blob;
    if (!(fields >> first) || first[0] == '#') continue;
    std::string marker;
    if (first[0] == '@') {
      marker = first;
      if (!(fields >> first)) continue;
    }
    if (!(fields >> type >> blob) || marker == "@cert-authority") continue;
    if (!hosts_match(first, name)) continue;
    const bool same_key = key_matches(key, type, blob);
    if (marker == "@revoked" && same_key) {
      return Error{ErrorCode::kPermissionDenied,
                   "SSH host key " + fingerprint(key) + " of " + name + " is marked @revoked in " +
                       known_hosts_path + "; refusing to connect"};
    }
    if (marker.empty() && same_key) return ok_status();
    if (marker.empty()) host_listed = true;
  }
  if (host_listed) {
    return Error{ErrorCode::kPermissionDenied,
                 "SSH host key of " + name + " (" + fingerprint(key) + ") does not match " +
                     known_hosts_path + ": the server's key changed or someone is intercepting "
                     "the connection; refusing to connect. Verify the new key out of band "
                     "before replacing the entry"};
  }
  return Error{ErrorCode::kPermissionDenied,
               "SSH host " + name + " is unknown: no entry in " + known_hosts_path +
                   "; refusing to connect. Add its key after verifying it (ssh-keyscan -p " +
                   std::to_string(port) + " " + host + ")"};
}

}  // namespace nkd::source
