// TransferControl: the deadline and the stop switch of the network transfers of one Git source.
// libgit2 1.5 has no socket timeout and checks nothing while a recv() blocks, so the sockets it
// opens come from our own stream (bounded_socket_stream.h), which registers them here: when the
// fetch's deadline passes or cancel() is called, every registered socket is shut down, which
// ends a blocked connect, recv or send at once (also inside libssh2, which reads the socket
// itself), and the stream's own waits never outlast the deadline.
// The transfer also carries where its sockets may go: the stream resolves each host once through
// the transfer, which checks every address against the egress allow list, and connects to a
// checked address; libgit2 never resolves a name itself, so an answer that changes after the
// check (DNS rebinding) cannot move the connection.
// Thread-safety: begin() and the returned Transfer belong to the thread that fetches; cancel()
// may be called from any thread. A cancel() is final: later transfers fail at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/cidr.h"
#include "common/result.h"

namespace nkd::source {

// Where the sockets of a transfer may connect.
struct DialPolicy {
  using Resolver = std::function<Result<std::vector<IpAddress>>(const std::string& host, int port)>;
  CidrAllowList allow;  // empty: any address
  Resolver resolver;    // empty: getaddrinfo
};

class TransferControl {
 public:
  class Transfer;

  TransferControl() = default;
  TransferControl(const TransferControl&) = delete;
  TransferControl& operator=(const TransferControl&) = delete;

  // Starts a transfer that must end within `timeout` (named `setting` in errors). Sockets opened
  // on this thread until the Transfer goes are bound to it.
  [[nodiscard]] Transfer begin(std::chrono::milliseconds timeout, std::string setting,
                               DialPolicy policy = {});
  // Interrupts the running transfer and refuses later ones (shutdown).
  void cancel();

  // The control of the transfer running on the calling thread, or null.
  [[nodiscard]] static TransferControl* current();

  // For the socket stream: binds `fd` to the transfer; false (and the socket is shut down) when
  // the transfer is already over.
  bool add_socket(int fd);
  void remove_socket(int fd);
  // What the stream is doing now ("connecting to host:port"), for the timeout's message.
  void set_activity(std::string activity);
  // For the socket stream: the addresses of `host` (resolved once), every one allowed by the
  // policy; kEgressDenied or the lookup's error otherwise (also kept as connection_error()).
  Result<std::vector<IpAddress>> allowed_addresses(const std::string& host, int port);
  // Keeps why a connection failed, with its error code (libgit2 passes on only the text).
  void record_connection_error(Error error);
  // Why the transfer's last connection failed, if one did.
  [[nodiscard]] std::optional<Error> connection_error() const;
  // Milliseconds left before the deadline (0 when it passed).
  [[nodiscard]] int remaining_ms() const;
  // Ends the transfer as timed out (the deadline passed while the stream waited).
  void expire();
  // Why the transfer was ended early, if it was.
  [[nodiscard]] std::optional<Error> interruption() const;

 private:
  void finish();
  void watch();
  void interrupt_locked(Error reason);

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::chrono::steady_clock::time_point deadline_;
  std::chrono::milliseconds timeout_{0};
  std::string setting_;
  std::string activity_;
  std::set<int> sockets_;
  std::optional<Error> interruption_;
  std::optional<Error> connection_error_;
  DialPolicy policy_;
  bool running_ = false;
  bool cancelled_ = false;
  std::thread watcher_;
};

// One running transfer; ends it (and its deadline watcher) when it goes.
class TransferControl::Transfer {
 public:
  explicit Transfer(TransferControl& control) : control_(&control) {}
  ~Transfer();
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

 private:
  TransferControl* control_;
};

}  // namespace nkd::source
