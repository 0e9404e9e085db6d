#include "tests/support/ignition_runner.h"

#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

namespace nkd::testing {

namespace fs = std::filesystem;

namespace {

constexpr fs::perms kTraversable = fs::perms::owner_all | fs::perms::group_read |
                                   fs::perms::group_exec | fs::perms::others_read |
                                   fs::perms::others_exec;
constexpr fs::perms kOwnerOnly = fs::perms::owner_read | fs::perms::owner_write;

}  // namespace

bool ignition_installed() { return fs::exists(kIgnitionBinary); }

IgnitionRoot::IgnitionRoot()
    : root_(scratch_.path() / "root"),
      run_(scratch_.path() / "run"),
      applies_users_(geteuid() == 0) {
  fs::create_directories(root_ / "etc" / "selinux");
  fs::create_directories(run_);
  write_file(root_ / "etc/selinux/config", "SELINUX=disabled\nSELINUXTYPE=targeted\n");
  const fs::path stub_dir = scratch_.path() / "bin";
  fs::create_directories(stub_dir);
  write_file(stub_dir / "setfiles", "#!/bin/sh\ncat >/dev/null\nexit 0\n");
  fs::permissions(stub_dir / "setfiles", kTraversable);
  const char* path = std::getenv("PATH");
  search_path_ = stub_dir.string() + ":" + (path != nullptr ? path : "/usr/sbin:/usr/bin");
  if (applies_users_) seed_account_files();
}

void IgnitionRoot::seed_account_files() {
  // Ignition writes a user's SSH keys with that user's identity, so the new user must be able
  // to traverse the scratch directory (mkdtemp makes it 0700).
  fs::permissions(scratch_.path(), kTraversable);
  write_file(root_ / "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
  write_file(root_ / "etc/group", "root:x:0:\nwheel:x:10:\n");
  write_file(root_ / "etc/shadow", "root:*:19000:0:99999:7:::\n");
  write_file(root_ / "etc/gshadow", "root:*::\nwheel:!::\n");
  fs::permissions(root_ / "etc/shadow", kOwnerOnly);
  fs::permissions(root_ / "etc/gshadow", kOwnerOnly);
}

std::string IgnitionRoot::apply(const std::string& config_json) {
  return run_stages(config_json, {"fetch-offline", "files"}, std::chrono::seconds(120));
}

std::string IgnitionRoot::apply_online(const std::string& config_json,
                                       std::chrono::seconds fetch_timeout) {
  return run_stages(config_json, {"fetch", "files"}, fetch_timeout);
}

std::string IgnitionRoot::run_stages(const std::string& config_json,
                                     std::initializer_list<const char*> stages,
                                     std::chrono::seconds timeout) {
  auto config = nlohmann::json::parse(config_json);
  if (!applies_users_) config.erase("passwd");
  const fs::path config_path = scratch_.path() / "config.ign";
  write_file(config_path, config.dump());
  for (const char* stage : stages) {
    const CommandResult result = run_stage(stage, config_path, timeout);
    if (result.exit_code != 0) {
      return std::string("ignition stage ") + stage + " exited with " +
             std::to_string(result.exit_code) + ":\n" + result.out + result.err;
    }
  }
  return "";
}

fs::path IgnitionRoot::on_node(const std::string& absolute_path) const {
  return root_ / fs::path(absolute_path).relative_path();
}

std::string IgnitionRoot::read(const std::string& absolute_path) const {
  return read_file(on_node(absolute_path));
}

bool IgnitionRoot::needed_network() const { return fs::exists(run_ / "neednet"); }

CommandResult IgnitionRoot::run_stage(const std::string& stage, const fs::path& config,
                                      std::chrono::seconds timeout) {
  return run_command(
      {"env", "IGNITION_CONFIG_FILE=" + config.string(), "PATH=" + search_path_, kIgnitionBinary,
       "-platform", "file", "-stage", stage, "-root", root_.string(), "-config-cache",
       (run_ / "ignition.json").string(), "-state-file", (run_ / "state").string(), "-neednet",
       (run_ / "neednet").string(), "-log-to-stdout"},
      "", "", timeout);
}

}  // namespace nkd::testing
