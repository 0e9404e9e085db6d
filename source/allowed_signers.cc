#include "source/allowed_signers.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <fstream>
#include <sstream>

#include "source/ssh_wire.h"

namespace nkd::source {

namespace {

constexpr std::size_t kMaxAllowedSignersBytes = 1 << 20;

bool is_supported_key_type(std::string_view type) {
  return type == "ssh-ed25519" || type == "ssh-rsa" || type == "ecdsa-sha2-nistp256" ||
         type == "ecdsa-sha2-nistp384" || type == "ecdsa-sha2-nistp521";
}

// Key types ssh-keygen knows that nkd does not verify: told apart from options so the error
// says "unsupported key" rather than "bad option".
bool is_refused_key_type(std::string_view type) {
  return type.starts_with("sk-") || type.ends_with("-cert-v01@openssh.com") || type == "ssh-dss";
}

// Splits a line at blanks outside double quotes; quotes stay in the fields.
std::vector<std::string> split_fields(std::string_view line) {
  std::vector<std::string> fields;
  std::string current;
  bool quoted = false;
  for (const char character : line) {
    if (character == '"') quoted = !quoted;
    if (!quoted && (character == ' ' || character == '\t')) {
      if (!current.empty()) fields.push_back(std::move(current));
      current.clear();
      continue;
    }
    current += character;
  }
  if (!current.empty()) fields.push_back(std::move(current));
  return fields;
}

// Splits at commas outside double quotes, and drops the quotes.
std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  std::string current;
  bool quoted = false;
  for (const char character : text) {
    if (character == '"') {
      quoted = !quoted;
      continue;
    }
    if (!quoted && character == ',') {
      items.push_back(std::move(current));
      current.clear();
      continue;
    }
    current += character;
  }
  items.push_back(std::move(current));
  return items;
}

// YYYYMMDD[HHMM[SS]][Z] as ssh-keygen reads it: UTC with the Z, the local time zone without.
std::optional<std::int64_t> parse_time(std::string_view text) {
  const bool utc = text.ends_with('Z') || text.ends_with('z');
  if (utc) text.remove_suffix(1);
  if (text.size() != 8 && text.size() != 12 && text.size() != 14) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    return std::nullopt;
  }
  const auto number = [&](std::size_t at, std::size_t length) {
    return std::stoi(std::string(text.substr(at, length)));
  };
  std::tm fields{};
  fields.tm_year = number(0, 4) - 1900;
  fields.tm_mon = number(4, 2) - 1;
  fields.tm_mday = number(6, 2);
  if (text.size() >= 12) {
    fields.tm_hour = number(8, 2);
    fields.tm_min = number(10, 2);
  }
  if (text.size() == 14) fields.tm_sec = number(12, 2);
  if (fields.tm_mon > 11 || fields.tm_mday < 1 || fields.tm_mday > 31 || fields.tm_hour > 23 ||
      fields.tm_min > 59 || fields.tm_sec > 60) {
    return std::nullopt;
  }
  fields.tm_isdst = -1;
  return static_cast<std::int64_t>(utc ? timegm(&fields) : mktime(&fields));
}

Error line_error(std::string_view origin, int line, const std::string& what) {
  return Error{ErrorCode::kParse, std::string(origin) + ":" + std::to_string(line) + ": " + what};
}

Status apply_options(AllowedSigner& signer, std::string_view options, std::string_view origin) {
  for (const std::string& option : split_list(options)) {
    const auto equals = option.find('=');
    std::string name = option.substr(0, equals);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const std::string value = equals == std::string::npos ? "" : option.substr(equals + 1);
    if (name == "cert-authority") {
      return line_error(origin, signer.line,
                        "cert-authority keys are not supported; list each signing key itself");
    }
    if (name == "namespaces") {
      for (auto& space : split_list(value)) {
        if (!space.empty()) signer.namespaces.push_back(std::move(space));
      }
      continue;
    }
    if (name == "valid-after" || name == "valid-before") {
      const auto time = parse_time(value);
      if (!time) {
        return line_error(
            origin, signer.line,
            name + "=\"" + value + "\" is not a time like 20260131 or 20260131120000Z");
      }
      (name == "valid-after" ? signer.valid_after_unix : signer.valid_before_unix) = *time;
      continue;
    }
    return line_error(
        origin, signer.line,
        "unknown option \"" + name + "\" (expected namespaces=, valid-after= or valid-before=)");
  }
  return ok_status();
}

