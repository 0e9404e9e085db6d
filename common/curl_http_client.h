// CurlHttpClient: HttpClient over libcurl. Every connection is vetted by the egress allow list
// in curl's open-socket hook, before the socket is connected: a refused address never sees a SYN
// and the call fails with kEgressDenied naming the address. Redirects are never followed (a 3xx
// is returned to the caller), proxies from the environment are ignored, only http and https are
// spoken. Thread-safe: each send() uses its own easy handle.
#pragma once

#include "common/cidr.h"
#include "common/http_client.h"

namespace nkd {

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(CidrAllowList egress_allow = {});

  [[nodiscard]] Result<HttpResponse> send(const HttpRequest& request) override;

 private:
  CidrAllowList egress_allow_;
};

}  // namespace nkd
