// nkd: one binary for the daemon and the command-line tools (DESIGN.md §5).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "common/memory.h"

int main(int argc, char** argv) {
  // Before any thread exists: glibc fixes its arena limit when the first extra arena is made.
  nkd::limit_malloc_arenas();
  CLI::App app{
      "nkd keeps Kubernetes clusters on Ignition-configured hosts equal to what a Git repository "
      "says.\nDefinitions live in clusters/<name>/cluster.yaml; see the README for the workflow."};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print help for every subcommand");
  // `nkd --version` for help2man and packaging scripts; `nkd version` says more.
  app.set_version_flag("--version", std::string("nkd ") + NKD_VERSION);
  nkd::cli::register_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    // CLI11 uses 0 for --help; every real usage error is exit 2 as DESIGN.md §5 says.
    return code == 0 ? 0 : 2;
  }
  return nkd::cli::exit_code();
}
