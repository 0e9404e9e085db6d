#include "tests/support/test_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace nkd::testing {

namespace fs = std::filesystem;

ScratchDir::ScratchDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base ? base : "/tmp") + "/nkd-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

namespace {

std::vector<char*> to_argv(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  return argv;
}

// spdlog's default registry is a function-local static inside the library. Made here, on the
// main thread before any test starts a thread, it is never first made by two threads at once
// (the daemon makes it in its logging setup, before its threads, for the same reason).
[[maybe_unused]] const bool kLoggerMadeBeforeAnyThread = spdlog::default_logger() != nullptr;

void drain(int fd, std::string& sink) {
  std::array<char, 65536> buffer{};
  const ssize_t count = ::read(fd, buffer.data(), buffer.size());
  if (count > 0) sink.append(buffer.data(), static_cast<std::size_t>(count));
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, const std::string& cwd,
                          const std::string& stdin_data, std::chrono::seconds timeout) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe(in_pipe) != 0 || pipe(out_pipe) != 0 || pipe(err_pipe) != 0) {
    throw std::runtime_error("pipe failed");
  }
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      close(fd);
    }
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(127);
    auto args = to_argv(argv);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (!stdin_data.empty()) {
    [[maybe_unused]] auto written = ::write(in_pipe[1], stdin_data.data(), stdin_data.size());
  }
  close(in_pipe[1]);

  CommandResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::array<pollfd, 2> fds{{{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}}};
  int open_fds = 2;
  while (open_fds > 0 && std::chrono::steady_clock::now() < deadline) {
    if (poll(fds.data(), fds.size(), 100) <= 0) continue;
    for (auto& entry : fds) {
      if (entry.fd < 0 || entry.revents == 0) continue;
      std::string& sink = entry.fd == out_pipe[0] ? result.out : result.err;
      const std::size_t before = sink.size();
      drain(entry.fd, sink);
      if (sink.size() == before) {
        close(entry.fd);
        entry.fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& entry : fds) {
    if (entry.fd >= 0) close(entry.fd);
  }
  int status = 0;
  if (open_fds > 0) kill(-pid, SIGKILL);
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

CommandResult run_shell(const std::string& script, const std::string& cwd) {
  return run_command({"bash", "-euo", "pipefail", "-c", script}, cwd);
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::string& log_path,
                           const std::vector<std::string>& extra_env) {
  pid_ = fork();
  if (pid_ == 0) {
    setpgid(0, 0);
    const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log >= 0) {
      dup2(log, 1);
      dup2(log, 2);
      close(log);
    }
    const int null_in = open("/dev/null", O_RDONLY);
    if (null_in >= 0) dup2(null_in, 0);
    for (const auto& assignment : extra_env) putenv(const_cast<char*>(assignment.c_str()));
    auto args = to_argv(argv);
    execvp(args[0], args.data());
    _exit(127);
  }
  setpgid(pid_, pid_);
}

bool ChildProcess::running() {
  if (reaped_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    reaped_ = true;
    return false;
  }
  return true;
}

int ChildProcess::stop(int signal, std::chrono::milliseconds grace) {
  if (reaped_) return 0;
  kill(-pid_, signal);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      kill(-pid_, SIGKILL);  // leftovers in the group (helpers it started)
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(-pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  reaped_ = true;
  return status;
}

ChildProcess::~ChildProcess() {
  if (!reaped_) stop(SIGTERM, std::chrono::seconds(5));
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

std::string read_file(const fs::path& path) {
  std::ifstream input(path, std::ios::binary);
  std::ostringstream contents;
  contents << input.rdbuf();
  return contents.str();
}

void write_file(const fs::path& path, const std::string& contents) {
  fs::create_directories(path.parent_path());
  std::ofstream output(path, std::ios::binary | std::ios::trunc);
  output << contents;
}

void make_example_git_repo(const fs::path& destination) {
  fs::create_directories(destination);
  fs::copy(source_dir() + "/examples-repo", destination, fs::copy_options::recursive);
  const auto result = run_shell(
      "git init -q -b main . && git -c user.name=Ops -c user.email=ops@example.org add -A && "
      "git -c user.name=Ops -c user.email=ops@example.org commit -q -m 'initial clusters'",
      destination.string());
  if (result.exit_code != 0) throw std::runtime_error("git init failed: " + result.err);
}

}  // namespace nkd::testing
