// CurlHttpClient: HttpClient over libcurl. A destination given by name is resolved once here,
// every address it has is checked against the egress allow list, and curl is pinned to those
// addresses (CURLOPT_RESOLVE), so it never resolves the name again and a DNS answer that changes
// after the check cannot redirect the connection. Every connection is also vetted in curl's
// open-socket hook, before the socket is connected: a refused address never sees a SYN and the
// call fails with kEgressDenied naming the address. Redirects are never followed (a 3xx
// is returned to the caller), proxies from the environment are ignored, only http and https are
// spoken. Thread-safe: each send() uses its own easy handle.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/cidr.h"
#include "common/http_client.h"

namespace nkd {

class CurlHttpClient final : public HttpClient {
 public:
  // Resolves a host name for TCP; the default is getaddrinfo (egress.h resolve_host), whose
  // time is bounded by the system resolver's timeout and attempts (resolv.conf).
  using Resolver = std::function<Result<std::vector<IpAddress>>(const std::string& host, int port)>;

  explicit CurlHttpClient(CidrAllowList egress_allow = {}, Resolver resolver = {});

  [[nodiscard]] Result<HttpResponse> send(const HttpRequest& request) override;

 private:
  // The CURLOPT_RESOLVE entry pinning the request's destination to its checked addresses, or ""
  // when it is a literal address (nothing to resolve; the open-socket hook checks it).
  [[nodiscard]] Result<std::string> pin_destination(const HttpRequest& request) const;

  CidrAllowList egress_allow_;
  Resolver resolver_;
};

}  // namespace nkd
