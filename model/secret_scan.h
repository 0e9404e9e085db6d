// Key material in the definitions repository: whoever can read the repository (every clone, every
// CI job, every fork) can read it. nkd keeps cluster PKI in its state store; a private key or a
// state database committed next to the definitions is almost always a mistake worth a warning.
#pragma once

#include <vector>

#include "model/diagnostics.h"
#include "model/tree_reader.h"

namespace nkd::model {

// How many files one scan reads at most: a repository of definitions is far smaller, and a scan
// of something else must still end.
inline constexpr std::size_t kMaxFilesScannedForSecrets = 20000;

// Warnings, one per file, for PEM private keys (at the line of their BEGIN) and SQLite databases
// (nkd's state among them), anywhere in `tree` outside `.git/`.
[[nodiscard]] std::vector<Diagnostic> find_key_material(const TreeReader& tree);

}  // namespace nkd::model
