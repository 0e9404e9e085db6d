#include "tests/support/stalling_servers.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace nkd::testing {

namespace {

// A listening socket on 127.0.0.1:<free port>; -1 on failure (the test fails).
int listen_on_loopback(int& port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      listen(fd, 16) != 0 || getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ADD_FAILURE() << "cannot listen on 127.0.0.1";
    if (fd >= 0) close(fd);
    return -1;
  }
  port = ntohs(address.sin_port);
  return fd;
}

int connect_to_loopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0)
    return fd;
  if (fd >= 0) close(fd);
  return -1;
}

// Accepts one pending connection within 50 ms; -1 when none came.
int accept_pending(int listener) {
  pollfd waiting{listener, POLLIN, 0};
  if (poll(&waiting, 1, 50) <= 0) return -1;
  return accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
}

}  // namespace

StallingListener::StallingListener(std::string prefix) : prefix_(std::move(prefix)) {
  fd_ = listen_on_loopback(port_);
  if (fd_ < 0) return;
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      const int client = accept_pending(fd_);
      if (client < 0) continue;
      accepted_.fetch_add(1);
      if (!prefix_.empty()) (void)send(client, prefix_.data(), prefix_.size(), MSG_NOSIGNAL);
      clients_.push_back(client);
    }
  });
}

StallingListener::~StallingListener() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  for (const int client : clients_) close(client);
  if (fd_ >= 0) close(fd_);
}

StallingProxy::StallingProxy(int upstream_port, std::size_t forward_bytes)
    : upstream_port_(upstream_port), forward_bytes_(forward_bytes) {
  fd_ = listen_on_loopback(port_);
  if (fd_ < 0) return;
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      const int client = accept_pending(fd_);
      if (client >= 0) relays_.emplace_back([this, client] { relay(client); });
    }
    for (auto& relay : relays_) relay.join();
  });
}

StallingProxy::~StallingProxy() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) close(fd_);
}

void StallingProxy::relay(int client) {
  const int upstream = connect_to_loopback(upstream_port_);
  std::size_t from_upstream = 0;
  bool stalled = false;
  char buffer[4096];
  while (upstream >= 0 && !stop_.load()) {
    pollfd ends[2] = {{client, POLLIN, 0}, {upstream, static_cast<short>(stalled ? 0 : POLLIN), 0}};
    if (poll(ends, 2, 50) <= 0) continue;
    if ((ends[0].revents & (POLLIN | POLLHUP)) != 0) {
      const ssize_t got = recv(client, buffer, sizeof(buffer), 0);
      if (got <= 0) break;
      (void)send(upstream, buffer, static_cast<std::size_t>(got), MSG_NOSIGNAL);
    }
    if (!stalled && (ends[1].revents & (POLLIN | POLLHUP)) != 0) {
      const std::size_t room = forward_bytes_ - from_upstream;
      const ssize_t got = recv(upstream, buffer, std::min(sizeof(buffer), room), 0);
      if (got <= 0) break;
      (void)send(client, buffer, static_cast<std::size_t>(got), MSG_NOSIGNAL);
      from_upstream += static_cast<std::size_t>(got);
      if (from_upstream >= forward_bytes_) {
        stalled = true;
        stalled_.fetch_add(1);
      }
    }
  }
  if (upstream >= 0) close(upstream);
  close(client);
}

}  // namespace nkd::testing
