#include "common/curl_http_client.h"

#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <optional>

#include "common/curl_handles.h"
#include "common/dial_destination.h"
#include "common/egress.h"

namespace nkd {

namespace curl {

void ensure_initialized() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace curl

namespace {

// Per-request state the libcurl callbacks write into.
struct Transfer {
  const CidrAllowList* allow = nullptr;
  std::string host;
  std::optional<std::string> denied;  // the egress error message, when a connection was refused
  std::size_t max_body_bytes = 0;
  bool body_too_large = false;
  HttpResponse response;
};

curl_socket_t open_socket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* transfer = static_cast<Transfer*>(user);
  if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKET_BAD;
  auto ip = address_from_sockaddr(&address->addr, address->addrlen);
  if (!ip) {
    transfer->denied = "egress to " + transfer->host + " refused: not an IP socket address";
    return CURL_SOCKET_BAD;
  }
  if (auto status = check_address(transfer->host, *ip, *transfer->allow); !status) {
    transfer->denied = status.error().message;
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t length = size * count;
  if (transfer->response.body.size() + length > transfer->max_body_bytes) {
    transfer->body_too_large = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  transfer->response.body.append(data, length);
  return length;
}

std::string trim(std::string_view text) {
  std::size_t start = 0;
  std::size_t end = text.size();
  while (start < end && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
  while (end > start && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return std::string(text.substr(start, end - start));
}

std::size_t write_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t length = size * count;
  const std::string_view line(data, length);
  // A new status line (after 100 Continue) starts a new header block.
  if (line.starts_with("HTTP/")) {
    transfer->response.headers.clear();
    return length;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return length;
  std::string name = trim(line.substr(0, colon));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string value = trim(line.substr(colon + 1));
  auto [entry, inserted] = transfer->response.headers.try_emplace(name, value);
  if (!inserted) entry->second += ", " + value;
  return length;
}

Error transport_error(CURLcode code, const HttpRequest& request, const Transfer& transfer,
                      const char* detail) {
  const std::string what = request.method + " " + request.url;
  const std::string reason = detail[0] != '\0' ? detail : curl_easy_strerror(code);
  if (transfer.denied) return Error{ErrorCode::kEgressDenied, what + ": " + *transfer.denied};
  if (transfer.body_too_large) {
    return Error{ErrorCode::kIo, what + ": response body exceeds " +
                                     std::to_string(request.max_body_bytes) +
                                     " bytes; raise max_body_bytes if this size is expected"};
  }
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return Error{ErrorCode::kTimeout, what + " timed out: " + reason +
                                            "; check that the server is reachable and responsive"};
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
      return Error{ErrorCode::kUnauthenticated,
                   what + ": TLS verification failed: " + reason +
                       "; check the CA bundle and that the certificate names this host"};
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return Error{ErrorCode::kInvalidArgument, what + ": " + reason + "; use an http(s) URL"};
    default:
      return Error{ErrorCode::kUnavailable, what + " failed: " + reason};
  }
}

// Sets the method and body; curl's defaults differ per verb, so each case is spelled out.
void set_method(CURL* handle, const HttpRequest& request) {
  if (request.method == "GET" && request.body.empty()) {
    curl_easy_setopt(handle, CURLOPT_HTTPGET, 1L);
    return;
  }
  if (request.method == "HEAD") {
    curl_easy_setopt(handle, CURLOPT_NOBODY, 1L);
    return;
  }
  if (!request.body.empty() || request.method == "POST") {
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  }
  if (request.method != "POST") {
    curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
}

void set_tls(CURL* handle, const HttpRequest& request) {
  if (!request.ca_pem.empty()) {
    curl_blob blob{const_cast<char*>(request.ca_pem.data()), request.ca_pem.size(),
                   CURL_BLOB_COPY};
    curl_easy_setopt(handle, CURLOPT_CAINFO_BLOB, &blob);
  } else if (!request.ca_file.empty()) {
    curl_easy_setopt(handle, CURLOPT_CAINFO, request.ca_file.c_str());
  }
  if (!request.ca_pem.empty() || !request.ca_file.empty()) {
    // The CA given is the only one trusted: libcurl would also search its built-in CA directory
    // (/etc/ssl/certs on Debian), where any public CA could vouch for a cluster's API server.
    curl_easy_setopt(handle, CURLOPT_CAPATH, nullptr);
  }
  if (!request.client_cert_pem.empty()) {
    curl_blob cert{const_cast<char*>(request.client_cert_pem.data()),
                   request.client_cert_pem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(handle, CURLOPT_SSLCERT_BLOB, &cert);
    curl_easy_setopt(handle, CURLOPT_SSLCERTTYPE, "PEM");
  }
  if (!request.client_key_pem.empty()) {
    const std::string& key = request.client_key_pem.reveal();
    curl_blob blob{const_cast<char*>(key.data()), key.size(), CURL_BLOB_COPY};
    curl_easy_setopt(handle, CURLOPT_SSLKEY_BLOB, &blob);
    curl_easy_setopt(handle, CURLOPT_SSLKEYTYPE, "PEM");
  }
  const long verify = request.verify_tls ? 1L : 0L;
  curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, verify);
  curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, request.verify_tls ? 2L : 0L);
}

void set_transport(CURL* handle, const HttpRequest& request, Transfer& transfer) {
  curl_easy_setopt(handle, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(handle, CURLOPT_PROXY, "");  // an environment proxy would bypass the guard
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<std::int64_t>(1, request.timeout_ms)));
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::max<std::int64_t>(1, request.connect_timeout_ms)));
  curl_easy_setopt(handle, CURLOPT_OPENSOCKETFUNCTION, open_socket);
  curl_easy_setopt(handle, CURLOPT_OPENSOCKETDATA, &transfer);
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, write_header);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, &transfer);
}

