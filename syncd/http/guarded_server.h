// GuardedServer: cpp-httplib's server with bounded connections. cpp-httplib keeps a worker
// thread per connection for as long as the client keeps it open and applies its timeouts per
// read, so a handful of clients that send nothing, or a header line every few seconds, can hold
// every worker. This server replaces the per-connection loop: each connection passes the
// ConnectionTable first, reads through a BoundedSocketStream (a deadline and a byte budget for
// the headers, then for the rest of the request), and refuses bodies larger than its route
// allows before reading them. Request parsing and routing stay cpp-httplib's.
#pragma once

#include <httplib.h>

#include <cstddef>
#include <functional>
#include <string>

#include "syncd/http/connection_table.h"

namespace nkd::syncd {

class GuardedServer final : public httplib::Server {
 public:
  // `body_limit` says how many body bytes a request may carry (0: none), from its method and
  // path; `on_drop` counts connections the table refused or evicted.
  GuardedServer(ConnectionLimits limits,
                std::function<std::size_t(const httplib::Request&)> body_limit,
                std::function<void(ConnectionTable::DropReason)> on_drop);

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
  // Before routing: the headers are complete; bounds the rest of the request, or answers 413.
  HandlerResponse on_headers(const httplib::Request& request, httplib::Response& response);

  const ConnectionLimits limits_;
  const std::function<std::size_t(const httplib::Request&)> body_limit_;
  ConnectionTable table_;
};

}  // namespace nkd::syncd
