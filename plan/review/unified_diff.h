// unified_diff: the `diff -u` form of two texts, for reviewing rendered configs in a plan.
// Pure and deterministic. Lines are compared whole; a missing final newline is not reported.
#pragma once

#include <string>
#include <string_view>

namespace nkd::plan {

// The hunks (with `context_lines` of context) that turn `before` into `after`, under the header
// lines "--- <before_label>" and "+++ <after_label>". Empty when the texts are equal.
[[nodiscard]] std::string unified_diff(std::string_view before, std::string_view after,
                                       std::string_view before_label, std::string_view after_label,
                                       int context_lines = 3);

}  // namespace nkd::plan