std::string url_host(const std::string& url) {
  CURLU* raw = curl_url();
  if (raw == nullptr) return url;
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(raw, curl_url_cleanup);
  char* host = nullptr;
  if (curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK ||
      curl_url_get(parsed.get(), CURLUPART_HOST, &host, 0) != CURLUE_OK) {
    return url;
  }
  std::string result(host);
  curl_free(host);
  return result;
}

}  // namespace

CurlHttpClient::CurlHttpClient(CidrAllowList egress_allow, Resolver resolver)
    : egress_allow_(std::move(egress_allow)),
      resolver_(resolver ? std::move(resolver) : Resolver(resolve_host)) {
  curl::ensure_initialized();
}

Result<std::string> CurlHttpClient::pin_destination(const HttpRequest& request) const {
  NKD_ASSIGN_OR_RETURN_WRAP(auto destination, dial_destination(request.url, request.connect_to),
                            request.method + " " + request.url);
  if (parse_ip(destination.host)) return std::string();
  auto addresses = resolver_(destination.host, destination.port);
  if (!addresses) {
    return Error{ErrorCode::kUnavailable,
                 request.method + " " + request.url + ": " + addresses.error().message};
  }
  NKD_RETURN_IF_ERROR_WRAP(check_addresses(destination.host, *addresses, egress_allow_),
                           request.method + " " + request.url);
  return pinned_resolve_entry(destination, *addresses);
}

Result<HttpResponse> CurlHttpClient::send(const HttpRequest& request) {
  curl::EasyPtr handle(curl_easy_init());
  if (!handle) return Error{ErrorCode::kInternal, "creating a libcurl handle failed (out of memory?)"};
  Transfer transfer{.allow = &egress_allow_, .host = url_host(request.url),
                    .max_body_bytes = request.max_body_bytes};
  set_transport(handle.get(), request, transfer);
  set_method(handle.get(), request);
  set_tls(handle.get(), request);
  curl::SlistPtr headers;
  for (const auto& [name, value] : request.headers) {
    const std::string line = name + ": " + value;
    if (!curl::slist_append(headers, line.c_str())) return Error{ErrorCode::kInternal, "out of memory building headers"};
  }
  curl::slist_append(headers, "Expect:");  // no 100-continue round trip
  curl_easy_setopt(handle.get(), CURLOPT_HTTPHEADER, headers.get());
  NKD_ASSIGN_OR_RETURN(auto pinned, pin_destination(request));
  curl::SlistPtr resolve;
  if (!pinned.empty()) {
    if (!curl::slist_append(resolve, pinned.c_str())) {
      return Error{ErrorCode::kInternal, "out of memory pinning the resolved address"};
    }
    curl_easy_setopt(handle.get(), CURLOPT_RESOLVE, resolve.get());
  }
  curl::SlistPtr connect_to;
  if (!request.connect_to.empty()) {
    curl::slist_append(connect_to, request.connect_to.c_str());
    curl_easy_setopt(handle.get(), CURLOPT_CONNECT_TO, connect_to.get());
  }
  char detail[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(handle.get(), CURLOPT_ERRORBUFFER, detail);
  const CURLcode code = curl_easy_perform(handle.get());
  if (code != CURLE_OK) return transport_error(code, request, transfer, detail);
  long status = 0;
  curl_easy_getinfo(handle.get(), CURLINFO_RESPONSE_CODE, &status);
  double total = 0;
  curl_easy_getinfo(handle.get(), CURLINFO_TOTAL_TIME, &total);
  transfer.response.status = static_cast<int>(status);
  transfer.response.total_time_seconds = total;
  return std::move(transfer.response);
}

}  // namespace nkd
