// The subcommands of `nkd`. Each add_*_command registers its flags and a callback that sets the
// process exit code (DESIGN.md §5: 0 ok, 1 invalid or failing, 2 usage).
#pragma once

#include <CLI/CLI.hpp>

namespace nkd::cli {

void register_commands(CLI::App& app);
int exit_code();
void set_exit_code(int code);

void add_version_command(CLI::App& app);
void add_validate_command(CLI::App& app);
void add_render_command(CLI::App& app);
void add_plan_command(CLI::App& app);
void add_syncd_command(CLI::App& app);
void add_status_commands(CLI::App& app);
void add_kubeconfig_command(CLI::App& app);
void add_node_token_commands(CLI::App& app);
void add_state_commands(CLI::App& app);
void add_operator_commands(CLI::App& app);

}  // namespace nkd::cli
