// TLS for the guarded listener, over OpenSSL directly. cpp-httplib's SSLServer (0.11) runs its
// own per-connection loop, whose handshake and reads are bounded only per read; GuardedServer
// keeps its bounded loop and runs TLS through these instead.
// - TlsContext: the server's SSL_CTX (certificate chain and key, PEM, from files or memory; TLS
//   1.2 or newer), made once at start and shared, read-only, by every connection.
// - TlsTransport: one connection's TLS session on a non-blocking socket; accept() runs the
//   handshake to a deadline, so a client that connects and sends nothing (or trickles its
//   ClientHello) is dropped when it passes.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/secret.h"
#include "syncd/http/socket_transport.h"

namespace nkd::syncd {

class TlsContext {
 public:
  // `cert_file`: the serving certificate, then any intermediates; `key_file`: its private key
  // (both PEM; may be one file). Errors name the file and OpenSSL's reason.
  [[nodiscard]] static Result<std::shared_ptr<const TlsContext>> from_files(
      const std::string& cert_file, const std::string& key_file);
  // The same from PEM text in memory (a key that is stored sealed never lies on disk in the
  // clear); `what` names them in errors.
  [[nodiscard]] static Result<std::shared_ptr<const TlsContext>> from_pem(std::string_view cert_pem,
                                                                          const Secret& key_pem,
                                                                          const std::string& what);

  [[nodiscard]] SSL_CTX* get() const { return context_.get(); }

 private:
  struct Deleter {
    void operator()(SSL_CTX* context) const { SSL_CTX_free(context); }
  };
  explicit TlsContext(std::unique_ptr<SSL_CTX, Deleter> context) : context_(std::move(context)) {}
  // A server context with nkd's protocol settings and no certificate yet.
  [[nodiscard]] static Result<std::unique_ptr<SSL_CTX, Deleter>> new_server_context();
  std::unique_ptr<SSL_CTX, Deleter> context_;
};

class TlsTransport final : public SocketTransport {
 public:
  // Runs the server side of the handshake on `socket` (non-blocking) until `deadline`; an
  // error when it fails or the deadline passes (kTimeout).
  [[nodiscard]] static Result<std::unique_ptr<TlsTransport>> accept(
      const TlsContext& context, int socket, std::chrono::steady_clock::time_point deadline);

  Outcome receive(char* data, std::size_t size) override;
  Outcome send(const char* data, std::size_t size) override;
  bool has_buffered_input() const override;
  void finish_sending() override;

 private:
  struct Deleter {
    void operator()(SSL* session) const { SSL_free(session); }
  };
  using SessionPtr = std::unique_ptr<SSL, Deleter>;
  TlsTransport(SessionPtr session, int socket) : session_(std::move(session)), socket_(socket) {}
  Outcome outcome_of(int result, std::size_t moved);

  SessionPtr session_;
  int socket_;
};

}  // namespace nkd::syncd
