// The --repo/--rev/--worktree flags shared by validate, render and plan, and how they pick a
// TreeReader: a Git repository's commit (default HEAD), or a plain directory's files.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "model/tree_reader.h"

namespace nkd::cli {

struct RepositoryOptions {
  std::string repo = ".";
  std::string rev;  // empty: HEAD for a repository
  bool worktree = false;

  void add_to(CLI::App& command, bool with_rev = true);
  // kInvalidArgument for usage errors (exit 2): --rev on a plain directory, --rev with --worktree.
  [[nodiscard]] Result<std::unique_ptr<model::TreeReader>> open() const;
  [[nodiscard]] Result<std::unique_ptr<model::TreeReader>> open_revision(const std::string& revision) const;
};

}  // namespace nkd::cli
