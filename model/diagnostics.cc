#include "model/diagnostics.h"

#include <algorithm>
#include <tuple>

#include "common/utf8.h"

namespace nkd::model {

namespace {
const char* severity_name(Severity severity) {
  return severity == Severity::kError ? "error" : "warning";
}
}  // namespace

std::string format(const Diagnostic& diagnostic) {
  std::string text = diagnostic.path;
  if (diagnostic.line > 0) {
    text += ":" + std::to_string(diagnostic.line) + ":" + std::to_string(diagnostic.column);
  }
  text += ": ";
  text += severity_name(diagnostic.severity);
  text += ": " + diagnostic.message;
  return text;
}

void sort_diagnostics(std::vector<Diagnostic>& diagnostics) {
  std::stable_sort(diagnostics.begin(), diagnostics.end(),
                   [](const Diagnostic& left, const Diagnostic& right) {
                     return std::tie(left.path, left.line, left.column, left.message) <
                            std::tie(right.path, right.line, right.column, right.message);
                   });
}

bool has_errors(const std::vector<Diagnostic>& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& diagnostic) {
    return diagnostic.severity == Severity::kError;
  });
}

nlohmann::json to_json(const std::vector<Diagnostic>& diagnostics) {
  nlohmann::json array = nlohmann::json::array();
  for (const Diagnostic& diagnostic : diagnostics) {
    // Diagnostics quote the repository; its bytes must never make the JSON library throw.
    array.push_back({{"path", replace_invalid_utf8(diagnostic.path)},
                     {"line", diagnostic.line},
                     {"column", diagnostic.column},
                     {"severity", severity_name(diagnostic.severity)},
                     {"message", replace_invalid_utf8(diagnostic.message)}});
  }
  return array;
}

}  // namespace nkd::model
