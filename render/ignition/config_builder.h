// ConfigBuilder: collects the files, units and users of one Ignition spec 3.3.0
// config and serialises them canonically. Files are kept sorted by path and
// units by name, and a later entry for the same path or unit replaces the
// earlier one, so that the user's extras (added last) win over nkd's own
// content instead of producing the duplicate entries Ignition rejects. Not
// thread-safe; a value type with no I/O.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace nkd::ignition {

inline constexpr int kModePublic = 0644;
inline constexpr int kModePrivate = 0600;
inline constexpr int kModeExecutable = 0755;

struct IgnitionUser {
  std::string name;
  std::vector<std::string> ssh_authorized_keys;
  std::string password_hash;  // empty: no password (key-only login)
  std::vector<std::string> groups;
};

class ConfigBuilder {
 public:
  void add_file(const std::string& path, int mode, const std::string& contents);
  // `contents` empty: a unit the OS ships (only enabled and drop-ins are set).
  void add_unit(const std::string& name, bool enabled, const std::string& contents = "");
  void add_dropin(const std::string& unit, const std::string& dropin_name,
                  const std::string& contents);
  void add_user(IgnitionUser user);

  [[nodiscard]] bool has_file(const std::string& path) const { return files_.contains(path); }

  // The config as canonical JSON: sorted keys, no whitespace.
  [[nodiscard]] std::string dump() const;
  [[nodiscard]] nlohmann::json to_json() const;

 private:
  struct File {
    int mode = kModePublic;
    std::string contents;
  };
  struct Unit {
    std::optional<bool> enabled;
    std::string contents;
    std::map<std::string, std::string> dropins;  // name -> contents
  };

  std::map<std::string, File> files_;
  std::map<std::string, Unit> units_;
  std::vector<IgnitionUser> users_;  // in the model's order
};

// "data:;base64,<...>": the form Ignition reads inline file contents from.
[[nodiscard]] std::string data_url(const std::string& contents);

}  // namespace nkd::ignition
