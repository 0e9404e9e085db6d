#include "syncd/http/guarded_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "syncd/http/bounded_stream.h"

namespace nkd::syncd {

namespace {

// Workers beyond the connection limit: a connection over a limit needs a worker to be refused
// or to evict another, even while every admitted connection holds one.
constexpr std::size_t kAdmissionWorkers = 4;
// cpp-httplib (0.11) listens with a queue of 5: a burst of connections overflows it and the
// kernel drops SYNs, which clients retry only after a second or more.
constexpr int kAcceptBacklog = 512;
// Chunk framing, trailers and the like on top of a body's own bytes; the exact limit applies
// to the decoded body, this only stops a client that sends framing without end.
constexpr std::size_t kBodyFramingAllowanceBytes = 64 * 1024;

// The connection the calling worker serves (handlers run on that worker).
struct ServedConnection {
  BoundedSocketStream& stream;
  ConnectionTable::Ticket& ticket;
  bool close_after_response = false;
  bool routed = false;  // the current request got past parsing to routing
};
thread_local ServedConnection* current_connection = nullptr;

class CurrentConnectionScope {
 public:
  explicit CurrentConnectionScope(ServedConnection& connection) {
    current_connection = &connection;
  }
  ~CurrentConnectionScope() { current_connection = nullptr; }
  CurrentConnectionScope(const CurrentConnectionScope&) = delete;
  CurrentConnectionScope& operator=(const CurrentConnectionScope&) = delete;
};

void refuse(httplib::Response& response, int status, const std::string& message) {
  response.status = status;
  response.set_content(nlohmann::json{{"error", message}}.dump() + "\n", "application/json");
  GuardedServer::close_after_response(response);
}

// Answers a connection the table refused without reading from it, so it costs a worker only
// for a moment.
void refuse_busy(int socket) {
  static constexpr char kAnswer[] =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 39\r\n"
      "Retry-After: 1\r\nConnection: close\r\n\r\ntoo many connections; try again later\r\n";
  (void)::send(socket, kAnswer, sizeof kAnswer - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
}

}  // namespace

GuardedServer::GuardedServer(ConnectionLimits limits,
                             std::function<std::size_t(const httplib::Request&)> body_limit,
                             std::function<void(ConnectionTable::DropReason)> on_drop,
                             std::shared_ptr<const TlsContext> tls)
    : limits_(limits),
      body_limit_(std::move(body_limit)),
      on_drop_(on_drop),
      tls_(std::move(tls)),
      table_(limits, std::move(on_drop)) {
  new_task_queue = [workers = limits_.max_connections + kAdmissionWorkers] {
    return new httplib::ThreadPool(workers);
  };
  set_pre_routing_handler([this](const httplib::Request& request, httplib::Response& response) {
    return on_headers(request, response);
  });
  // Only for the Keep-Alive header cpp-httplib writes; serve() enforces both.
  set_keep_alive_max_count(limits_.max_requests_per_connection);
  set_keep_alive_timeout(
      std::chrono::duration_cast<std::chrono::seconds>(limits_.idle_timeout).count());
}

int GuardedServer::bind_with_deep_backlog(const std::string& host, int port) {
  const int bound = port == 0 ? bind_to_any_port(host) : (bind_to_port(host, port) ? port : -1);
  if (bound <= 0) return -1;
  // listen() again on a listening socket only resizes its queue.
  if (::listen(svr_sock_, kAcceptBacklog) != 0) return -1;
  return bound;
}

void GuardedServer::close_after_response(httplib::Response& response) {
  response.set_header("Connection", "close");
  if (current_connection != nullptr) current_connection->close_after_response = true;
}

void GuardedServer::stop_and_disconnect() {
  stop();
  table_.shut_down_all();
}

bool GuardedServer::process_and_close_socket(socket_t socket) {
  std::string address;
  int port = 0;
  peer_address_of(socket, address, port);
  {
    auto ticket = table_.admit(socket, address);
    if (ticket) {
      serve(socket, *ticket);
    } else {
      refuse_busy(socket);
    }
  }  // the ticket leaves the table before the socket is closed and its number reused
  ::close(socket);
  return true;
}

void GuardedServer::serve(socket_t socket, ConnectionTable::Ticket& ticket) {
  // Transports never block: every wait is a poll against the current phase's deadline.
  const int flags = ::fcntl(socket, F_GETFL);
  if (flags < 0 || ::fcntl(socket, F_SETFL, flags | O_NONBLOCK) != 0) return;
  // cpp-httplib writes a response's headers and its body in two sends. With Nagle's algorithm
  // the body waits for the client to acknowledge the headers, and a client on a kept-alive
  // connection delays that acknowledgement (40 ms on Linux): every answer took that long.
  const int no_delay = 1;
  (void)::setsockopt(socket, IPPROTO_TCP, TCP_NODELAY, &no_delay, sizeof no_delay);
  if (!tls_) {
    PlainTransport transport(socket);
    BoundedSocketStream stream(socket, transport);
    serve_requests(stream, ticket);
    return;
  }
  // The handshake holds a slot like an idle connection does (the ticket is waiting, so the
  // table may evict it to make room), and for no longer than its own deadline.
  auto transport = TlsTransport::accept(
      *tls_, socket, BoundedSocketStream::Clock::now() + limits_.handshake_timeout);
  if (!transport) {
    spdlog::debug("dropped a connection in its TLS handshake: {}", transport.error().message);
    if (on_drop_) on_drop_(ConnectionTable::DropReason::kTlsHandshake);
    return;
  }
  BoundedSocketStream stream(socket, **transport);
  serve_requests(stream, ticket);
  (*transport)->finish_sending();
}

void GuardedServer::serve_requests(BoundedSocketStream& stream, ConnectionTable::Ticket& ticket) {
  ServedConnection connection{.stream = stream, .ticket = ticket};
  CurrentConnectionScope scope(connection);
  for (std::size_t served = 0; served < limits_.max_requests_per_connection; ++served) {
    ticket.set_waiting(true);
    if (svr_sock_ == INVALID_SOCKET || !stream.wait_for_request(limits_.idle_timeout)) return;
    stream.limit(BoundedSocketStream::Clock::now() + limits_.header_timeout,
                 limits_.max_header_bytes);
    connection.routed = false;
    const bool last = served + 1 == limits_.max_requests_per_connection;
    bool client_closes = false;
    const bool answered = process_request(stream, last, client_closes, nullptr);
    // A refused body is still on its way, also when the client asked to close: closing with
    // unread data resets the connection, and the client may lose the answer.
    if (connection.close_after_response) {
      stream.close_gracefully();
      return;
    }
    // A request that failed to parse (cpp-httplib answered 400 and would read on) leaves the
    // stream at no known boundary; a client that trickles garbage would get a fresh deadline
    // for every line.
    if (!answered || client_closes || stream.exhausted() || !connection.routed) return;
  }
}

httplib::Server::HandlerResponse GuardedServer::on_headers(const httplib::Request& request,
                                                           httplib::Response& response) {
  ServedConnection* connection = current_connection;
  if (connection == nullptr) return HandlerResponse::Unhandled;
  connection->routed = true;
  connection->ticket.set_waiting(false);
  const std::size_t allowed_bytes = body_limit_(request);
  connection->stream.limit(BoundedSocketStream::Clock::now() + limits_.request_timeout,
                           2 * allowed_bytes + kBodyFramingAllowanceBytes);

  const std::string too_large = allowed_bytes == 0 ? "this endpoint takes no request body"
                                                   : "request body too large: at most " +
                                                         std::to_string(allowed_bytes) + " bytes";
  if (request.has_header("Transfer-Encoding")) {
    const std::string encoding = request.get_header_value("Transfer-Encoding");
    // cpp-httplib decodes exactly "chunked"; any other framing would be misread.
    if (strcasecmp(encoding.c_str(), "chunked") != 0) {
      refuse(response, 501,
             "unsupported Transfer-Encoding '" + encoding + "'; send chunked or a Content-Length");
      return HandlerResponse::Handled;
    }
    if (allowed_bytes == 0) {
      refuse(response, 413, too_large);
      return HandlerResponse::Handled;
    }
  }
  if (request.has_header("Content-Length")) {
    const std::string text = request.get_header_value("Content-Length");
    std::uint64_t length = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), length);
    if (error != std::errc{} || end != text.data() + text.size() ||
        request.get_header_value_count("Content-Length") > 1) {
      refuse(response, 400, "Content-Length must be one decimal number");
      return HandlerResponse::Handled;
    }
    if (length > allowed_bytes) {
      refuse(response, 413, too_large);
      return HandlerResponse::Handled;
    }
  }
  return HandlerResponse::Unhandled;
}

}  // namespace nkd::syncd
