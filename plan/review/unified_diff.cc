#include "plan/review/unified_diff.h"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace nkd::plan {

namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    if (end == std::string_view::npos) {
      lines.push_back(text);
      break;
    }
    lines.push_back(text.substr(0, end));
    text.remove_prefix(end + 1);
  }
  return lines;
}

// 4 Mi cells of 8 bytes: 32 MiB at most for one diff.
constexpr std::size_t kMaxTableCells = 4u << 20;

// One line of the edit script: ' ' kept, '-' only in before, '+' only in after.
struct EditLine {
  char kind;
  std::string_view text;
  std::size_t before_line;  // 0-based positions, for hunk headers
  std::size_t after_line;
};

// Longest-common-subsequence edit script. The common prefix and suffix are trimmed first, so the
// quadratic table covers only the changed middle, which is small for configs that differ a little.
std::vector<EditLine> edit_script(const std::vector<std::string_view>& before,
                                  const std::vector<std::string_view>& after) {
  std::size_t prefix = 0;
  while (prefix < before.size() && prefix < after.size() && before[prefix] == after[prefix]) ++prefix;
  std::size_t suffix = 0;
  while (suffix < before.size() - prefix && suffix < after.size() - prefix &&
         before[before.size() - 1 - suffix] == after[after.size() - 1 - suffix]) {
    ++suffix;
  }
  const std::size_t rows = before.size() - prefix - suffix;
  const std::size_t columns = after.size() - prefix - suffix;
  std::vector<EditLine> script;
  for (std::size_t k = 0; k < prefix; ++k) script.push_back({' ', before[k], k, k});
  if (rows * columns > kMaxTableCells) {
    // Too large to align line by line within bounded memory: the middle is shown as replaced.
    for (std::size_t i = 0; i < rows; ++i) script.push_back({'-', before[prefix + i], prefix + i, prefix});
    for (std::size_t j = 0; j < columns; ++j) {
      script.push_back({'+', after[prefix + j], prefix + rows, prefix + j});
    }
    for (std::size_t k = 0; k < suffix; ++k) {
      script.push_back({' ', before[before.size() - suffix + k], before.size() - suffix + k,
                        after.size() - suffix + k});
    }
    return script;
  }
  // common[i][j]: LCS length of before[prefix+i..] and after[prefix+j..] within the middle.
  std::vector<std::vector<std::size_t>> common(rows + 1, std::vector<std::size_t>(columns + 1, 0));
  for (std::size_t i = rows; i-- > 0;) {
    for (std::size_t j = columns; j-- > 0;) {
      common[i][j] = before[prefix + i] == after[prefix + j]
                         ? common[i + 1][j + 1] + 1
                         : std::max(common[i + 1][j], common[i][j + 1]);
    }
  }
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < rows || j < columns) {
    const std::size_t b = prefix + i;
    const std::size_t a = prefix + j;
    if (i < rows && j < columns && before[b] == after[a]) {
      script.push_back({' ', before[b], b, a});
      ++i, ++j;
    } else if (i < rows && (j == columns || common[i + 1][j] >= common[i][j + 1])) {
      script.push_back({'-', before[b], b, a});  // removals first, as diff -u prints them
      ++i;
    } else {
      script.push_back({'+', after[a], b, a});
      ++j;
    }
  }
  for (std::size_t k = 0; k < suffix; ++k) {
    script.push_back({' ', before[before.size() - suffix + k], before.size() - suffix + k,
                      after.size() - suffix + k});
  }
  return script;
}

std::string hunk_range(std::size_t start, std::size_t count) {
  // diff -u numbers lines from 1, and an empty range names the line before it.
  const std::size_t first = count == 0 ? start : start + 1;
  return std::to_string(first) + (count == 1 ? "" : "," + std::to_string(count));
}

}  // namespace

std::string unified_diff(std::string_view before, std::string_view after,
                         std::string_view before_label, std::string_view after_label,
                         int context_lines) {
  if (before == after) return "";
  const auto script = edit_script(split_lines(before), split_lines(after));
  const std::size_t context = static_cast<std::size_t>(std::max(context_lines, 0));
  std::string out = "--- " + std::string(before_label) + "\n+++ " + std::string(after_label) + "\n";
  std::size_t index = 0;
  while (index < script.size()) {
    while (index < script.size() && script[index].kind == ' ') ++index;
    if (index == script.size()) break;
    // A hunk runs from `context` lines before this change to `context` lines after the last
    // change that is no more than 2 * context unchanged lines away.
    const std::size_t start = index >= context ? index - context : 0;
    std::size_t end = index;
    std::size_t unchanged_run = 0;
    for (std::size_t k = index; k < script.size(); ++k) {
      if (script[k].kind == ' ') {
        if (++unchanged_run > 2 * context) break;
      } else {
        unchanged_run = 0;
        end = k;
      }
    }
    const std::size_t stop = std::min(script.size(), end + 1 + context);
    std::size_t before_count = 0;
    std::size_t after_count = 0;
    for (std::size_t k = start; k < stop; ++k) {
      before_count += script[k].kind != '+';
      after_count += script[k].kind != '-';
    }
    out += "@@ -" + hunk_range(script[start].before_line, before_count) + " +" +
           hunk_range(script[start].after_line, after_count) + " @@\n";
    for (std::size_t k = start; k < stop; ++k) {
      out += script[k].kind;
      out += script[k].text;
      out += '\n';
    }
    index = stop;
  }
  return out;
}

}  // namespace nkd::plan
