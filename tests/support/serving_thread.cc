#include "tests/support/serving_thread.h"

#include <chrono>
#include <stdexcept>

#include "tests/support/test_support.h"

namespace nkd::testing {

ServingThread::ServingThread(httplib::Server& server, const std::string& what,
                             const std::string& address, int port)
    : server_(server), address_(address) {
  port_ = port == 0 ? server_.bind_to_any_port(address)
                    : (server_.bind_to_port(address, port) ? port : -1);
  if (port_ <= 0) {
    throw std::runtime_error(what + ": cannot bind " + address + ":" + std::to_string(port));
  }
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  if (!wait_until([this] { return server_.is_running(); }, std::chrono::seconds(5))) {
    server_.stop();
    thread_.join();
    throw std::runtime_error(what + ": the server on " + address + " did not start");
  }
}

ServingThread::~ServingThread() {
  server_.stop();
  thread_.join();
}

std::string ServingThread::url(const std::string& path) const {
  const bool tls = dynamic_cast<const httplib::SSLServer*>(&server_) != nullptr;
  return std::string(tls ? "https://" : "http://") + address_ + ":" + std::to_string(port_) + path;
}

}  // namespace nkd::testing
