#include "tests/support/git_servers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <sstream>

namespace nkd::testing {

namespace {

constexpr auto kStartTimeout = std::chrono::seconds(15);

void must(const CommandResult& result, const std::string& what) {
  if (result.exit_code != 0) {
    ADD_FAILURE() << what << " failed (" << result.exit_code << "): " << result.out << result.err;
  }
}

std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

void wait_for_port(int port, const std::string& what, const std::filesystem::path& log) {
  if (!wait_until([&] { return port_open(port); }, kStartTimeout)) {
    ADD_FAILURE() << what << " did not start on port " << port << ": " << read_file(log);
  }
}

}  // namespace

bool port_open(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool open = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return open;
}

GitRepoFixture::GitRepoFixture(const std::filesystem::path& root, const std::string& name)
    : bare_(root / name), work_(root / (name + ".work")) {
  must(run_shell("git init -q --bare -b main " + quoted(bare_.string()) +
                 " && git init -q -b main " + quoted(work_.string()) + " && cd " +
                 quoted(work_.string()) + " && git remote add origin " + quoted(bare_.string())),
       "creating repository " + name);
}

std::string GitRepoFixture::git(const std::string& script) {
  const std::string env =
      "export GIT_AUTHOR_NAME=Ops GIT_AUTHOR_EMAIL=ops@example.org GIT_COMMITTER_NAME=Ops "
      "GIT_COMMITTER_EMAIL=ops@example.org; ";
  auto result = run_shell(env + script, work_.string());
  must(result, "git: " + script);
  return result.out;
}

std::string GitRepoFixture::commit(const std::vector<std::pair<std::string, std::string>>& files,
                                   const std::string& message) {
  for (const auto& [path, contents] : files) {
    const auto full = work_ / path;
    if (contents.empty()) {
      std::filesystem::remove(full);
      continue;
    }
    std::filesystem::create_directories(full.parent_path());
    write_file(full, contents);
  }
  git("git add -A && git commit -q --allow-empty -m " + quoted(message) +
      " && git push -q -f origin HEAD");
  std::string head = git("git rev-parse HEAD");
  while (!head.empty() && head.back() == '\n') head.pop_back();
  return head;
}

GitDaemonServer::GitDaemonServer(const std::filesystem::path& base_path) : port_(free_port()) {
  const auto log = dir_.path() / "daemon.log";
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"git", "daemon", "--listen=127.0.0.1",
                               "--port=" + std::to_string(port_),
                               "--base-path=" + base_path.string(), "--export-all", "--reuseaddr",
                               "--verbose", "--informative-errors", base_path.string()},
      log.string());
  wait_for_port(port_, "git daemon", log);
}

std::string GitDaemonServer::url(const std::string& repository) const {
  return "git://127.0.0.1:" + std::to_string(port_) + "/" + repository;
}

int GitDaemonServer::connection_count() const {
  std::stringstream lines(read_file(dir_.path() / "daemon.log"));
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    if (line.find("Connection from") != std::string::npos) ++count;
  }
  return count;
}

GitHttpServer::GitHttpServer(const std::filesystem::path& base_path, const std::string& user,
                             const std::string& password)
    : port_(free_port()) {
  const auto& dir = dir_.path();
  write_file(dir / "users", user + ":" + password + "\n");
  write_file(dir / "lighttpd.conf",
             "server.modules = (\"mod_alias\", \"mod_setenv\", \"mod_cgi\", \"mod_auth\",\n"
             "  \"mod_authn_file\", \"mod_accesslog\")\n"
             "server.document-root = \"" + dir.string() + "\"\n"
             "server.bind = \"127.0.0.1\"\n"
             "server.port = " + std::to_string(port_) + "\n"
             "server.errorlog = \"" + (dir / "error.log").string() + "\"\n"
             "accesslog.filename = \"" + (dir / "access.log").string() + "\"\n"
             "alias.url = (\"/git\" => \"/usr/lib/git-core/git-http-backend\")\n"
             "$HTTP[\"url\"] =~ \"^/git\" {\n"
             "  cgi.assign = (\"\" => \"\")\n"
             "  setenv.add-environment = (\"GIT_PROJECT_ROOT\" => \"" + base_path.string() +
             "\", \"GIT_HTTP_EXPORT_ALL\" => \"1\")\n"
             "}\n"
             "auth.backend = \"plain\"\n"
             "auth.backend.plain.userfile = \"" + (dir / "users").string() + "\"\n"
             "auth.require = (\"/git\" => (\"method\" => \"basic\", \"realm\" => \"git\",\n"
             "  \"require\" => \"valid-user\"))\n");
  const auto log = dir / "lighttpd.log";
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"/usr/sbin/lighttpd", "-D", "-f", (dir / "lighttpd.conf").string()},
      log.string());
  wait_for_port(port_, "lighttpd", log);
}

std::string GitHttpServer::url(const std::string& repository) const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/git/" + repository;
}

std::string GitHttpServer::access_log() const { return read_file(dir_.path() / "access.log"); }

SshServer::SshServer() : port_(free_port()) {
  const auto& dir = dir_.path();
  const std::string d = quoted(dir.string());
  must(run_shell("ssh-keygen -q -t ed25519 -N '' -f " + d + "/host_key && "
                 "ssh-keygen -q -t ed25519 -N '' -f " + d + "/other_host_key && "
                 "ssh-keygen -q -t ed25519 -N '' -f " + d + "/client_key && "
                 "cp " + d + "/client_key.pub " + d + "/authorized_keys && mkdir -p /run/sshd"),
       "generating SSH keys");
  const std::string host = "[127.0.0.1]:" + std::to_string(port_) + " ";
  write_file(dir / "known_hosts", host + read_file(dir / "host_key.pub"));
  write_file(dir / "known_hosts_wrong", host + read_file(dir / "other_host_key.pub"));
  write_file(dir / "sshd_config",
             "Port " + std::to_string(port_) + "\nListenAddress 127.0.0.1\n"
             "HostKey " + (dir / "host_key").string() + "\n"
             "PidFile " + (dir / "sshd.pid").string() + "\n"
             "AuthorizedKeysFile " + (dir / "authorized_keys").string() + "\n"
             "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
             "PubkeyAuthentication yes\nPermitRootLogin prohibit-password\nStrictModes no\n"
             "UsePAM no\n");
  const auto log = dir / "sshd.log";
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"/usr/sbin/sshd", "-D", "-e", "-f", (dir / "sshd_config").string()},
      log.string());
  wait_for_port(port_, "sshd", log);
}

std::string SshServer::url(const std::filesystem::path& repository) const {
  return "ssh://root@127.0.0.1:" + std::to_string(port_) + repository.string();
}

CountingListener::CountingListener() {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      listen(fd_, 16) != 0 || getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ADD_FAILURE() << "CountingListener could not listen on 127.0.0.1";
    return;
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      pollfd waiting{fd_, POLLIN, 0};
      if (poll(&waiting, 1, 50) <= 0) continue;
      const int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      accepted_.fetch_add(1);
      close(client);
    }
  });
}

CountingListener::~CountingListener() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) close(fd_);
}

}  // namespace nkd::testing
