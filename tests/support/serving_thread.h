// ServingThread: serves an in-process cpp-httplib server (plain or TLS) on a loopback address
// from a thread of its own until it goes; its destructor stops the server and joins, also when
// a test fails. Every in-process HTTP server of the tests and fakes starts this way. Construct it
// once the server's routes are set, and declare it after everything its handlers use, so it goes
// first.
#pragma once

#include <httplib.h>

#include <string>
#include <thread>

namespace nkd::testing {

class ServingThread {
 public:
  // Binds `server` to `address`:`port` (0: a free port) and serves it; throws
  // std::runtime_error naming `what` when the address cannot be bound.
  ServingThread(httplib::Server& server, const std::string& what,
                const std::string& address = "127.0.0.1", int port = 0);
  ~ServingThread();
  ServingThread(const ServingThread&) = delete;
  ServingThread& operator=(const ServingThread&) = delete;

  [[nodiscard]] int port() const { return port_; }
  // "http://127.0.0.1:PORT" (https for a TLS server) followed by `path`.
  [[nodiscard]] std::string url(const std::string& path = "") const;

 private:
  httplib::Server& server_;
  std::string address_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace nkd::testing
