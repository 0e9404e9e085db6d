#include "tests/support/http_server_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "state/sqlite_state_store.h"

namespace nkd::testing {

namespace {

render::ClusterRender lab_render() {
  render::ClusterRender render;
  render.cluster = "lab";
  for (const char* name : {"lab-cp-0", "lab-worker-0"}) {
    render::NodeRender node;
    node.node.name = name;
    node.node.pool = "pool";
    node.node.mac = "52:54:00:00:00:01";
    node.ignition = std::string("{\"ignition\":{\"version\":\"3.3.0\"},\"node\":\"") + name + "\"}";
    node.ignition_sha256 = std::string("digest-") + name;
    node.fetch_token = Secret(std::string("token-") + name);
    render.nodes.push_back(node);
  }
  return render;
}

}  // namespace

InProcessHttpServer::InProcessHttpServer(syncd::HttpServerOptions options,
                                         syncd::HttpCallbacks callbacks,
                                         std::optional<render::ClusterRender> published) {
  auto store = state::open_sqlite_state_store((scratch_.path() / "state.db").string());
  if (!store)
    throw std::runtime_error("cannot open the test state store: " + store.error().message);
  store_ = std::move(store).value();
  model::Cluster cluster;
  const render::ClusterRender render = published ? std::move(*published) : lab_render();
  cluster.name = render.cluster;
  cluster.platform = model::BareMetalPlatform{};
  if (!bare_metal_.apply(cluster, render, {}).ok()) {
    throw std::runtime_error("cannot publish the test cluster's Ignition configs");
  }
  server_ = std::make_unique<syncd::HttpServer>(std::move(options), *store_, metrics_, bare_metal_,
                                                std::move(callbacks));
  if (auto started = server_->start(); !started) {
    throw std::runtime_error("cannot start the HTTP server: " + started.error().message);
  }
}

InProcessHttpServer::~InProcessHttpServer() { server_->stop(); }

syncd::HttpServerOptions InProcessHttpServer::default_options() {
  return syncd::HttpServerOptions{
      .host = "127.0.0.1",
      .port = 0,
      .watched_ref = "refs/heads/main",
      .webhook_secrets = syncd::WebhookSecrets(Secret("test-webhook-secret"))};
}

RawConnection::RawConnection(int port, const std::string& source_address) {
  socket_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (socket_ < 0) return;
  sockaddr_in source{};
  source.sin_family = AF_INET;
  inet_pton(AF_INET, source_address.c_str(), &source.sin_addr);
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
  if (::bind(socket_, reinterpret_cast<sockaddr*>(&source), sizeof source) != 0 ||
      ::connect(socket_, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0) {
    ::close(socket_);
    socket_ = -1;
  }
}

RawConnection::~RawConnection() {
  if (socket_ >= 0) ::close(socket_);
}

bool RawConnection::send(const std::string& bytes) {
  std::size_t offset = 0;
  while (socket_ >= 0 && offset < bytes.size()) {
    const auto sent = ::send(socket_, bytes.data() + offset, bytes.size() - offset, MSG_NOSIGNAL);
    if (sent <= 0) return false;
    offset += static_cast<std::size_t>(sent);
  }
  return socket_ >= 0;
}

bool RawConnection::readable(std::chrono::milliseconds wait) const {
  pollfd descriptor{.fd = socket_, .events = POLLIN, .revents = 0};
  return ::poll(&descriptor, 1, static_cast<int>(wait.count())) > 0;
}

std::string RawConnection::read_until_closed(std::chrono::milliseconds wait) {
  std::string received;
  char buffer[4096];
  while (readable(wait)) {
    const auto count = ::recv(socket_, buffer, sizeof buffer, 0);
    if (count <= 0) break;
    received.append(buffer, static_cast<std::size_t>(count));
  }
  return received;
}

bool RawConnection::closed_within(std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  char buffer[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!readable(left)) return false;
    if (::recv(socket_, buffer, sizeof buffer, 0) <= 0) return true;
  }
  return false;
}

std::size_t resident_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::stoul(line.substr(6)) * 1024;
  }
  return 0;
}

LogCapture::LogCapture()
    : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000)),
      previous_(spdlog::default_logger()) {
  auto sinks = previous_->sinks();
  sinks.push_back(sink_);
  auto logger = std::make_shared<spdlog::logger>("capture", sinks.begin(), sinks.end());
  logger->set_level(previous_->level());
  spdlog::set_default_logger(logger);
}

LogCapture::~LogCapture() { spdlog::set_default_logger(previous_); }

std::string LogCapture::text() const {
  std::string joined;
  for (const auto& line : sink_->last_formatted()) joined += line;
  return joined;
}

std::size_t LogCapture::count(const std::string& needle) const {
  std::size_t found = 0;
  for (const auto& line : sink_->last_formatted()) {
    if (line.find(needle) != std::string::npos) ++found;
  }
  return found;
}

std::optional<double> metric_value(const std::string& exposition, const std::string& sample) {
  std::istringstream lines(exposition);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with(sample + " ")) return std::stod(line.substr(sample.size() + 1));
  }
  return std::nullopt;
}

}  // namespace nkd::testing
