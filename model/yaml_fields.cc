#include "model/yaml_fields.h"

#include <algorithm>
#include <charconv>

namespace nkd::model {

namespace {

std::size_t edit_distance(std::string_view left, std::string_view right) {
  std::vector<std::size_t> previous(right.size() + 1), current(right.size() + 1);
  for (std::size_t j = 0; j <= right.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= left.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= right.size(); ++j) {
      const std::size_t substitution = previous[j - 1] + (left[i - 1] == right[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[right.size()];
}

std::string join_path(std::string_view where, std::string_view key) {
  return where.empty() ? std::string(key) : std::string(where) + "." + std::string(key);
}

const char* type_name(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Undefined: return "nothing";
  }
  return "something else";
}

}  // namespace

std::string nearest_key(std::string_view key, std::initializer_list<std::string_view> allowed) {
  std::string best;
  std::size_t best_distance = 3;  // farther than two edits is a different word
  for (std::string_view candidate : allowed) {
    const std::size_t distance = edit_distance(key, candidate);
    if (distance < best_distance && distance * 2 < std::max(key.size(), candidate.size())) {
      best = std::string(candidate);
      best_distance = distance;
    }
  }
  return best;
}

YAML::Mark YamlFields::mark_of(const YAML::Node& node) {
  return node.IsDefined() ? node.Mark() : YAML::Mark::null_mark();
}

void YamlFields::report(const YAML::Mark& mark, Severity severity, std::string message) {
  diagnostics_.push_back(Diagnostic{.path = path_,
                                    .line = mark.line < 0 ? 0 : mark.line + 1,
                                    .column = mark.column < 0 ? 0 : mark.column + 1,
                                    .severity = severity,
                                    .message = std::move(message)});
}

void YamlFields::error(const YAML::Mark& mark, std::string message) {
  report(mark, Severity::kError, std::move(message));
}

void YamlFields::warning(const YAML::Mark& mark, std::string message) {
  report(mark, Severity::kWarning, std::move(message));
}

bool YamlFields::expect_map(const YAML::Node& node, std::string_view where,
                            std::initializer_list<std::string_view> allowed) {
  if (!node.IsMap()) {
    error_at(node, std::string(where) + " must be a mapping, got " + type_name(node));
    return false;
  }
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string message = "unknown key '" + key + "' in " + std::string(where);
    const std::string hint = nearest_key(key, allowed);
    message += hint.empty() ? "; remove it" : "; did you mean '" + hint + "'?";
    error(entry.first.Mark(), std::move(message));
  }
  return true;
}

bool YamlFields::expect_list(const YAML::Node& node, std::string_view where) {
  if (node.IsSequence()) return true;
  error_at(node, std::string(where) + " must be a list, got " + type_name(node));
  return false;
}

std::optional<std::string> YamlFields::scalar(const YAML::Node& map, const char* key,
                                              std::string_view where, bool required,
                                              std::string_view expected) {
  const YAML::Node value = map[key];
  if (!value.IsDefined() || value.IsNull()) {
    if (required) {
      error_at(map, "missing required field '" + join_path(where, key) + "' (" +
                        std::string(expected) + ")");
    }
    return std::nullopt;
  }
  if (!value.IsScalar()) {
    error_at(value, join_path(where, key) + " must be " + std::string(expected) + ", got " +
                        type_name(value));
    return std::nullopt;
  }
  return value.Scalar();
}

std::optional<std::string> YamlFields::string(const YAML::Node& map, const char* key,
                                              std::string_view where, bool required) {
  return scalar(map, key, where, required, "a string");
}

std::optional<int> YamlFields::integer(const YAML::Node& map, const char* key,
                                       std::string_view where, bool required) {
  const auto text = scalar(map, key, where, required, "an integer");
  if (!text) return std::nullopt;
  int value = 0;
  const auto [end, status] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (status != std::errc() || end != text->data() + text->size()) {
    error_at(map[key], join_path(where, key) + " must be an integer, got '" + *text + "'");
    return std::nullopt;
  }
  return value;
}

std::optional<bool> YamlFields::boolean(const YAML::Node& map, const char* key,
                                        std::string_view where) {
  const auto text = scalar(map, key, where, false, "true or false");
  if (!text) return std::nullopt;
  if (*text == "true") return true;
  if (*text == "false") return false;
  error_at(map[key], join_path(where, key) + " must be true or false, got '" + *text + "'");
  return std::nullopt;
}

std::optional<int> YamlFields::file_mode(const YAML::Node& map, const char* key,
                                         std::string_view where) {
  const auto text = scalar(map, key, where, false, "a file mode such as 0644");
  if (!text) return std::nullopt;
  std::string_view digits = *text;
  int base = 10;
  if (digits.starts_with("0o")) {
    digits.remove_prefix(2);
    base = 8;
  } else if (digits.size() > 1 && digits.front() == '0') {
    base = 8;
  }
  int value = 0;
  const auto [end, status] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  if (status != std::errc() || end != digits.data() + digits.size() || value < 0 || value > 07777) {
    error_at(map[key], join_path(where, key) + " must be a file mode such as 0644, got '" + *text + "'");
    return std::nullopt;
  }
  return value;
}

std::vector<std::string> YamlFields::string_list(const YAML::Node& map, const char* key,
                                                 std::string_view where) {
  std::vector<std::string> values;
  const YAML::Node list = map[key];
  if (!list.IsDefined() || list.IsNull()) return values;
  if (!expect_list(list, join_path(where, key))) return values;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (!list[i].IsScalar()) {
      error_at(list[i], indexed_path(join_path(where, key), i) + " must be a string");
      continue;
    }
    values.push_back(list[i].Scalar());
  }
  return values;
}

}  // namespace nkd::model
