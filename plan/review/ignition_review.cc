#include "plan/review/ignition_review.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>

#include "common/crypto.h"
#include "common/json_fields.h"
#include "render/ignition/bring_up.h"

namespace nkd::plan {

namespace {

using nlohmann::json;

constexpr std::string_view kPemBegin = "-----BEGIN ";
constexpr std::string_view kPrivateKeyMarker = "PRIVATE KEY-----";

// Replaces each "-----BEGIN ... PRIVATE KEY----- ... -----END ... PRIVATE KEY-----" block.
std::string redact_private_keys(std::string text) {
  std::size_t search_from = 0;
  while (true) {
    const std::size_t begin = text.find(kPemBegin, search_from);
    if (begin == std::string::npos) return text;
    const std::size_t line_end = text.find('\n', begin);
    const std::string_view header = std::string_view(text).substr(begin, line_end - begin);
    if (header.find(kPrivateKeyMarker) == std::string_view::npos) {
      search_from = begin + kPemBegin.size();
      continue;
    }
    // An unterminated block is hidden to the end of the text.
    const std::size_t end_marker = text.find("-----END ", begin);
    const std::size_t end_dashes =
        end_marker == std::string::npos ? std::string::npos : text.find("-----", end_marker + 9);
    const std::size_t block_end = end_dashes == std::string::npos ? text.size() : end_dashes + 5;
    const std::size_t length = block_end - begin;
    const std::string replacement = SecretRedactor::placeholder(text.substr(begin, length));
    text.replace(begin, length, replacement);
    search_from = begin + replacement.size();
  }
}

// "data:[<mediatype>][;base64],<data>" → the bytes; false when `url` is not a data URL we can read.
bool decode_data_url(std::string_view url, std::string& bytes) {
  if (!url.starts_with("data:")) return false;
  const std::size_t comma = url.find(',');
  if (comma == std::string_view::npos) return false;
  const std::string_view parameters = url.substr(5, comma - 5);
  const std::string_view data = url.substr(comma + 1);
  if (parameters.ends_with(";base64")) {
    bytes = base64_decode(data);
    return !(bytes.empty() && !data.empty());
  }
  bytes.clear();
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '%' && i + 2 < data.size() && std::isxdigit(static_cast<unsigned char>(data[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(data[i + 2]))) {
      bytes += static_cast<char>(std::strtol(std::string(data.substr(i + 1, 2)).c_str(), nullptr, 16));
      i += 2;
    } else {
      bytes += data[i];
    }
  }
  return true;
}

bool is_text(std::string_view bytes) {
  return std::none_of(bytes.begin(), bytes.end(), [](char c) { return c == '\0'; });
}

json text_lines(std::string_view text) {
  json lines = json::array();
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(std::string(text.substr(start, end - start)));
    start = end + 1;
  }
  return lines;
}

// File contents: a data URL becomes {"lines": [...]} (text) or {"sha256", "bytes"} (binary, or
// `summarized`: a bring-up manifest, whose change the plan shows among the cluster's manifests);
// a remote source stays as it is.
json review_contents(const json& contents, const SecretRedactor& redactor, bool summarized) {
  json reviewed = contents;
  if (!contents.contains("source") || !contents["source"].is_string()) return reviewed;
  std::string bytes;
  if (!decode_data_url(contents["source"].get<std::string>(), bytes)) {
    reviewed["source"] = redactor.redact(contents["source"].get<std::string>());
    return reviewed;
  }
  reviewed.erase("source");
  if (is_text(bytes) && !summarized) {
    reviewed["lines"] = text_lines(redactor.redact(bytes));
  } else {
    reviewed["sha256"] = sha256_hex(bytes);
    reviewed["bytes"] = bytes.size();
  }
  return reviewed;
}

// Every string in `value` redacted, recursively.
void redact_strings(json& value, const SecretRedactor& redactor) {
  if (value.is_string()) {
    value = redactor.redact(value.get<std::string>());
  } else if (value.is_structured()) {
    for (auto& child : value) redact_strings(child, redactor);
  }
}

json review_document(json config, const SecretRedactor& redactor) {
  if (config.contains("passwd") && config["passwd"].contains("users")) {
    for (auto& user : config["passwd"]["users"]) {
      if (user.contains("passwordHash") && user["passwordHash"].is_string()) {
        user["passwordHash"] = SecretRedactor::placeholder(user["passwordHash"].get<std::string>());
      }
    }
  }
  if (config.contains("storage") && config["storage"].contains("files")) {
    for (auto& file : config["storage"]["files"]) {
      if (!file.contains("contents")) continue;
      const bool bring_up = json_string(file, "path").starts_with(ignition::kBringUpDir);
      file["contents"] = review_contents(file["contents"], redactor, bring_up);
    }
  }
  if (config.contains("systemd") && config["systemd"].contains("units")) {
    for (auto& unit : config["systemd"]["units"]) {
      if (unit.contains("contents") && unit["contents"].is_string()) {
        unit["contents"] = text_lines(redactor.redact(unit["contents"].get<std::string>()));
      }
    }
  }
  redact_strings(config, redactor);
  return config;
}

// Entries of an Ignition array keyed by one field ("path" for files, "name" for units and users).
std::map<std::string, json> keyed(const json& config, std::initializer_list<const char*> path,
                                  const char* key) {
  const json* node = &config;
  for (const char* step : path) {
    if (!node->is_object() || !node->contains(step)) return {};
    node = &(*node)[step];
  }
  std::map<std::string, json> entries;
  if (!node->is_array()) return entries;
  for (const auto& entry : *node) {
    if (entry.contains(key) && entry[key].is_string()) entries[entry[key].get<std::string>()] = entry;
  }
  return entries;
}

void compare_entries(const std::map<std::string, json>& before,
                     const std::map<std::string, json>& after, const std::string& noun,
                     std::vector<std::string>& changes) {
  for (const auto& [key, entry] : before) {
    const auto found = after.find(key);
    if (found == after.end()) {
      changes.push_back(noun + " " + key + " removed");
      continue;
    }
    if (found->second == entry) continue;
    std::vector<std::string> fields;
    for (const auto& [field, value] : entry.items()) {
      if (!found->second.contains(field) || found->second[field] != value) fields.push_back(field);
    }
    for (const auto& [field, value] : found->second.items()) {
      if (!entry.contains(field)) fields.push_back(field);
    }
    std::string joined;
    for (const auto& field : fields) joined += (joined.empty() ? "" : ", ") + field;
    changes.push_back(noun + " " + key + ": " + (joined == "contents" ? "content" : joined) +
                      " changed");
  }
  for (const auto& [key, entry] : after) {
    if (!before.contains(key)) changes.push_back(noun + " " + key + " added");
  }
}

}  // namespace