Result<AllowedSigner> parse_line(std::string_view line, int number, std::string_view origin) {
  std::vector<std::string> fields = split_fields(line);
  AllowedSigner signer{.line = number};
  if (fields.size() < 3) {
    return line_error(origin, number, "expected: principals [options] key-type base64-key");
  }
  std::size_t key_at = 1;
  if (!is_supported_key_type(fields[1]) && !is_refused_key_type(fields[1])) {
    if (auto status = apply_options(signer, fields[1], origin); !status) return status.error();
    key_at = 2;
  }
  if (fields.size() < key_at + 2) {
    return line_error(origin, number, "expected a key type and a base64 key after the options");
  }
  signer.key_type = fields[key_at];
  if (!is_supported_key_type(signer.key_type)) {
    return line_error(origin, number,
                      "key type " + signer.key_type +
                          " is not supported (use ssh-ed25519, ecdsa-sha2-nistp256/384/521 or "
                          "ssh-rsa)");
  }
  auto blob = decode_base64(fields[key_at + 1]);
  std::optional<std::string_view> blob_type;
  if (blob) blob_type = SshWireReader(*blob).string();
  if (!blob_type || *blob_type != signer.key_type) {
    return line_error(origin, number,
                      "the key is not valid base64 of a " + signer.key_type + " key");
  }
  signer.key_blob = std::move(*blob);
  for (auto& principal : split_list(fields[0])) {
    if (!principal.empty()) signer.principals.push_back(std::move(principal));
  }
  return signer;
}

}  // namespace

std::optional<std::string> AllowedSigner::refusal(std::string_view signature_namespace,
                                                  std::int64_t now_unix) const {
  const std::string where = "allowed signers line " + std::to_string(line);
  if (!namespaces.empty() &&
      std::find(namespaces.begin(), namespaces.end(), signature_namespace) == namespaces.end()) {
    return where + " does not allow the namespace \"" + std::string(signature_namespace) + "\"";
  }
  if (valid_after_unix && now_unix < *valid_after_unix)
    return where + " is not valid yet (valid-after)";
  if (valid_before_unix && now_unix >= *valid_before_unix)
    return where + " has expired (valid-before)";
  return std::nullopt;
}

std::optional<std::string> decode_base64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0 || text.size() > kMaxAllowedSignersBytes)
    return std::nullopt;
  std::string decoded(text.size() / 4 * 3, '\0');
  const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                                     reinterpret_cast<const unsigned char*>(text.data()),
                                     static_cast<int>(text.size()));
  if (length < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  std::size_t padding = 0;
  if (text.ends_with("==")) {
    padding = 2;
  } else if (text.ends_with('=')) {
    padding = 1;
  }
  decoded.resize(static_cast<std::size_t>(length) - padding);
  return decoded;
}

Result<std::vector<AllowedSigner>> parse_allowed_signers(std::string_view text,
                                                         std::string_view origin) {
  std::vector<AllowedSigner> signers;
  int number = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++number;
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())))
      line.remove_suffix(1);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front())))
      line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    auto signer = parse_line(line, number, origin);
    if (!signer) return signer.error();
    signers.push_back(std::move(*signer));
  }
  if (signers.empty()) {
    return Error{ErrorCode::kParse,
                 std::string(origin) + ": lists no keys, so no commit could be trusted"};
  }
  return signers;
}

Result<std::vector<AllowedSigner>> load_allowed_signers(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Error{ErrorCode::kIo, "cannot read the allowed signers file " + path};
  std::ostringstream text;
  text << file.rdbuf();
  if (text.str().size() > kMaxAllowedSignersBytes) {
    return Error{ErrorCode::kInvalidArgument, path + " is larger than 1 MiB"};
  }
  return parse_allowed_signers(text.str(), path);
}

}  // namespace nkd::source
