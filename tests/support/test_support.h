// Helpers shared by the test suites: scratch directories, running commands, free loopback ports,
// and child processes that are always ended (also when a test fails).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/egress.h"

namespace nkd::testing {

// A directory under $TMPDIR removed with everything in it when the object goes.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs argv (no shell) with an optional working directory and stdin; waits at most `timeout`.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& cwd = "",
                          const std::string& stdin_data = "",
                          std::chrono::seconds timeout = std::chrono::seconds(120));
// Runs a shell snippet with bash -c; for test setup steps (git commits and the like).
CommandResult run_shell(const std::string& script, const std::string& cwd = "");

// A background process in its own process group; the destructor sends SIGTERM, then SIGKILL.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::string& log_path,
               const std::vector<std::string>& extra_env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  [[nodiscard]] pid_t pid() const { return pid_; }
  // Sends `signal` to the process group and waits for the exit; returns the wait status.
  int stop(int signal, std::chrono::milliseconds grace = std::chrono::seconds(10));
  [[nodiscard]] bool running();

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();
// Polls `condition` every 20 ms until it is true or `timeout` passes.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);
std::string read_file(const std::filesystem::path& path);
// Replaces every `from` in `text` with `to` (fixtures derived from examples-repo files).
void replace_all(std::string& text, const std::string& from, const std::string& to);
void write_file(const std::filesystem::path& path, const std::string& contents);
// Copies examples-repo into `destination` and makes it a Git repository with one commit.
void make_example_git_repo(const std::filesystem::path& destination);

// The egress allow list of every client a test makes: loopback only, as the suite's network
// rule demands.
inline CidrAllowList loopback_only() { return *CidrAllowList::parse("127.0.0.0/8,::1/128"); }

// Seconds since the Unix epoch: the "now" of certificates a test issues.
inline std::int64_t unix_now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::string source_dir() { return NKD_SOURCE_DIR; }
inline std::string nkd_binary() { return NKD_BINARY; }

}  // namespace nkd::testing
