// Where an HTTP request is dialled, so the egress guard can resolve that name once, check every
// address, and pin libcurl to them (CURLOPT_RESOLVE): curl then never looks the name up itself,
// and an answer that changes between check and connect (DNS rebinding) cannot move the
// connection. Pure functions over text; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/cidr.h"
#include "common/result.h"

namespace nkd {

struct DialDestination {
  std::string host;  // a name or a literal address, without brackets
  int port = 0;
};

// The URL's host and port (the scheme's default port when none is given), or, with
// `connect_to` ("host:port:connect-host:connect-port" as curl's --connect-to, IPv6 in brackets,
// empty parts meaning the URL's), its target. kInvalidArgument when either does not parse.
[[nodiscard]] Result<DialDestination> dial_destination(const std::string& url,
                                                       const std::string& connect_to);

// The CURLOPT_RESOLVE entry that makes curl use exactly `addresses` for `destination`:
// "host:port:addr,addr" with IPv6 addresses in brackets.
[[nodiscard]] std::string pinned_resolve_entry(const DialDestination& destination,
                                               const std::vector<IpAddress>& addresses);

}  // namespace nkd
