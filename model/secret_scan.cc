#include "model/secret_scan.h"

#include <algorithm>
#include <deque>
#include <string_view>

#include "model/limits.h"

namespace nkd::model {
namespace {

constexpr std::string_view kSqliteHeader{"SQLite format 3\0", 16};

bool has_database_name(std::string_view path) {
  for (std::string_view suffix : {".db", ".db-wal", ".db-journal", ".sqlite", ".sqlite3"}) {
    if (path.ends_with(suffix)) return true;
  }
  return false;
}

// The 1-based line of the first PEM private key block, or 0.
int private_key_line(std::string_view content) {
  std::size_t from = 0;
  while ((from = content.find("-----BEGIN ", from)) != std::string_view::npos) {
    const std::size_t line_end = content.find('\n', from);
    const std::string_view label = content.substr(from, line_end - from);
    if (label.find("PRIVATE KEY-----") != std::string_view::npos) {
      return 1 + static_cast<int>(std::count(content.begin(), content.begin() + from, '\n'));
    }
    from += 11;
  }
  return 0;
}

Diagnostic warning(const std::string& path, int line, const std::string& what) {
  return Diagnostic{.path = path,
                    .line = line,
                    .column = line > 0 ? 1 : 0,
                    .severity = Severity::kWarning,
                    .message = what +
                               " in the repository: anyone who can read it has the key; remove it "
                               "(also from the history) and replace the key. nkd keeps cluster "
                               "keys in its state store, which belongs outside the repository"};
}

}  // namespace

std::vector<Diagnostic> find_key_material(const TreeReader& tree) {
  std::vector<Diagnostic> found;
  std::deque<std::string> directories{""};
  std::size_t files_read = 0;
  while (!directories.empty() && files_read < kMaxFilesScannedForSecrets) {
    const std::string directory = std::move(directories.front());
    directories.pop_front();
    const Result<std::vector<std::string>> names = tree.list(directory);
    if (!names) continue;  // the loader reports unreadable definitions; this scan only warns
    for (const std::string& name : *names) {
      const std::string path = directory + name;
      if (path == ".git/") continue;
      if (name.ends_with('/')) {
        directories.push_back(path);
        continue;
      }
      if (++files_read > kMaxFilesScannedForSecrets) break;
      const Result<std::string> content = tree.read(path, kMaxSourceFileBytes);
      if (!content) {
        if (has_database_name(path)) found.push_back(warning(path, 0, "a database file"));
        continue;
      }
      if (content->starts_with(kSqliteHeader)) {
        found.push_back(warning(path, 0, "an SQLite database (nkd's state holds private keys)"));
      } else if (const int line = private_key_line(*content); line > 0) {
        found.push_back(warning(path, line, "a PEM private key"));
      }
    }
  }
  sort_diagnostics(found);
  return found;
}

}  // namespace nkd::model
