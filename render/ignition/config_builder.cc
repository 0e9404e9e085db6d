#include "render/ignition/config_builder.h"

#include <utility>

#include "common/crypto.h"
#include "render/ignition/ignition.h"

namespace nkd::ignition {

std::string data_url(const std::string& contents) {
  return "data:;base64," + base64_encode(contents);
}

void ConfigBuilder::add_file(const std::string& path, int mode, const std::string& contents) {
  files_[path] = File{.mode = mode, .contents = contents};
}

void ConfigBuilder::add_unit(const std::string& name, bool enabled, const std::string& contents) {
  // Replacing a unit keeps its drop-ins: a user's own kubelet.service still
  // gets nkd's drop-in.
  Unit& unit = units_[name];
  unit.enabled = enabled;
  unit.contents = contents;
}

void ConfigBuilder::add_dropin(const std::string& unit, const std::string& dropin_name,
                               const std::string& contents) {
  units_[unit].dropins[dropin_name] = contents;
}

void ConfigBuilder::add_user(IgnitionUser user) {
  for (IgnitionUser& existing : users_) {
    if (existing.name == user.name) {
      existing = std::move(user);
      return;
    }
  }
  users_.push_back(std::move(user));
}

nlohmann::json ConfigBuilder::to_json() const {
  nlohmann::json config = {{"ignition", {{"version", kSpecVersion}}}};
  if (!users_.empty()) {
    nlohmann::json users = nlohmann::json::array();
    for (const IgnitionUser& user : users_) {
      nlohmann::json entry = {{"name", user.name}};
      if (!user.ssh_authorized_keys.empty()) entry["sshAuthorizedKeys"] = user.ssh_authorized_keys;
      if (!user.password_hash.empty()) entry["passwordHash"] = user.password_hash;
      if (!user.groups.empty()) entry["groups"] = user.groups;
      users.push_back(std::move(entry));
    }
    config["passwd"]["users"] = std::move(users);
  }
  if (!files_.empty()) {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& [path, file] : files_) {
      files.push_back({{"path", path},
                       {"mode", file.mode},
                       {"overwrite", true},
                       {"contents", {{"source", data_url(file.contents)}}}});
    }
    config["storage"]["files"] = std::move(files);
  }
  if (!units_.empty()) {
    nlohmann::json units = nlohmann::json::array();
    for (const auto& [name, unit] : units_) {
      nlohmann::json entry = {{"name", name}};
      if (unit.enabled.has_value()) entry["enabled"] = *unit.enabled;
      if (!unit.contents.empty()) entry["contents"] = unit.contents;
      if (!unit.dropins.empty()) {
        nlohmann::json dropins = nlohmann::json::array();
        for (const auto& [dropin_name, contents] : unit.dropins) {
          dropins.push_back({{"name", dropin_name}, {"contents", contents}});
        }
        entry["dropins"] = std::move(dropins);
      }
      units.push_back(std::move(entry));
    }
    config["systemd"]["units"] = std::move(units);
  }
  return config;
}

std::string ConfigBuilder::dump() const { return to_json().dump(); }

}  // namespace nkd::ignition
