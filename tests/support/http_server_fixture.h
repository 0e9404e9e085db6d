// InProcessHttpServer: the daemon's HttpServer on 127.0.0.1 (a port it picks) inside the test
// process, over a SQLite state store in a scratch directory and an in-memory bare-metal provider
// that publishes one cluster, "lab", with nodes lab-cp-0 and lab-worker-0 (token
// "token-<node>"), or the nodes of another render a test passes. The server stops when the
// object goes, also when a test fails.
// RawConnection: a TCP connection to 127.0.0.1 for requests cpp-httplib's client cannot send
// (slow headers, endless chunked bodies). LogCapture: the warnings and errors logged meanwhile.
#pragma once

#include <spdlog/logger.h>
#include <spdlog/sinks/ringbuffer_sink.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "metrics/metrics.h"
#include "providers/baremetal/baremetal_provider.h"
#include "state/state_store.h"
#include "syncd/http/http_server.h"
#include "tests/support/test_support.h"

namespace nkd::testing {

class InProcessHttpServer {
 public:
  explicit InProcessHttpServer(syncd::HttpServerOptions options = default_options(),
                               syncd::HttpCallbacks callbacks = {},
                               std::optional<render::ClusterRender> published = std::nullopt);
  ~InProcessHttpServer();
  InProcessHttpServer(const InProcessHttpServer&) = delete;
  InProcessHttpServer& operator=(const InProcessHttpServer&) = delete;

  static syncd::HttpServerOptions default_options();
  [[nodiscard]] int port() const { return server_->port(); }
  [[nodiscard]] state::StateStore& store() { return *store_; }
  [[nodiscard]] metrics::Metrics& metrics() { return metrics_; }

 private:
  ScratchDir scratch_;
  std::unique_ptr<state::StateStore> store_;
  metrics::Metrics metrics_{"test"};
  providers::BareMetalProvider bare_metal_;
  std::unique_ptr<syncd::HttpServer> server_;
};

class RawConnection {
 public:
  // Connects to 127.0.0.1:`port` from `source_address` (any address of 127.0.0.0/8).
  explicit RawConnection(int port, const std::string& source_address = "127.0.0.1");
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  [[nodiscard]] bool connected() const { return socket_ >= 0; }
  // Sends all of `bytes`; false once the peer closed or reset the connection.
  bool send(const std::string& bytes);
  // Whether the peer sent something (or closed) within `wait`.
  [[nodiscard]] bool readable(std::chrono::milliseconds wait) const;
  // Everything the peer sends until it closes or `wait` passes without more data.
  std::string read_until_closed(std::chrono::milliseconds wait);
  // Whether the peer closed the connection (end of stream or reset) within `wait`.
  bool closed_within(std::chrono::milliseconds wait);

 private:
  int socket_ = -1;
};

// The process's resident memory now, in bytes (VmRSS of /proc/self/status).
std::size_t resident_bytes();

// Keeps the last messages logged through spdlog's default logger while it lives.
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  [[nodiscard]] std::string text() const;
  [[nodiscard]] std::size_t count(const std::string& needle) const;

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

// The value of one Prometheus sample line in `exposition` (e.g. `name{label="x"}`), if present.
std::optional<double> metric_value(const std::string& exposition, const std::string& sample);

}  // namespace nkd::testing
