// BoundedSocketStream: the byte stream cpp-httplib parses requests from and writes responses
// to, over one accepted socket. Unlike cpp-httplib's own stream, whose timeout applies to each
// read, it enforces a deadline for a whole phase (the headers, then the rest of the request)
// and a budget of bytes read in that phase, so a client that trickles bytes or sends an endless
// header line or chunked body is cut off. Bytes cross the socket through a SocketTransport
// (plain or TLS), so the same bounds hold under TLS. Used by one thread at a time (the
// connection's).
#pragma once

#include <httplib.h>

#include <array>
#include <chrono>
#include <cstddef>

#include "syncd/http/socket_transport.h"

namespace nkd::syncd {

class BoundedSocketStream final : public httplib::Stream {
 public:
  // The real clock, not an injected one: these deadlines become poll() timeouts on real
  // sockets (slow clients are bounded by the kernel's time, which a fake clock cannot move).
  using Clock = std::chrono::steady_clock;

  // Borrows `transport`, which moves bytes over `socket` (non-blocking).
  BoundedSocketStream(int socket, SocketTransport& transport)
      : socket_(socket), transport_(transport) {}

  // From now on reads and writes fail after `deadline`, and reads fail after `budget_bytes`.
  void limit(Clock::time_point deadline, std::size_t budget_bytes);
  // Whether a read or write failed (the phase's deadline passed, its budget ran out, or the
  // socket failed): the connection can no longer be trusted to be at a request boundary.
  [[nodiscard]] bool exhausted() const { return exhausted_; }
  // Waits up to `timeout` for the next request's first byte; false when none came or the peer
  // closed.
  [[nodiscard]] bool wait_for_request(std::chrono::milliseconds timeout);
  // Stops sending, then reads and drops what the client still sends for a short while, so
  // that it sees the answer (e.g. a 413) before the connection closes.
  void close_gracefully();

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return socket_; }

 private:
  // Waits for `events` until the phase's deadline, marking the stream exhausted when it passes.
  bool wait_in_phase(short events) const;
  // Waits for what the transport asked for; false (and exhausted) when it failed or timed out.
  bool wait_for(SocketTransport::Progress progress);

  int socket_;
  SocketTransport& transport_;
  Clock::time_point deadline_ = Clock::now();
  std::size_t budget_bytes_ = 0;
  mutable bool exhausted_ = false;
  std::array<char, 4096> buffer_{};
  std::size_t buffered_begin_ = 0;
  std::size_t buffered_end_ = 0;
};

// The numeric address and port of a socket's peer (e.g. "127.0.0.1", 51234).
void peer_address_of(int socket, std::string& address, int& port);

}  // namespace nkd::syncd
