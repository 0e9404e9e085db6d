// Egress guard: every outbound connection nkd makes is checked against the operator's allow list
// (DESIGN.md §4 `egress.allow`, overridden by NKD_EGRESS_ALLOW) before a socket is connected, so a
// definition that names a real address can never be dialled from a test or a development machine.
// Free functions; thread-safe (getaddrinfo is reentrant). An empty allow list allows everything.
#pragma once

#include <sys/socket.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/cidr.h"
#include "common/result.h"

namespace nkd {

// The environment variable whose value replaces the configured list.
inline constexpr const char* kEgressAllowVariable = "NKD_EGRESS_ALLOW";

// Parses a comma- or space-separated CIDR list; `origin` names where the text came from, for the
// error message.
[[nodiscard]] Result<CidrAllowList> parse_egress_allow(std::string_view text,
                                                       std::string_view origin = kEgressAllowVariable);
// The list in force: NKD_EGRESS_ALLOW's value when `environment_value` is non-null, else
// `configured`. A value that is set but names no block (empty, or only separators) is an error:
// it must not lift the guard.
[[nodiscard]] Result<CidrAllowList> effective_egress_allow(const CidrAllowList& configured,
                                                           const char* environment_value);
// Same, reading NKD_EGRESS_ALLOW from the process environment.
[[nodiscard]] Result<CidrAllowList> effective_egress_allow_from_environment(
    const CidrAllowList& configured);

// kEgressDenied naming host, address and the list when `address` is outside `allow`.
[[nodiscard]] Status check_address(std::string_view host, const IpAddress& address,
                                   const CidrAllowList& allow);
// Checks every address in `addresses` (all must pass: a resolver may hand out any of them).
[[nodiscard]] Status check_addresses(std::string_view host, const std::vector<IpAddress>& addresses,
                                     const CidrAllowList& allow);
// Resolves `host` (a name or a literal address) for TCP and checks every address it yields.
// An empty list allows everything without resolving; a name that does not resolve is kNetwork.
[[nodiscard]] Status check_destination(const std::string& host, int port, const CidrAllowList& allow);

// All TCP addresses `host` resolves to (getaddrinfo, AF_UNSPEC).
[[nodiscard]] Result<std::vector<IpAddress>> resolve_host(const std::string& host, int port);
// The IP address of a socket address (AF_INET / AF_INET6); nullopt for other families.
[[nodiscard]] std::optional<IpAddress> address_from_sockaddr(const sockaddr* address,
                                                             socklen_t length);
// The socket address of `address`:`port` written into `out`; its length.
socklen_t sockaddr_from_address(const IpAddress& address, int port, sockaddr_storage& out);

}  // namespace nkd
