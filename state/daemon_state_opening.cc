#include "state/daemon_state_opening.h"

#include <algorithm>
#include <filesystem>

#include "common/private_files.h"
#include "state/etcd_state_store.h"
#include "state/secret_sealer.h"

namespace nkd::state {
namespace {

namespace fs = std::filesystem;

Status check_state_modes(const std::string& path) {
  const fs::path directory = fs::path(path).parent_path();
  NKD_RETURN_IF_ERROR(check_not_shared(directory.empty() ? fs::path(".") : directory,
                                       "state directory", kSharedReadWriteBits));
  for (const char* suffix : {"", "-wal", "-shm"}) {
    NKD_RETURN_IF_ERROR(check_not_shared(path + suffix, "state file", kSharedReadWriteBits));
  }
  return ok_status();
}

std::string count_of(std::int64_t count, const char* what) {
  return std::to_string(count) + " " + what + (count == 1 ? "" : "s");
}

}  // namespace

Result<OpenedDaemonState> open_daemon_state(const StateSettings& settings, const Clock& clock) {
  NKD_ASSIGN_OR_RETURN(SecretSealer sealer, SecretSealer::from_settings(settings.encryption));
  if (settings.etcd && !sealer.seals()) {
    // etcd is replicated to every member and backed up beyond this machine: private keys are
    // never written to it in the clear.
    return Error{ErrorCode::kInvalidArgument,
                 "state.etcd needs state.encryption.keyFile: nkd never stores private keys in "
                 "etcd unsealed; make a key with `(umask 077; openssl rand -base64 32 > "
                 "/etc/nkd/state.key)` and give every replica the same file"};
  }
  // With etcd, sqlite_path still names the state directory (the Git mirror, the listener's keys).
  NKD_RETURN_IF_ERROR(check_state_modes(settings.sqlite_path));
  const std::string where =
      settings.etcd ? "etcd under " + settings.etcd->prefix : settings.sqlite_path;
  OpenedDaemonState opened;
  opened.sealer = sealer;
  opened.key_id = sealer.current_key_id();
  const std::vector<std::string> known = sealer.key_ids();
  NKD_ASSIGN_OR_RETURN(opened.store, open_state_store(settings, clock, std::move(sealer)));
  NKD_ASSIGN_OR_RETURN(const auto counts, opened.store->sealed_value_counts());
  std::int64_t plaintext = 0;
  std::int64_t under_previous_keys = 0;
  for (const auto& [key_id, count] : counts) {
    if (key_id.empty()) {
      plaintext = count;
    } else if (std::find(known.begin(), known.end(), key_id) == known.end()) {
      return Error{ErrorCode::kPermissionDenied,
                   where + " holds " + count_of(count, "value") + " sealed with state key " +
                       key_id +
                       ", which syncd.yaml's state.encryption does not name; add that key's "
                       "file to state.encryption.keyFile or previousKeyFiles"};
    } else if (key_id != opened.key_id) {
      under_previous_keys += count;
    }
  }
  if (opened.key_id.empty()) {
    opened.warnings.push_back(
        "state.encryption.keyFile is not set: the clusters' private keys and tokens are stored "
        "unencrypted in " +
        where +
        "; make a key with `(umask 077; openssl rand -base64 32 > /etc/nkd/state.key)` and name it "
        "in state.encryption.keyFile");
    return opened;
  }
  if (plaintext > 0) {
    // Values under a previous key are sealed again in the same pass.
    NKD_ASSIGN_OR_RETURN(const std::int64_t sealed, opened.store->reseal_all());
    opened.notices.push_back("sealed " + count_of(sealed, "state value") + " with state key " +
                             opened.key_id + " (" + std::to_string(plaintext) +
                             " stored before a key was given)");
  } else if (under_previous_keys > 0) {
    opened.notices.push_back(
        count_of(under_previous_keys, "state value") +
        " are sealed with a previous key; `nkd state rotate-key --config FILE` seals them with " +
        opened.key_id + ", after which the previous key files can be dropped");
  }
  return opened;
}

}  // namespace nkd::state
