#include "cli/daemon_state_options.h"

#include <filesystem>

#include "state/etcd_state_store.h"
#include "syncd/config.h"

namespace nkd::cli {

void DaemonStateOptions::add_to(CLI::App& command, bool with_ignition_url) {
  auto* config_option = command.add_option(
      "--config", config,
      "The daemon's syncd.yaml (e.g. /etc/nkd/syncd.yaml): its state.sqlite or state.etcd is the "
      "state, its publicURL the base of the URL");
  auto* state_option = command.add_option(
      "--state", state, "A state file instead (the daemon's state.sqlite or `nkd render --state`)");
  config_option->excludes(state_option);
  add_state_key_file_option(command, state_key_files)->excludes(config_option);
  if (with_ignition_url) {
    command
        .add_option("--ignition-url", ignition_url,
                    "With --state: the base URL nodes fetch configs from (the daemon's publicURL)")
        ->excludes(config_option);
  }
}

Result<DaemonStateOptions::Resolved> DaemonStateOptions::resolve(bool need_ignition_url) const {
  if (config.empty() && state.empty()) {
    return Error{ErrorCode::kInvalidArgument,
                 "say which state to use: --config /etc/nkd/syncd.yaml (the daemon's) or "
                 "--state FILE"};
  }
  Resolved resolved;
  if (!config.empty()) {
    NKD_ASSIGN_OR_RETURN_WRAP(auto loaded, syncd::load_daemon_config(config), "reading " + config);
    resolved.etcd = loaded.state.etcd;
    if (!resolved.etcd && loaded.state.sqlite_path.empty()) {
      return Error{ErrorCode::kInvalidArgument,
                   config + " names no SQLite state file (state.sqlite); pass --state FILE"};
    }
    resolved.state_path = loaded.state.sqlite_path;
    resolved.encryption = loaded.state.encryption;
    resolved.ignition_base_url = loaded.public_url;
  } else {
    resolved.state_path = state;
    resolved.encryption = state::EncryptionSettings::from_key_files(state_key_files);
    resolved.ignition_base_url = ignition_url;
    if (need_ignition_url && ignition_url.empty()) {
      return Error{ErrorCode::kInvalidArgument,
                   "with --state, pass --ignition-url URL: the base URL nodes reach the daemon "
                   "at (publicURL in its syncd.yaml), or use --config instead"};
    }
  }
  while (!resolved.ignition_base_url.empty() && resolved.ignition_base_url.back() == '/') {
    resolved.ignition_base_url.pop_back();
  }
  return resolved;
}

CLI::Option* add_state_key_file_option(CLI::App& command, std::vector<std::string>& files) {
  return command.add_option(
      "--state-key-file", files,
      "With --state: a key file of the daemon's state.encryption; the first seals, later ones "
      "only open (repeat the flag for keys being rotated out)");
}

Result<std::unique_ptr<state::SqliteStateStore>> open_existing_state(
    const std::string& path, const state::EncryptionSettings& encryption, bool writable) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return Error{ErrorCode::kNotFound,
                 "state file " + path + " does not exist; pass the file the daemon or " +
                     "`nkd render --state` wrote (run as the user that owns it)"};
  }
  NKD_ASSIGN_OR_RETURN(auto sealer, state::SecretSealer::from_settings(encryption));
  return writable ? state::SqliteStateStore::open(path, real_clock(), std::move(sealer))
                  : state::SqliteStateStore::open_read_only(path, real_clock(), std::move(sealer));
}

std::string DaemonStateOptions::Resolved::state_name() const {
  if (!etcd) return state_path;
  return "etcd " + etcd->endpoints.front() + " under " + etcd->prefix;
}

Result<std::unique_ptr<state::StateStore>> open_resolved_state(
    const DaemonStateOptions::Resolved& resolved, bool writable) {
  if (resolved.etcd) {
    NKD_ASSIGN_OR_RETURN(auto sealer, state::SecretSealer::from_settings(resolved.encryption));
    return state::open_etcd_state_store(*resolved.etcd, real_clock(), std::move(sealer));
  }
  NKD_ASSIGN_OR_RETURN(auto store,
                       open_existing_state(resolved.state_path, resolved.encryption, writable));
  return std::unique_ptr<state::StateStore>(std::move(store));
}

int exit_code_for(const Error& error) { return error.code == ErrorCode::kInvalidArgument ? 2 : 1; }

}  // namespace nkd::cli
