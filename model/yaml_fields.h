// YamlFields: typed, located access to the fields of one YAML file. Each accessor reports
// problems (unknown key with a "did you mean", wrong type, missing required field) as
// diagnostics at the offending node's line and column, and returns nullopt instead of throwing.
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/diagnostics.h"

namespace nkd::model {

// The path of a list entry in diagnostics: "spec.pools[2]".
inline std::string indexed_path(std::string_view where, std::size_t index) {
  return std::string(where) + "[" + std::to_string(index) + "]";
}

class YamlFields {
 public:
  YamlFields(std::string path, std::vector<Diagnostic>& diagnostics)
      : path_(std::move(path)), diagnostics_(diagnostics) {}

  void error(const YAML::Mark& mark, std::string message);
  void warning(const YAML::Mark& mark, std::string message);
  void error_at(const YAML::Node& node, std::string message) { error(mark_of(node), std::move(message)); }

  // True when `node` is a mapping; reports a type error at `where` otherwise. Every key not in
  // `allowed` is reported as unknown, with the nearest allowed key as a hint.
  bool expect_map(const YAML::Node& node, std::string_view where,
                  std::initializer_list<std::string_view> allowed);
  bool expect_list(const YAML::Node& node, std::string_view where);

  // Field accessors on a mapping. `where` is the mapping's dotted path ("spec.kubernetes").
  std::optional<std::string> string(const YAML::Node& map, const char* key, std::string_view where,
                                    bool required);
  std::optional<int> integer(const YAML::Node& map, const char* key, std::string_view where,
                             bool required);
  std::optional<bool> boolean(const YAML::Node& map, const char* key, std::string_view where);
  // A file mode: 0644 and 0o644 are octal (as users write them), 420 is decimal.
  std::optional<int> file_mode(const YAML::Node& map, const char* key, std::string_view where);
  std::vector<std::string> string_list(const YAML::Node& map, const char* key,
                                       std::string_view where);

  const std::string& path() const { return path_; }
  static YAML::Mark mark_of(const YAML::Node& node);

 private:
  void report(const YAML::Mark& mark, Severity severity, std::string message);
  std::optional<std::string> scalar(const YAML::Node& map, const char* key, std::string_view where,
                                    bool required, std::string_view expected);

  std::string path_;
  std::vector<Diagnostic>& diagnostics_;
};

// The allowed key nearest to `key` by edit distance, or "" when none is close enough.
std::string nearest_key(std::string_view key, std::initializer_list<std::string_view> allowed);

}  // namespace nkd::model
