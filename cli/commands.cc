#include "cli/commands.h"

#include <git2.h>
#include <openssl/opensslv.h>
#include <sqlite3.h>
#include <yaml-cpp/yaml.h>

#include <iostream>

#include "build_commit.h"  // generated: NKD_COMMIT

#ifndef NKD_VERSION
#define NKD_VERSION "0.0.0"
#endif

namespace nkd::cli {
namespace {
int g_exit_code = 0;
}  // namespace

int exit_code() { return g_exit_code; }
void set_exit_code(int code) { g_exit_code = code; }

void register_commands(CLI::App& app) {
  add_version_command(app);
  add_validate_command(app);
  add_render_command(app);
  add_plan_command(app);
  add_syncd_command(app);
  add_status_commands(app);
  add_operator_commands(app);
  add_kubeconfig_command(app);
  add_node_token_commands(app);
  add_state_commands(app);
}

void add_version_command(CLI::App& app) {
  auto* command = app.add_subcommand("version", "Print nkd's version, commit and library versions");
  command->callback([] {
    int git_major = 0, git_minor = 0, git_patch = 0;
    git_libgit2_version(&git_major, &git_minor, &git_patch);
    std::cout << "nkd " << NKD_VERSION << " (commit " << NKD_COMMIT << ")\n"
              << "libgit2 " << git_major << '.' << git_minor << '.' << git_patch << "\n"
              << OPENSSL_VERSION_TEXT << "\n"
              << "SQLite " << sqlite3_libversion() << "\n";
    set_exit_code(0);
  });
}

}  // namespace nkd::cli
