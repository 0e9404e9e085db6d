// Git servers that stop answering, on 127.0.0.1, for tests of fetch deadlines and shutdown:
// StallingListener accepts connections, optionally sends a fixed prefix of an answer, and then
// says nothing more while holding them open; StallingProxy relays to a real server until the
// server has sent a given number of bytes, then stops relaying (mid-pack). Both close every
// connection and join their thread when the object goes.
#pragma once

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace nkd::testing {

class StallingListener {
 public:
  // `prefix`: bytes sent on each accepted connection before the silence ("" for none).
  explicit StallingListener(std::string prefix = "");
  ~StallingListener();
  StallingListener(const StallingListener&) = delete;
  StallingListener& operator=(const StallingListener&) = delete;
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] int accepted() const { return accepted_.load(); }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::string prefix_;
  std::atomic<int> accepted_{0};
  std::atomic<bool> stop_{false};
  std::vector<int> clients_;  // owned by thread_ until it is joined
  std::thread thread_;
};

class StallingProxy {
 public:
  // Relays 127.0.0.1:port() to 127.0.0.1:`upstream_port` until the upstream has sent
  // `forward_bytes` on a connection; after that, nothing more reaches the client.
  StallingProxy(int upstream_port, std::size_t forward_bytes);
  ~StallingProxy();
  StallingProxy(const StallingProxy&) = delete;
  StallingProxy& operator=(const StallingProxy&) = delete;
  [[nodiscard]] int port() const { return port_; }
  // Connections whose relay stopped at the byte limit.
  [[nodiscard]] int stalled() const { return stalled_.load(); }

 private:
  void relay(int client);

  int fd_ = -1;
  int port_ = 0;
  int upstream_port_;
  std::size_t forward_bytes_;
  std::atomic<int> stalled_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<std::thread> relays_;  // owned by thread_ until it is joined
};

}  // namespace nkd::testing
