#include "tests/support/tls_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ctime>
#include <stdexcept>

#include "render/pki/listener_pki.h"

namespace nkd::testing {

namespace {

// Clients (and Ignition) check validity against the real clock.
pki::ListenerPki make_pki(const std::vector<std::string>& hosts) {
  auto pki = pki::ensure_listener_pki(std::nullopt, hosts, std::time(nullptr));
  if (!pki) throw std::runtime_error("making test certificates: " + pki.error().message);
  return std::move(pki).value();
}

}  // namespace

TestListenerCertificates::TestListenerCertificates(const std::vector<std::string>& hosts) {
  const pki::ListenerPki pki = make_pki(hosts);
  ca_pem_ = pki.ca.cert_pem;
  other_ca_pem_ = make_pki(hosts).ca.cert_pem;
  write_file(ca_file(), ca_pem_);
  write_file(other_ca_file(), other_ca_pem_);
  write_file(server_file(), pki.server.cert_pem + pki.server.key_pem.reveal());
  auto context = syncd::TlsContext::from_files(server_file(), server_file());
  if (!context) throw std::runtime_error("test TLS context: " + context.error().message);
  context_ = std::move(context).value();
}

RawTlsConnection::RawTlsConnection(int port, const std::string& ca_file) {
  socket_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
  if (socket_ < 0 || ::connect(socket_, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0) {
    return;
  }
  const timeval limit{.tv_sec = 5, .tv_usec = 0};
  setsockopt(socket_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  setsockopt(socket_, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  context_ = SSL_CTX_new(TLS_client_method());
  if (context_ == nullptr ||
      SSL_CTX_load_verify_locations(context_, ca_file.c_str(), nullptr) != 1) {
    return;
  }
  SSL_CTX_set_verify(context_, SSL_VERIFY_PEER, nullptr);
  SSL* session = SSL_new(context_);
  SSL_set_fd(session, socket_);
  SSL_set1_host(session, "127.0.0.1");
  if (SSL_connect(session) != 1) {
    SSL_free(session);
    return;
  }
  session_ = session;
}

RawTlsConnection::~RawTlsConnection() {
  if (session_ != nullptr) SSL_free(session_);
  if (context_ != nullptr) SSL_CTX_free(context_);
  if (socket_ >= 0) ::close(socket_);
}

bool RawTlsConnection::send(const std::string& bytes) {
  std::size_t written = 0;
  return session_ != nullptr && SSL_write_ex(session_, bytes.data(), bytes.size(), &written) == 1;
}

bool RawTlsConnection::closed_within(std::chrono::milliseconds wait) {
  if (session_ == nullptr) return true;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (SSL_pending(session_) == 0) {
      pollfd descriptor{.fd = socket_, .events = POLLIN, .revents = 0};
      if (::poll(&descriptor, 1, static_cast<int>(left.count())) <= 0) return false;
    }
    char sink[4096];
    std::size_t read_bytes = 0;
    if (SSL_read_ex(session_, sink, sizeof sink, &read_bytes) != 1) return true;
  }
}

}  // namespace nkd::testing
