// Certificates for tests of the HTTPS listener: a CA and a serving certificate made with the
// project's PKI helpers (render/pki/listener_pki.h), written under a scratch directory, and a
// TLS context for the in-process server. Also a second, unrelated CA, for clients and nodes
// that must refuse the listener. Files go when the object goes.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "syncd/http/tls_transport.h"
#include "tests/support/test_support.h"

namespace nkd::testing {

class TestListenerCertificates {
 public:
  // A serving certificate for `hosts` (default: 127.0.0.1 and localhost).
  explicit TestListenerCertificates(const std::vector<std::string>& hosts = {"127.0.0.1",
                                                                             "localhost"});

  [[nodiscard]] const std::string& ca_pem() const { return ca_pem_; }
  [[nodiscard]] std::string ca_file() const { return (dir_.path() / "ca.crt").string(); }
  // The certificate, then its key, in one PEM file (what http.tls.certFile/keyFile may name).
  [[nodiscard]] std::string server_file() const { return (dir_.path() / "server.pem").string(); }
  [[nodiscard]] const std::shared_ptr<const syncd::TlsContext>& context() const { return context_; }
  // Another CA, which signed nothing the listener serves.
  [[nodiscard]] const std::string& other_ca_pem() const { return other_ca_pem_; }
  [[nodiscard]] std::string other_ca_file() const {
    return (dir_.path() / "other-ca.crt").string();
  }

 private:
  ScratchDir dir_;
  std::string ca_pem_;
  std::string other_ca_pem_;
  std::shared_ptr<const syncd::TlsContext> context_;
};

// A TLS connection to 127.0.0.1 that trusts one CA file, for requests cpp-httplib's client
// cannot send (headers a line at a time). Blocking; each call bounded by `wait`.
class RawTlsConnection {
 public:
  RawTlsConnection(int port, const std::string& ca_file);
  ~RawTlsConnection();
  RawTlsConnection(const RawTlsConnection&) = delete;
  RawTlsConnection& operator=(const RawTlsConnection&) = delete;

  // Whether the handshake succeeded and the certificate verified.
  [[nodiscard]] bool connected() const { return session_ != nullptr; }
  // Sends all of `bytes`; false once the connection failed.
  bool send(const std::string& bytes);
  // Whether the server closed the connection (close_notify, end of stream or reset) within
  // `wait`; data it sends meanwhile is read and dropped.
  bool closed_within(std::chrono::milliseconds wait);

 private:
  int socket_ = -1;
  SSL_CTX* context_ = nullptr;
  SSL* session_ = nullptr;
};

}  // namespace nkd::testing
