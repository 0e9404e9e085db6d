// Diagnostics: every problem found in a repository's definitions, as `path:line:col: severity:
// message` (lines and columns start at 1). A commit with any error is rejected as a whole.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace nkd::model {

enum class Severity { kError, kWarning };

struct Diagnostic {
  std::string path;
  int line = 0;    // 0: the whole file
  int column = 0;
  Severity severity = Severity::kError;
  std::string message;

  bool operator==(const Diagnostic&) const = default;
};

std::string format(const Diagnostic& diagnostic);
// Sorted by path, line, column, then message: a stable order for humans and golden files.
void sort_diagnostics(std::vector<Diagnostic>& diagnostics);
bool has_errors(const std::vector<Diagnostic>& diagnostics);
nlohmann::json to_json(const std::vector<Diagnostic>& diagnostics);

}  // namespace nkd::model