SecretRedactor::SecretRedactor(std::vector<std::string> secrets) {
  for (auto& secret : secrets) {
    if (!secret.empty()) secrets_.push_back(std::move(secret));
  }
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size() || (a.size() == b.size() && a < b); });
  secrets_.erase(std::unique(secrets_.begin(), secrets_.end()), secrets_.end());
}

std::string SecretRedactor::placeholder(std::string_view secret) {
  return "<redacted sha256:" + sha256_hex(secret).substr(0, 12) + ">";
}

std::string SecretRedactor::redact(std::string_view text) const {
  std::string result = redact_private_keys(std::string(text));
  for (const auto& secret : secrets_) {
    const std::string replacement = placeholder(secret);
    for (std::size_t at = result.find(secret); at != std::string::npos;
         at = result.find(secret, at + replacement.size())) {
      result.replace(at, secret.size(), replacement);
    }
  }
  return result;
}

std::string review_ignition(std::string_view ignition_json, const SecretRedactor& redactor) {
  auto config = json::parse(ignition_json, nullptr, false);
  if (config.is_discarded()) return redactor.redact(ignition_json);
  // User files may hold bytes that are not UTF-8; show them replaced rather than fail the plan.
  return review_document(std::move(config), redactor)
             .dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::vector<std::string> first_boot_changes(std::string_view before_json,
                                            std::string_view after_json) {
  const auto before = json::parse(before_json, nullptr, false);
  const auto after = json::parse(after_json, nullptr, false);
  if (before.is_discarded() || after.is_discarded()) return {"config is not valid JSON"};
  std::vector<std::string> changes;
  // The bring-up files and unit matter at the cluster's first boot only; later changes reach the
  // cluster through the API (the providers leave them out of the boot digest too).
  auto without_bring_up = [](std::map<std::string, json> entries) {
    std::erase_if(entries, [](const auto& entry) {
      return entry.first.starts_with(ignition::kBringUpDir) || entry.first == ignition::kBringUpUnit;
    });
    return entries;
  };
  compare_entries(without_bring_up(keyed(before, {"storage", "files"}, "path")),
                  without_bring_up(keyed(after, {"storage", "files"}, "path")), "file", changes);
  compare_entries(without_bring_up(keyed(before, {"systemd", "units"}, "name")),
                  without_bring_up(keyed(after, {"systemd", "units"}, "name")), "unit", changes);
  compare_entries(keyed(before, {"passwd", "users"}, "name"),
                  keyed(after, {"passwd", "users"}, "name"), "user", changes);
  // Anything else (directories, links, disks, the ignition section itself) by top-level key.
  json before_rest = before;
  json after_rest = after;
  for (json* document : {&before_rest, &after_rest}) {
    for (const auto& [section, entries] :
         {std::pair{"storage", "files"}, std::pair{"systemd", "units"},
          std::pair{"passwd", "users"}}) {
      // erase() throws on a section that is not an object; such a section compares whole.
      if (document->contains(section) && (*document)[section].is_object()) {
        (*document)[section].erase(entries);
      }
    }
  }
  for (const auto& [section, value] : after_rest.items()) {
    if (!before_rest.contains(section) || before_rest[section] != value) {
      changes.push_back("section " + section + " changed");
    }
  }
  for (const auto& [section, value] : before_rest.items()) {
    if (!after_rest.contains(section)) changes.push_back("section " + section + " removed");
  }
  std::sort(changes.begin(), changes.end());
  return changes;
}

}  // namespace nkd::plan
