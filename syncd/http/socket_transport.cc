#include "syncd/http/socket_transport.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

namespace nkd::syncd {

namespace {

SocketTransport::Outcome outcome_of(ssize_t moved) {
  if (moved > 0) {
    return {.progress = SocketTransport::Progress::kDone, .bytes = static_cast<std::size_t>(moved)};
  }
  if (moved == 0) return {.progress = SocketTransport::Progress::kClosed};
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
    return {.progress = SocketTransport::Progress::kWantRead};
  }
  return {.progress = SocketTransport::Progress::kFailed};
}

}  // namespace

SocketTransport::Outcome PlainTransport::receive(char* data, std::size_t size) {
  return outcome_of(::recv(socket_, data, size, MSG_DONTWAIT));
}

SocketTransport::Outcome PlainTransport::send(const char* data, std::size_t size) {
  Outcome outcome = outcome_of(::send(socket_, data, size, MSG_DONTWAIT | MSG_NOSIGNAL));
  if (outcome.progress == Progress::kWantRead) outcome.progress = Progress::kWantWrite;
  if (outcome.progress == Progress::kClosed) outcome.progress = Progress::kFailed;
  return outcome;
}

void PlainTransport::finish_sending() { ::shutdown(socket_, SHUT_WR); }

bool wait_for_socket(int socket, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const auto now = std::chrono::steady_clock::now();  // real time: the deadline is poll()'s
    if (now >= deadline) return false;
    // Rounded up, so that a wait that times out ends past the deadline, never just before it.
    const auto left_ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    pollfd descriptor{.fd = socket, .events = events, .revents = 0};
    const int ready =
        ::poll(&descriptor, 1, static_cast<int>(std::min<std::int64_t>(left_ms, 1'000)));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

}  // namespace nkd::syncd
