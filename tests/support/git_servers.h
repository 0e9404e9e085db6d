// Real Git servers on 127.0.0.1 for tests, each stopped (process group killed) when the object
// goes: `git daemon` (git://), `git http-backend` behind lighttpd with basic auth (smart HTTP),
// and an OpenSSH `sshd` with key-only auth (ssh://). Plus a bare repository with a work clone to
// commit and push from, and a TCP listener that only counts accepted connections.
// Each server lives in a ScratchDir of its own; ports come from free_port().
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "tests/support/test_support.h"

namespace nkd::testing {

// A bare repository `<root>/<name>` and a work clone to make commits in.
class GitRepoFixture {
 public:
  GitRepoFixture(const std::filesystem::path& root, const std::string& name);
  // Writes `files` (path -> contents, "" deletes), commits on the current branch and pushes it
  // (force when `force`); returns the new commit id.
  std::string commit(const std::vector<std::pair<std::string, std::string>>& files,
                     const std::string& message);
  // Runs a shell snippet in the work clone (asserting success); returns its stdout.
  std::string git(const std::string& script);
  [[nodiscard]] const std::filesystem::path& bare_path() const { return bare_; }
  [[nodiscard]] const std::filesystem::path& work_path() const { return work_; }

 private:
  std::filesystem::path bare_;
  std::filesystem::path work_;
};

// git daemon --export-all over `base_path`, verbose log in its scratch dir.
class GitDaemonServer {
 public:
  explicit GitDaemonServer(const std::filesystem::path& base_path);
  [[nodiscard]] std::string url(const std::string& repository) const;
  [[nodiscard]] int port() const { return port_; }
  // Connections the daemon has logged so far.
  [[nodiscard]] int connection_count() const;

 private:
  ScratchDir dir_;
  int port_;
  std::unique_ptr<ChildProcess> process_;
};

// lighttpd + git-http-backend (CGI) with basic auth for one user, serving `base_path` at /git/.
class GitHttpServer {
 public:
  GitHttpServer(const std::filesystem::path& base_path, const std::string& user,
                const std::string& password);
  [[nodiscard]] std::string url(const std::string& repository) const;
  // Lines of the access log (one per request).
  [[nodiscard]] std::string access_log() const;

 private:
  ScratchDir dir_;
  int port_;
  std::unique_ptr<ChildProcess> process_;
};

// sshd on 127.0.0.1 with its own host key; root logs in with client_key() only.
class SshServer {
 public:
  SshServer();
  [[nodiscard]] std::string url(const std::filesystem::path& repository) const;
  [[nodiscard]] std::string client_key() const { return (dir_.path() / "client_key").string(); }
  // A known_hosts file listing this server's real host key.
  [[nodiscard]] std::string known_hosts() const { return (dir_.path() / "known_hosts").string(); }
  // A known_hosts file listing a different key for the same host and port.
  [[nodiscard]] std::string wrong_known_hosts() const {
    return (dir_.path() / "known_hosts_wrong").string();
  }
  [[nodiscard]] std::string log() const { return read_file(dir_.path() / "sshd.log"); }

 private:
  ScratchDir dir_;
  int port_;
  std::unique_ptr<ChildProcess> process_;
};

// Listens on 127.0.0.1:<free port>, accepts and closes connections, counting them.
class CountingListener {
 public:
  CountingListener();
  ~CountingListener();
  CountingListener(const CountingListener&) = delete;
  CountingListener& operator=(const CountingListener&) = delete;
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] int accepted() const { return accepted_.load(); }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// True once something accepts TCP connections on 127.0.0.1:port.
bool port_open(int port);

}  // namespace nkd::testing
