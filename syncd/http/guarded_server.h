// GuardedServer: cpp-httplib's server with bounded connections. cpp-httplib keeps a worker
// thread per connection for as long as the client keeps it open and applies its timeouts per
// read, so a handful of clients that send nothing, or a header line every few seconds, can hold
// every worker. This server replaces the per-connection loop: each connection passes the
// ConnectionTable first, reads through a BoundedSocketStream (a deadline and a byte budget for
// the headers, then for the rest of the request), and refuses bodies larger than its route
// allows before reading them. With a TlsContext it serves HTTPS: the TLS handshake has its own
// deadline, and every bound above applies to the decrypted stream. Request parsing and routing
// stay cpp-httplib's. Under TLS the process must ignore SIGPIPE (OpenSSL writes with write(2)).
#pragma once

#include <httplib.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "syncd/http/connection_table.h"
#include "syncd/http/tls_transport.h"

namespace nkd::syncd {

class BoundedSocketStream;

class GuardedServer final : public httplib::Server {
 public:
  // `body_limit` says how many body bytes a request may carry (0: none), from its method and
  // path; `on_drop` counts connections refused, evicted or dropped in their TLS handshake;
  // `tls` null serves plain HTTP.
  GuardedServer(ConnectionLimits limits,
                std::function<std::size_t(const httplib::Request&)> body_limit,
                std::function<void(ConnectionTable::DropReason)> on_drop,
                std::shared_ptr<const TlsContext> tls = nullptr);

  // Binds `host`:`port` (0: any free port) with an accept queue deep enough for bursts of
  // connections; the bound port, or -1.
  int bind_with_deep_backlog(const std::string& host, int port);
  // Ends the connection the calling handler serves once its response is sent (for handlers
  // that leave a body unread). Also tells the client so.
  static void close_after_response(httplib::Response& response);
  // Stops the server: no new connections, and the open ones are shut down.
  void stop_and_disconnect();

 private:
  bool process_and_close_socket(socket_t socket) override;
  void serve(socket_t socket, ConnectionTable::Ticket& ticket);
  void serve_requests(BoundedSocketStream& stream, ConnectionTable::Ticket& ticket);
  // Before routing: the headers are complete; bounds the rest of the request, or answers 413.
  HandlerResponse on_headers(const httplib::Request& request, httplib::Response& response);

  const ConnectionLimits limits_;
  const std::function<std::size_t(const httplib::Request&)> body_limit_;
  const std::function<void(ConnectionTable::DropReason)> on_drop_;
  const std::shared_ptr<const TlsContext> tls_;
  ConnectionTable table_;
};

}  // namespace nkd::syncd
