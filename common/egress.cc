#include "common/egress.h"

#include <netdb.h>
#include <netinet/in.h>

#include <cstdlib>
#include <cstring>
#include <memory>

namespace nkd {

namespace {

struct AddrinfoDeleter {
  void operator()(addrinfo* info) const {
    if (info != nullptr) freeaddrinfo(info);
  }
};
using AddrinfoPtr = std::unique_ptr<addrinfo, AddrinfoDeleter>;

std::string describe_list(const CidrAllowList& allow) {
  return allow.empty() ? std::string("any") : allow.to_string();
}

}  // namespace

Result<CidrAllowList> parse_egress_allow(std::string_view text, std::string_view origin) {
  auto list = CidrAllowList::parse(text);
  if (!list) {
    return Error{ErrorCode::kInvalidArgument,
                 std::string(origin) + " '" + std::string(text) +
                     "' is not a list of CIDR blocks; write it like 127.0.0.0/8,::1/128"};
  }
  return *list;
}

Result<CidrAllowList> effective_egress_allow(const CidrAllowList& configured,
                                             const char* environment_value) {
  if (environment_value == nullptr) return configured;
  auto list = parse_egress_allow(environment_value);
  if (list && list->empty()) {
    // An empty list means "any destination"; set-but-empty is far more often a script's unset
    // variable than an operator's wish to lift the guard.
    return Error{ErrorCode::kInvalidArgument,
                 std::string(kEgressAllowVariable) +
                     " is set but names no CIDR block, which would allow every destination; set "
                     "it to the blocks nkd may reach (e.g. 127.0.0.0/8,::1/128), or unset it to "
                     "use egress.allow from syncd.yaml"};
  }
  return list;
}

Result<CidrAllowList> effective_egress_allow_from_environment(const CidrAllowList& configured) {
  return effective_egress_allow(configured, std::getenv(kEgressAllowVariable));
}

Status check_address(std::string_view host, const IpAddress& address, const CidrAllowList& allow) {
  if (allow.allows(address)) return ok_status();
  return Error{ErrorCode::kEgressDenied,
               "egress to " + std::string(host) + " (" + address.to_string() +
                   ") refused: the address is outside the egress allow list [" +
                   describe_list(allow) + "]; add it to egress.allow or " +
                   kEgressAllowVariable + " if this destination is intended"};
}

Status check_addresses(std::string_view host, const std::vector<IpAddress>& addresses,
                       const CidrAllowList& allow) {
  if (addresses.empty()) {
    return Error{ErrorCode::kNetwork, "egress check: " + std::string(host) + " has no address"};
  }
  for (const IpAddress& address : addresses) {
    NKD_RETURN_IF_ERROR(check_address(host, address, allow));
  }
  return ok_status();
}

Result<std::vector<IpAddress>> resolve_host(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* raw = nullptr;
  const std::string service = std::to_string(port);
  const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &raw);
  AddrinfoPtr results(raw);
  if (rc != 0) {
    return Error{ErrorCode::kNetwork, "resolving " + host + ": " + gai_strerror(rc) +
                                          "; check the host name and the resolver"};
  }
  std::vector<IpAddress> addresses;
  for (const addrinfo* info = results.get(); info != nullptr; info = info->ai_next) {
    auto address = address_from_sockaddr(info->ai_addr, info->ai_addrlen);
    if (address) addresses.push_back(*address);
  }
  return addresses;
}

Status check_destination(const std::string& host, int port, const CidrAllowList& allow) {
  if (allow.empty()) return ok_status();
  NKD_ASSIGN_OR_RETURN(auto addresses, resolve_host(host, port));
  return check_addresses(host, addresses, allow);
}

std::optional<IpAddress> address_from_sockaddr(const sockaddr* address, socklen_t length) {
  if (address == nullptr) return std::nullopt;
  IpAddress result;
  if (address->sa_family == AF_INET && length >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    sockaddr_in ipv4{};
    std::memcpy(&ipv4, address, sizeof(ipv4));
    result.family = AF_INET;
    std::memcpy(result.bytes.data(), &ipv4.sin_addr, 4);
    return result;
  }
  if (address->sa_family == AF_INET6 && length >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    sockaddr_in6 ipv6{};
    std::memcpy(&ipv6, address, sizeof(ipv6));
    // An IPv4-mapped IPv6 address reaches the IPv4 host: judge it as that host.
    if (IN6_IS_ADDR_V4MAPPED(&ipv6.sin6_addr)) {
      result.family = AF_INET;
      std::memcpy(result.bytes.data(), ipv6.sin6_addr.s6_addr + 12, 4);
      return result;
    }
    result.family = AF_INET6;
    std::memcpy(result.bytes.data(), &ipv6.sin6_addr, 16);
    return result;
  }
  return std::nullopt;
}

socklen_t sockaddr_from_address(const IpAddress& address, int port, sockaddr_storage& out) {
  out = sockaddr_storage{};
  if (address.family == AF_INET) {
    sockaddr_in ipv4{};
    ipv4.sin_family = AF_INET;
    ipv4.sin_port = htons(static_cast<std::uint16_t>(port));
    std::memcpy(&ipv4.sin_addr, address.bytes.data(), 4);
    std::memcpy(&out, &ipv4, sizeof ipv4);
    return sizeof ipv4;
  }
  sockaddr_in6 ipv6{};
  ipv6.sin6_family = AF_INET6;
  ipv6.sin6_port = htons(static_cast<std::uint16_t>(port));
  std::memcpy(&ipv6.sin6_addr, address.bytes.data(), 16);
  std::memcpy(&out, &ipv6, sizeof ipv6);
  return sizeof ipv6;
}

}  // namespace nkd
