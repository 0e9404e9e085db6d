// nkd state rotate-key: seals every value in the daemon's state (PKIs, published configs, and the
// listener's own key files in <state directory>/tls) again with the current key of
// state.encryption, so the previous key files can be dropped. It opens
// the state as the daemon does (state/daemon_state_opening.h): the same mode checks, and a value
// sealed with a key not given stops it before anything is written. Safe beside a running daemon
// that has the same keys: each value is rewritten in one transaction the daemon waits for.
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/daemon_state_options.h"
#include "common/clock.h"
#include "state/daemon_state_opening.h"
#include "syncd/listener_tls.h"

namespace nkd::cli {
namespace {

Result<std::string> rotate_key(const DaemonStateOptions& options) {
  NKD_ASSIGN_OR_RETURN(auto resolved, options.resolve(/*need_ignition_url=*/false));
  if (resolved.encryption.key_file.empty()) {
    return Error{ErrorCode::kInvalidArgument,
                 "no state key to seal with: set state.encryption.keyFile in " +
                     (options.config.empty() ? std::string("syncd.yaml") : options.config) +
                     " (or pass --state-key-file NEW with --state)"};
  }
  std::error_code error;
  if (!resolved.etcd && !std::filesystem::exists(resolved.state_path, error)) {
    return Error{ErrorCode::kNotFound, "state file " + resolved.state_path + " does not exist"};
  }
  const state::StateSettings settings{
      .sqlite_path = resolved.state_path, .encryption = resolved.encryption, .etcd = resolved.etcd};
  NKD_ASSIGN_OR_RETURN(auto opened, state::open_daemon_state(settings, real_clock()));
  std::string output;
  for (const auto& line : opened.notices) output += line + "\n";
  NKD_ASSIGN_OR_RETURN(const std::int64_t resealed, opened.store->reseal_all());
  const std::string directory = std::filesystem::path(resolved.state_path).parent_path().string();
  NKD_ASSIGN_OR_RETURN(
      const int listener_files,
      syncd::reseal_listener_files(directory.empty() ? "." : directory, opened.sealer));
  NKD_ASSIGN_OR_RETURN(const auto counts, opened.store->sealed_value_counts());
  std::int64_t total = 0;
  for (const auto& [key_id, count] : counts) {
    total += count;
    if (key_id != opened.key_id) {
      // A daemon still running with the old keyFile seals with it: dropping that key now
      // would lose those values, the clusters' CA keys among them.
      return Error{ErrorCode::kConflict,
                   std::to_string(count) + " value(s) are still sealed with key " +
                       (key_id.empty() ? std::string("none (plaintext)") : key_id) +
                       " after resealing: a daemon still runs with the previous keyFile. Keep "
                       "every key file, restart the daemon with keyFile set to the new key, then "
                       "run this command again"};
    }
  }
  output += "sealed " + std::to_string(resealed) + " value" + (resealed == 1 ? "" : "s") + " and " +
            std::to_string(listener_files) + " listener key file(s) again; all " +
            std::to_string(total) + " stored values are sealed with key " + opened.key_id + ".\n";
  if (!resolved.encryption.previous_key_files.empty()) {
    output +=
        "The previous key files are no longer needed: remove them from "
        "state.encryption.previousKeyFiles (then restart the daemon) and destroy them.\n";
  }
  return output;
}

}  // namespace

void add_state_commands(CLI::App& app) {
  auto* state = app.add_subcommand("state", "Work on the daemon's state file");
  state->require_subcommand(1);
  auto options = std::make_shared<DaemonStateOptions>();
  auto* rotate = state->add_subcommand(
      "rotate-key",
      "Seal every private key, token and published config in the state again with the current\n"
      "key of state.encryption (keyFile), opening them with it or any of previousKeyFiles.\n"
      "To rotate: make a new key (umask 077; openssl rand -base64 32 > NEW), set keyFile: NEW\n"
      "and move the old file to previousKeyFiles, restart the daemon, run this command, then\n"
      "drop the old file. Also seals values stored before any key was set. Exit 0 when every\n"
      "value is sealed with the current key, 1 otherwise (keep the old key files then), 2 on\n"
      "usage errors.");
  options->add_to(*rotate, /*with_ignition_url=*/false);
  rotate->callback([options] {
    auto output = rotate_key(*options);
    if (!output) {
      std::cerr << "nkd state rotate-key: " << output.error().message << "\n";
      set_exit_code(exit_code_for(output.error()));
      return;
    }
    std::cout << *output;
    set_exit_code(0);
  });
}

}  // namespace nkd::cli
