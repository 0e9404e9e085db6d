#include "source/bounded_socket_stream.h"

#include <git2.h>
#include <git2/sys/stream.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>

#include "common/egress.h"
#include "source/library_allocations.h"
#include "source/transfer_control.h"

namespace nkd::source {

namespace {

// libgit2 1.5's SSH transport takes the descriptor for libssh2 from the stream it opened, read
// as its own git_socket_stream { git_stream parent; char* host; char* port; int s; }: the
// first four members must keep that layout.
struct BoundedSocket {
  git_stream parent;
  char* host;
  char* port;
  int fd;
  TransferControl* control;
};
static_assert(std::is_standard_layout_v<BoundedSocket>);
static_assert(offsetof(BoundedSocket, parent) == 0);

BoundedSocket& self(git_stream* stream) { return *reinterpret_cast<BoundedSocket*>(stream); }

std::string where(const BoundedSocket& socket) {
  return std::string(socket.host) + ":" + socket.port;
}

int fail(const std::string& message) {
  git_error_set_str(GIT_ERROR_NET, message.c_str());
  return -1;
}

// -1 with the transfer's own reason when it was ended early, else 0.
int check_interrupted(const BoundedSocket& socket) {
  if (socket.control == nullptr) return 0;
  auto interruption = socket.control->interruption();
  return interruption ? fail(interruption->message) : 0;
}

void note_activity(const BoundedSocket& socket, const std::string& activity) {
  if (socket.control != nullptr) socket.control->set_activity(activity);
}

// Waits until `events` are ready on the socket; -1 (error set) when the transfer ends first.
int wait_ready(BoundedSocket& socket, short events) {
  while (true) {
    if (check_interrupted(socket) != 0) return -1;
    const int wait_ms = socket.control != nullptr ? socket.control->remaining_ms() : kUnboundWaitMs;
    if (wait_ms == 0) {
      socket.control->expire();
      continue;
    }
    pollfd ready{.fd = socket.fd, .events = events, .revents = 0};
    const int polled = poll(&ready, 1, wait_ms);
    if (polled < 0 && errno == EINTR) continue;
    if (polled < 0) return fail("waiting for " + where(socket) + ": " + std::strerror(errno));
    if (polled > 0) return 0;
    if (socket.control == nullptr) {
      return fail(where(socket) + " did not answer within " + std::to_string(kUnboundWaitMs) +
                  " ms");
    }
    socket.control->expire();
  }
}

void close_socket(BoundedSocket& socket) {
  if (socket.fd < 0) return;
  if (socket.control != nullptr) socket.control->remove_socket(socket.fd);
  ::close(socket.fd);
  socket.fd = -1;
}

// One attempt at one checked address; 0 with socket.fd connected, else -1 (error set).
int connect_address(BoundedSocket& socket, const IpAddress& address, int port) {
  sockaddr_storage destination{};
  const socklen_t length = sockaddr_from_address(address, port, destination);
  socket.fd = ::socket(address.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (socket.fd < 0)
    return fail("creating a socket for " + where(socket) + ": " + std::strerror(errno));
  if (socket.control != nullptr && !socket.control->add_socket(socket.fd)) {
    check_interrupted(socket);
    return -1;
  }
  note_activity(socket, "while connecting to " + where(socket));
  if (::connect(socket.fd, reinterpret_cast<const sockaddr*>(&destination), length) == 0) return 0;
  if (errno != EINPROGRESS)
    return fail("connecting to " + where(socket) + " (" + address.to_string() +
                "): " + std::strerror(errno));
  if (wait_ready(socket, POLLOUT) != 0) return -1;
  int error = 0;
  socklen_t size = sizeof(error);
  if (getsockopt(socket.fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) error = errno;
  if (error == 0) return 0;
  if (check_interrupted(socket) != 0) return -1;
  return fail("connecting to " + where(socket) + " (" + address.to_string() +
              "): " + std::strerror(error));
}

// The addresses to try: checked by the transfer's dial policy, or (a socket opened outside a
// transfer) as the system resolves them.
Result<std::vector<IpAddress>> addresses_of(const BoundedSocket& socket, int port) {
  if (socket.control != nullptr) return socket.control->allowed_addresses(socket.host, port);
  if (auto literal = parse_ip(socket.host)) return std::vector{*literal};
  return resolve_host(socket.host, port);
}

int stream_connect(git_stream* stream) {
  const OwnAllocations own_allocations;
  BoundedSocket& socket = self(stream);
  int port = 0;
  const std::string_view port_text(socket.port);
  if (const auto [end, error] = std::from_chars(port_text.begin(), port_text.end(), port);
      error != std::errc{} || end != port_text.end()) {
    return fail("port '" + std::string(port_text) + "' of " + socket.host + " is not a number");
  }
  auto addresses = addresses_of(socket, port);
  if (!addresses) return fail(addresses.error().message);
  int result = -1;
  for (const IpAddress& address : *addresses) {
    result = connect_address(socket, address, port);
    if (result == 0) break;
    close_socket(socket);
    if (socket.control != nullptr && socket.control->interruption()) break;
  }
  if (result != 0 && socket.control != nullptr && !socket.control->interruption()) {
    const git_error* last = git_error_last();
    socket.control->record_connection_error(
        Error{ErrorCode::kNetwork, last != nullptr ? last->message : "connection failed"});
  }
  return result;
}

ssize_t stream_read(git_stream* stream, void* data, size_t size) {
  const OwnAllocations own_allocations;
  BoundedSocket& socket = self(stream);
  note_activity(socket, "while waiting for " + where(socket) + " to send");
  while (true) {
    const ssize_t received = ::recv(socket.fd, data, size, MSG_DONTWAIT);
    if (received > 0) return received;
    // An interrupted transfer's socket reads as closed: say why instead of "early EOF".
    if (received == 0) return check_interrupted(socket) != 0 ? -1 : 0;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      if (check_interrupted(socket) != 0) return -1;
      return fail("reading from " + where(socket) + ": " + std::strerror(errno));
    }
    if (wait_ready(socket, POLLIN) != 0) return -1;
  }
}

ssize_t stream_write(git_stream* stream, const char* data, size_t size, int /*flags*/) {
  const OwnAllocations own_allocations;
  BoundedSocket& socket = self(stream);
  note_activity(socket, "while sending to " + where(socket));
  while (true) {
    const ssize_t sent = ::send(socket.fd, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent >= 0) return sent;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      if (check_interrupted(socket) != 0) return -1;
      return fail("sending to " + where(socket) + ": " + std::strerror(errno));
    }
    if (wait_ready(socket, POLLOUT) != 0) return -1;
  }
}

int stream_close(git_stream* stream) {
  const OwnAllocations own_allocations;
  close_socket(self(stream));
  return 0;
}

void stream_free(git_stream* stream) {
  const OwnAllocations own_allocations;
  std::unique_ptr<BoundedSocket> socket(&self(stream));  // libgit2 hands it back here
  close_socket(*socket);
  std::free(socket->host);
  std::free(socket->port);
}

int stream_new(git_stream** out, const char* host, const char* port) {
  const OwnAllocations own_allocations;
  auto socket = std::make_unique<BoundedSocket>();
  socket->parent.version = GIT_STREAM_VERSION;
  socket->parent.connect = stream_connect;
  socket->parent.read = stream_read;
  socket->parent.write = stream_write;
  socket->parent.close = stream_close;
  socket->parent.free = stream_free;
  socket->host = strdup(host);
  socket->port = strdup(port);
  socket->fd = -1;
  socket->control = TransferControl::current();
  *out = &socket.release()->parent;  // libgit2 owns it until stream_free
  return 0;
}

}  // namespace

void install_bounded_socket_stream() {
  static git_stream_registration registration{
      .version = GIT_STREAM_VERSION, .init = stream_new, .wrap = nullptr};
  git_stream_register(GIT_STREAM_STANDARD, &registration);
}

}  // namespace nkd::source
