#include "syncd/http/tls_transport.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <poll.h>
#include <sys/socket.h>

#include "common/openssl_handles.h"

namespace nkd::syncd {

namespace {

// OpenSSL's reasons for the last failure on this thread, and an empty queue afterwards (the
// queue is per thread, and a worker serves many connections).
std::string drain_openssl_errors() {
  std::string reasons;
  while (const unsigned long packed = ERR_get_error()) {
    char text[256] = {};
    ERR_error_string_n(packed, text, sizeof text);
    if (!reasons.empty()) reasons += "; ";
    reasons += text;
  }
  return reasons.empty() ? "no reason reported by OpenSSL" : reasons;
}

}  // namespace

Result<std::unique_ptr<SSL_CTX, TlsContext::Deleter>> TlsContext::new_server_context() {
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, Deleter> context(SSL_CTX_new(TLS_server_method()));
  if (!context) {
    return Error{ErrorCode::kInternal, "creating a TLS context: " + drain_openssl_errors()};
  }
  SSL_CTX_set_min_proto_version(context.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(context.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Writes may resume with the same bytes at another address (cpp-httplib's buffers move).
  SSL_CTX_set_mode(context.get(),
                   SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return context;
}

Result<std::shared_ptr<const TlsContext>> TlsContext::from_files(const std::string& cert_file,
                                                                 const std::string& key_file) {
  NKD_ASSIGN_OR_RETURN(auto context, new_server_context());
  if (SSL_CTX_use_certificate_chain_file(context.get(), cert_file.c_str()) != 1) {
    return Error{ErrorCode::kInvalidArgument,
                 "cannot use " + cert_file + " as the HTTPS certificate (" +
                     drain_openssl_errors() + "); http.tls.certFile must be PEM, leaf first"};
  }
  if (SSL_CTX_use_PrivateKey_file(context.get(), key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(context.get()) != 1) {
    return Error{ErrorCode::kInvalidArgument,
                 "cannot use " + key_file + " as the HTTPS key (" + drain_openssl_errors() +
                     "); http.tls.keyFile must be the PEM key of certFile's certificate"};
  }
  return std::shared_ptr<const TlsContext>(new TlsContext(std::move(context)));
}

Result<std::shared_ptr<const TlsContext>> TlsContext::from_pem(std::string_view cert_pem,
                                                               const Secret& key_pem,
                                                               const std::string& what) {
  NKD_ASSIGN_OR_RETURN(auto context, new_server_context());
  BioPtr certificates(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  X509Ptr leaf(PEM_read_bio_X509(certificates.get(), nullptr, nullptr, nullptr));
  bool loaded = leaf && SSL_CTX_use_certificate(context.get(), leaf.get()) == 1;
  while (loaded) {
    X509Ptr intermediate(PEM_read_bio_X509(certificates.get(), nullptr, nullptr, nullptr));
    if (!intermediate) {
      // The end of the text reads as "no start line"; anything else is a damaged certificate.
      const unsigned long reason = ERR_peek_last_error();
      if (ERR_GET_LIB(reason) == ERR_LIB_PEM && ERR_GET_REASON(reason) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
      } else {
        loaded = false;
      }
      break;
    }
    loaded = SSL_CTX_add1_chain_cert(context.get(), intermediate.get()) == 1;
  }
  const std::string& key_text = key_pem.reveal();
  BioPtr key_bio(BIO_new_mem_buf(key_text.data(), static_cast<int>(key_text.size())));
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!loaded || !key || SSL_CTX_use_PrivateKey(context.get(), key.get()) != 1 ||
      SSL_CTX_check_private_key(context.get()) != 1) {
    return Error{ErrorCode::kInvalidArgument,
                 "cannot use " + what + " as the HTTPS certificate and key (" +
                     drain_openssl_errors() + "); restore it from a backup"};
  }
  return std::shared_ptr<const TlsContext>(new TlsContext(std::move(context)));
}

Result<std::unique_ptr<TlsTransport>> TlsTransport::accept(
    const TlsContext& context, int socket, std::chrono::steady_clock::time_point deadline) {
  ERR_clear_error();
  SessionPtr session(SSL_new(context.get()));
  if (!session || SSL_set_fd(session.get(), socket) != 1) {
    return Error{ErrorCode::kInternal, "starting a TLS session: " + drain_openssl_errors()};
  }
  for (;;) {
    const int result = SSL_accept(session.get());
    if (result == 1) break;
    const int reason = SSL_get_error(session.get(), result);
    short events = 0;
    if (reason == SSL_ERROR_WANT_READ) events = POLLIN;
    if (reason == SSL_ERROR_WANT_WRITE) events = POLLOUT;
    if (events == 0) {
      return Error{ErrorCode::kInvalidArgument, "TLS handshake failed: " + drain_openssl_errors()};
    }
    if (!wait_for_socket(socket, events, deadline)) {
      return Error{ErrorCode::kTimeout, "TLS handshake did not finish in time"};
    }
  }
  return std::unique_ptr<TlsTransport>(new TlsTransport(std::move(session), socket));
}

SocketTransport::Outcome TlsTransport::outcome_of(int result, std::size_t moved) {
  if (result == 1) return {.progress = Progress::kDone, .bytes = moved};
  switch (SSL_get_error(session_.get(), result)) {
    case SSL_ERROR_WANT_READ:
      return {.progress = Progress::kWantRead};
    case SSL_ERROR_WANT_WRITE:
      return {.progress = Progress::kWantWrite};
    case SSL_ERROR_ZERO_RETURN:
      return {.progress = Progress::kClosed};
    default:
      ERR_clear_error();
      return {.progress = Progress::kFailed};
  }
}

SocketTransport::Outcome TlsTransport::receive(char* data, std::size_t size) {
  std::size_t read_bytes = 0;
  const int result = SSL_read_ex(session_.get(), data, size, &read_bytes);
  return outcome_of(result, read_bytes);
}

SocketTransport::Outcome TlsTransport::send(const char* data, std::size_t size) {
  std::size_t written_bytes = 0;
  const int result = SSL_write_ex(session_.get(), data, size, &written_bytes);
  Outcome outcome = outcome_of(result, written_bytes);
  if (outcome.progress == Progress::kClosed) outcome.progress = Progress::kFailed;
  return outcome;
}

bool TlsTransport::has_buffered_input() const { return SSL_pending(session_.get()) > 0; }

void TlsTransport::finish_sending() {
  // One try: the socket is non-blocking, and a peer that does not read loses only the alert.
  (void)SSL_shutdown(session_.get());
  ERR_clear_error();
  ::shutdown(socket_, SHUT_WR);
}

}  // namespace nkd::syncd
