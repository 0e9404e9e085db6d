// The --config/--state/--ignition-url flags of the commands that work on a daemon's state file
// (nkd node-url, nkd rotate-node-tokens). The state is the daemon's own config (--config:
// its state.sqlite or state.etcd, and publicURL), or a state file named with --state and the URL
// nodes fetch from with --ignition-url. Nothing is guessed: a command without either is a usage
// error, as a token printed from the wrong file would not open anything, and a rotation written to
// the wrong file would revoke nothing.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "state/sqlite_state_store.h"
#include "state/state_settings.h"
#include "state/state_store.h"

namespace nkd::cli {

struct DaemonStateOptions {
  std::string config;
  std::string state;
  std::vector<std::string> state_key_files;
  std::string ignition_url;

  // Adds the flags; --ignition-url only when `with_ignition_url`.
  void add_to(CLI::App& command, bool with_ignition_url);

  struct Resolved {
    std::string state_path;
    // The keys that open the state's sealed values: syncd.yaml's state.encryption, or
    // --state-key-file.
    state::EncryptionSettings encryption;
    std::optional<state::EtcdSettings> etcd;  // the daemon's state.etcd, which wins
    std::string ignition_base_url;            // without a trailing '/'; empty unless asked for

    // Where the state is, for messages: the file, or etcd's first endpoint and the prefix.
    [[nodiscard]] std::string state_name() const;
  };
  // kInvalidArgument for usage errors (exit 2); the config file's own problems are kParse/kIo.
  [[nodiscard]] Result<Resolved> resolve(bool need_ignition_url) const;
};

// --state-key-file, for the commands that read a state file named by --state: the key files that
// open its sealed values (the first also seals). Repeatable.
CLI::Option* add_state_key_file_option(CLI::App& command, std::vector<std::string>& files);

// Opens the state file at `path`, which must exist (a missing file is kNotFound naming it, never
// a new empty database), with the keys of `encryption`. Read-only unless `writable`.
[[nodiscard]] Result<std::unique_ptr<state::SqliteStateStore>> open_existing_state(
    const std::string& path, const state::EncryptionSettings& encryption, bool writable);

// The state `resolved` names, with its keys: the daemon's etcd (checked to answer), or the
// existing file as open_existing_state opens it.
[[nodiscard]] Result<std::unique_ptr<state::StateStore>> open_resolved_state(
    const DaemonStateOptions::Resolved& resolved, bool writable);

// The exit code for an error of the commands above: 2 for usage, 1 for everything else.
[[nodiscard]] int exit_code_for(const Error& error);

}  // namespace nkd::cli
