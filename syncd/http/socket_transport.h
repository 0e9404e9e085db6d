// SocketTransport: how bytes cross one accepted, non-blocking socket, as they are (plain HTTP)
// or through TLS (tls_transport.h). A transport never waits: it says what it would wait for,
// and BoundedSocketStream waits for that within its deadline. Used by one thread at a time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>

namespace nkd::syncd {

class SocketTransport {
 public:
  enum class Progress { kDone, kWantRead, kWantWrite, kClosed, kFailed };
  struct Outcome {
    Progress progress = Progress::kFailed;
    std::size_t bytes = 0;  // kDone: how many bytes moved (at least one)
  };

  virtual ~SocketTransport() = default;
  [[nodiscard]] virtual Outcome receive(char* data, std::size_t size) = 0;
  [[nodiscard]] virtual Outcome send(const char* data, std::size_t size) = 0;
  // Bytes already received and decoded that the socket no longer shows as readable.
  [[nodiscard]] virtual bool has_buffered_input() const = 0;
  // Tells the peer nothing more will be sent (TLS: close_notify first); never waits.
  virtual void finish_sending() = 0;
};

// Plain TCP.
class PlainTransport final : public SocketTransport {
 public:
  explicit PlainTransport(int socket) : socket_(socket) {}
  Outcome receive(char* data, std::size_t size) override;
  Outcome send(const char* data, std::size_t size) override;
  bool has_buffered_input() const override { return false; }
  void finish_sending() override;

 private:
  int socket_;
};

// Waits until `socket` is ready for `events` (poll's POLLIN/POLLOUT) or `deadline` passes;
// false on timeout or error. Real time (steady_clock), not an injected clock: the deadline is
// handed to the kernel's poll().
[[nodiscard]] bool wait_for_socket(int socket, short events,
                                   std::chrono::steady_clock::time_point deadline);

}  // namespace nkd::syncd
