#include "syncd/http/bounded_stream.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace nkd::syncd {

namespace {

void numeric_address(const sockaddr_storage& address, socklen_t length, std::string& host,
                     int& port) {
  char text[NI_MAXHOST];
  char service[NI_MAXSERV];
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&address), length, text, sizeof text, service,
                  sizeof service, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return;
  }
  host = text;
  port = std::atoi(service);
}

}  // namespace

void peer_address_of(int socket, std::string& address, int& port) {
  sockaddr_storage peer{};
  socklen_t length = sizeof peer;
  if (getpeername(socket, reinterpret_cast<sockaddr*>(&peer), &length) == 0) {
    numeric_address(peer, length, address, port);
  }
}

void BoundedSocketStream::limit(Clock::time_point deadline, std::size_t budget_bytes) {
  deadline_ = deadline;
  budget_bytes_ = budget_bytes;
  exhausted_ = false;
}

bool BoundedSocketStream::wait_in_phase(short events) const {
  if (wait_for_socket(socket_, events, deadline_)) return true;
  exhausted_ = true;
  return false;
}

bool BoundedSocketStream::wait_for(SocketTransport::Progress progress) {
  switch (progress) {
    case SocketTransport::Progress::kWantRead:
      return wait_in_phase(POLLIN);
    case SocketTransport::Progress::kWantWrite:
      return wait_in_phase(POLLOUT);
    default:
      exhausted_ = true;
      return false;
  }
}

bool BoundedSocketStream::wait_for_request(std::chrono::milliseconds timeout) {
  // A pipelined request is already here, in this buffer or decrypted in the transport's.
  if (buffered_begin_ < buffered_end_ || transport_.has_buffered_input()) return true;
  if (!wait_for_socket(socket_, POLLIN, Clock::now() + timeout)) return false;
  char byte;
  return ::recv(socket_, &byte, 1, MSG_PEEK) > 0;
}

bool BoundedSocketStream::is_readable() const {
  return buffered_begin_ < buffered_end_ || transport_.has_buffered_input() ||
         wait_in_phase(POLLIN);
}

bool BoundedSocketStream::is_writable() const { return wait_in_phase(POLLOUT); }

ssize_t BoundedSocketStream::read(char* ptr, size_t size) {
  if (budget_bytes_ == 0) {
    exhausted_ = true;
    return -1;
  }
  size = std::min(size, budget_bytes_);
  // cpp-httplib reads header lines one byte at a time: fill a buffer instead of a call each.
  while (buffered_begin_ == buffered_end_) {
    if (Clock::now() >= deadline_) {
      exhausted_ = true;
      return -1;
    }
    const SocketTransport::Outcome received = transport_.receive(buffer_.data(), buffer_.size());
    if (received.progress == SocketTransport::Progress::kDone) {
      buffered_begin_ = 0;
      buffered_end_ = received.bytes;
    } else if (received.progress == SocketTransport::Progress::kClosed) {
      return 0;
    } else if (!wait_for(received.progress)) {
      return -1;
    }
  }
  const std::size_t count = std::min(size, buffered_end_ - buffered_begin_);
  std::memcpy(ptr, buffer_.data() + buffered_begin_, count);
  buffered_begin_ += count;
  budget_bytes_ -= count;
  return static_cast<ssize_t>(count);
}

ssize_t BoundedSocketStream::write(const char* ptr, size_t size) {
  for (;;) {
    if (Clock::now() >= deadline_) {
      exhausted_ = true;
      return -1;
    }
    const SocketTransport::Outcome sent = transport_.send(ptr, size);
    if (sent.progress == SocketTransport::Progress::kDone) return static_cast<ssize_t>(sent.bytes);
    if (!wait_for(sent.progress)) return -1;
  }
}

void BoundedSocketStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  peer_address_of(socket_, ip, port);
}

void BoundedSocketStream::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (getsockname(socket_, reinterpret_cast<sockaddr*>(&local), &length) == 0) {
    numeric_address(local, length, ip, port);
  }
}

void BoundedSocketStream::close_gracefully() {
  transport_.finish_sending();
  const auto deadline = Clock::now() + std::chrono::seconds(1);
  std::size_t drained_bytes = 0;
  std::array<char, 16 * 1024> sink;
  // Raw bytes: under TLS the records are dropped undecoded, which is all draining needs.
  while (drained_bytes < 4 * 1024 * 1024 && wait_for_socket(socket_, POLLIN, deadline)) {
    const auto received = ::recv(socket_, sink.data(), sink.size(), MSG_DONTWAIT);
    if (received <= 0) return;
    drained_bytes += static_cast<std::size_t>(received);
  }
}

}  // namespace nkd::syncd
