// Applies an Ignition config with the real Ignition binary (Debian's initramfs build, 2.14) to a
// scratch root, the way a booting node applies it, so tests can look at the tree it writes.
//
// How it runs: `-platform file` reads the config from $IGNITION_CONFIG_FILE. The `fetch-offline`
// stage fetches it, writes the cache (-config-cache) and, had the config needed the network, the
// -neednet flag file; the `files` stage then reads the cache and writes files, units, drop-ins,
// users and systemd presets under -root. Everything is redirected into the scratch directory.
//
// What cannot run here, and how the root is prepared for it:
// - SELinux relabeling: the files stage ends by running `setfiles` against the target's SELinux
//   policy (after reading <root>/etc/selinux/config). A scratch root has no policy and
//   policycoreutils is not installed, so the root gets an /etc/selinux/config and a stub
//   `setfiles` comes first on PATH that consumes the path list. File labels are not verified.
// - Users: Ignition calls `useradd --root <root>`, which chroots and therefore needs root. As root
//   the root is seeded with a minimal passwd/group (with wheel)/shadow/gshadow; unprivileged, the
//   config's `passwd` section is dropped and only files are applied.
// - Presets: Ignition only writes /etc/systemd/system-preset/20-ignition.preset; applying it
//   (systemctl preset at first boot) needs the target's systemd as PID 1.
// - The disks, mount and kargs stages need block devices or a bootloader and are not run (a
//   rendered config has no storage.disks, filesystems or kernelArguments).
// - Ignition still reads the host's /usr/lib/ignition/{base.d,user.ign}; both are absent here.
//
// One object per config: a second apply() would see the first one's files. Not thread-safe.
#pragma once

#include <chrono>
#include <filesystem>
#include <initializer_list>
#include <string>

#include "tests/support/test_support.h"

namespace nkd::testing {

inline constexpr const char* kIgnitionBinary = "/usr/lib/dracut/modules.d/30ignition/ignition";

[[nodiscard]] bool ignition_installed();

class IgnitionRoot {
 public:
  IgnitionRoot();

  // Runs fetch-offline, then files. Returns "" on success, else which stage failed with
  // Ignition's output.
  [[nodiscard]] std::string apply(const std::string& config_json);
  // For a config that fetches another over the network (a pointer config): runs fetch, as a
  // node does once its network is up, then files. Ignition retries a failed fetch without end,
  // so the fetch stage is killed after `fetch_timeout`. Same result as apply().
  [[nodiscard]] std::string apply_online(const std::string& config_json,
                                         std::chrono::seconds fetch_timeout);

  // The target root, and a file in it by its absolute path on the node ("/etc/hostname").
  [[nodiscard]] const std::filesystem::path& root() const { return root_; }
  [[nodiscard]] std::filesystem::path on_node(const std::string& absolute_path) const;
  [[nodiscard]] std::string read(const std::string& absolute_path) const;

  // Whether users were applied (running as root) or dropped from the config.
  [[nodiscard]] bool applies_users() const { return applies_users_; }
  // Whether the fetch-offline stage found that the config needs the network.
  [[nodiscard]] bool needed_network() const;

 private:
  void seed_account_files();
  CommandResult run_stage(const std::string& stage, const std::filesystem::path& config,
                          std::chrono::seconds timeout = std::chrono::seconds(120));
  std::string run_stages(const std::string& config_json, std::initializer_list<const char*> stages,
                         std::chrono::seconds timeout);

  ScratchDir scratch_;
  std::filesystem::path root_;
  std::filesystem::path run_;
  std::string search_path_;
  bool applies_users_ = false;
};

}  // namespace nkd::testing
