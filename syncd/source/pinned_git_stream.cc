#include "syncd/source/pinned_git_stream.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <git2.h>
#include <git2/sys/stream.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <utility>

#include "common/egress.h"
#include "common/file_descriptor.h"

namespace nkd::git {

namespace {

std::mutex& scope_mutex() {
  static std::mutex mutex;
  return mutex;
}
PinnedGitConnections* active_scope = nullptr;  // guarded by scope_mutex(), held by the scope

std::string describe_errno(int error) { return std::strerror(error); }

// Connects to `address`:`port` within `timeout`; the socket is left blocking, with `timeout` on
// each read and write.
Result<int> connect_within(const IpAddress& address, int port, std::chrono::milliseconds timeout) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (address.family == AF_INET) {
    auto* ipv4 = reinterpret_cast<sockaddr_in*>(&storage);
    ipv4->sin_family = AF_INET;
    ipv4->sin_port = htons(static_cast<std::uint16_t>(port));
    std::memcpy(&ipv4->sin_addr, address.bytes.data(), 4);
    length = sizeof(sockaddr_in);
  } else {
    auto* ipv6 = reinterpret_cast<sockaddr_in6*>(&storage);
    ipv6->sin6_family = AF_INET6;
    ipv6->sin6_port = htons(static_cast<std::uint16_t>(port));
    std::memcpy(&ipv6->sin6_addr, address.bytes.data(), 16);
    length = sizeof(sockaddr_in6);
  }
  FileDescriptor socket(::socket(address.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  const std::string where = address.to_string() + " port " + std::to_string(port);
  if (socket.get() < 0) return Error{ErrorCode::kNetwork, "socket: " + describe_errno(errno)};
  if (::connect(socket.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    if (errno != EINPROGRESS) {
      return Error{ErrorCode::kNetwork, "connecting to " + where + ": " + describe_errno(errno)};
    }
    pollfd waiting{.fd = socket.get(), .events = POLLOUT, .revents = 0};
    const int ready = ::poll(&waiting, 1, static_cast<int>(timeout.count()));
    if (ready == 0) {
      return Error{ErrorCode::kTimeout, "connecting to " + where + " timed out after " +
                                            std::to_string(timeout.count()) + " ms"};
    }
    int failure = 0;
    socklen_t failure_length = sizeof failure;
    if (ready < 0 ||
        ::getsockopt(socket.get(), SOL_SOCKET, SO_ERROR, &failure, &failure_length) != 0) {
      failure = errno;
    }
    if (failure != 0) {
      return Error{ErrorCode::kNetwork, "connecting to " + where + ": " + describe_errno(failure)};
    }
  }
  ::fcntl(socket.get(), F_SETFL, ::fcntl(socket.get(), F_GETFL) & ~O_NONBLOCK);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  const timeval limit{.tv_sec = static_cast<time_t>(seconds.count()),
                      .tv_usec = static_cast<suseconds_t>((timeout - seconds).count() * 1000)};
  ::setsockopt(socket.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  ::setsockopt(socket.get(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  return socket.release();
}

// One connection as libgit2 sees it. `parent` comes first: libgit2 holds a git_stream* to it.
struct PinnedStream {
  git_stream parent;
  struct Target {
    std::string host;
    std::string port;
    int socket = -1;
  } * target;
};

PinnedStream::Target& target_of(git_stream* stream) {
  return *reinterpret_cast<PinnedStream*>(stream)->target;
}

int stream_connect(git_stream* stream) {
  auto& target = target_of(stream);
  PinnedGitConnections* scope = PinnedGitConnections::active();
  if (scope == nullptr) {
    git_error_set_str(GIT_ERROR_NET, "connection opened outside a pinned scope");
    return -1;
  }
  auto socket = scope->connect(target.host, target.port);
  if (!socket) {
    git_error_set_str(GIT_ERROR_NET, socket.error().message.c_str());
    return -1;
  }
  target.socket = *socket;
  return 0;
}

ssize_t stream_read(git_stream* stream, void* data, size_t length) {
  ssize_t received = 0;
  do {
    received = ::recv(target_of(stream).socket, data, length, 0);
  } while (received < 0 && errno == EINTR);
  if (received < 0) {
    const bool timed_out = errno == EAGAIN || errno == EWOULDBLOCK;
    git_error_set_str(GIT_ERROR_NET,
                      timed_out
                          ? "reading from the Git server timed out"
                          : ("reading from the Git server: " + describe_errno(errno)).c_str());
    return -1;
  }
  return received;
}

ssize_t stream_write(git_stream* stream, const char* data, size_t length, int /*flags*/) {
  ssize_t sent = 0;
  do {
    sent = ::send(target_of(stream).socket, data, length, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    const bool timed_out = errno == EAGAIN || errno == EWOULDBLOCK;
    git_error_set_str(GIT_ERROR_NET,
                      timed_out ? "writing to the Git server timed out"
                                : ("writing to the Git server: " + describe_errno(errno)).c_str());
    return -1;
  }
  return sent;
}

int stream_close(git_stream* stream) {
  auto& target = target_of(stream);
  if (target.socket >= 0) ::close(target.socket);
  target.socket = -1;
  return 0;
}

void stream_free(git_stream* stream) {
  stream_close(stream);
  std::unique_ptr<PinnedStream> owned(reinterpret_cast<PinnedStream*>(stream));
  std::unique_ptr<PinnedStream::Target> target(owned->target);
}

int stream_init(git_stream** out, const char* host, const char* port) {
  auto target = std::make_unique<PinnedStream::Target>(
      PinnedStream::Target{.host = host, .port = port != nullptr ? port : ""});
  auto stream = std::make_unique<PinnedStream>();
  stream->parent.version = GIT_STREAM_VERSION;
  stream->parent.connect = stream_connect;
  stream->parent.read = stream_read;
  stream->parent.write = stream_write;
  stream->parent.close = stream_close;
  stream->parent.free = stream_free;
  stream->target = target.release();
  // libgit2 owns it now and gives it back through stream_free.
  *out = &stream.release()->parent;
  return 0;
}

}  // namespace

PinnedGitConnections::PinnedGitConnections(const CidrAllowList& allow,
                                           std::chrono::milliseconds timeout, bool pin,
                                           Resolver resolver)
    : lock_(scope_mutex()),
      allow_(allow),
      timeout_(timeout),
      resolver_(resolver ? std::move(resolver) : Resolver(resolve_host)) {
  active_scope = this;
  if (!pin) return;
  git_stream_registration registration{};
  registration.version = GIT_STREAM_VERSION;
  registration.init = stream_init;
  pinned_ = git_stream_register(GIT_STREAM_STANDARD, &registration) == 0;
  if (!pinned_) {
    connection_error_ = Error{ErrorCode::kInternal, "libgit2 refused nkd's connection hook"};
  }
}

PinnedGitConnections::~PinnedGitConnections() {
  if (pinned_) git_stream_register(GIT_STREAM_STANDARD, nullptr);
  active_scope = nullptr;
}

PinnedGitConnections* PinnedGitConnections::active() { return active_scope; }

Result<int> PinnedGitConnections::connect(const std::string& host, const std::string& port) {
  const auto failed = [this](Error error) -> Result<int> {
    connection_error_ = error;
    return error;
  };
  int port_number = 0;
  const auto [end, parse_error] =
      std::from_chars(port.data(), port.data() + port.size(), port_number);
  if (parse_error != std::errc{} || end != port.data() + port.size()) {
    return failed(
        Error{ErrorCode::kInvalidArgument, "port '" + port + "' of " + host + " is not a number"});
  }
  auto addresses = parse_ip(host) ? Result<std::vector<IpAddress>>(std::vector{*parse_ip(host)})
                                  : resolver_(host, port_number);
  if (!addresses) return failed(addresses.error());
  if (auto status = check_addresses(host, *addresses, allow_); !status)
    return failed(status.error());
  Error last{ErrorCode::kNetwork, host + " has no address"};
  for (const IpAddress& address : *addresses) {
    auto socket = connect_within(address, port_number, timeout_);
    if (socket) return socket;
    last = socket.error();
  }
  return failed(last);
}

}  // namespace nkd::git
