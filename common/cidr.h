// IPv4/IPv6 addresses and CIDR blocks: parsing, containment and overlap. Shared by validation
// (subnets in cluster definitions) and the egress guard (egress.allow).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nkd {

struct IpAddress {
  int family = 0;  // AF_INET or AF_INET6
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4

  [[nodiscard]] std::string to_string() const;
  // The address `offset` after this one within its family (wraps silently; callers stay in range).
  [[nodiscard]] IpAddress plus(std::uint32_t offset) const;
};

struct Cidr {
  IpAddress network;
  int prefix_length = 0;

  [[nodiscard]] bool contains(const IpAddress& address) const;
  [[nodiscard]] bool overlaps(const Cidr& other) const;
  [[nodiscard]] std::string to_string() const;
};

std::optional<IpAddress> parse_ip(std::string_view text);
// "10.0.0.0/8", "::1/128"; a bare address is a /32 or /128. Host bits must be zero when
// `strict` (cluster subnets); the egress list accepts "127.0.0.1/8" as 127.0.0.0/8.
std::optional<Cidr> parse_cidr(std::string_view text, bool strict = true);
// Why parse_cidr(text, true) refuses `text`, in words a user can act on ("the prefix length must
// be 0 to 32", "host bits are set: did you mean 10.244.0.0/16?"); "" when it does not.
std::string cidr_problem(std::string_view text);

// The block of `prefix_length` bits that holds `address` (203.0.113.7 and 24: 203.0.113.0/24);
// the length is clamped to the family's width.
Cidr enclosing_block(const IpAddress& address, int prefix_length);
// An IPv4-mapped IPv6 address (::ffff:203.0.113.7) as the IPv4 address it reaches; any other
// address unchanged.
IpAddress unmap_ipv4(const IpAddress& address);

// An allow list; empty allows everything (DESIGN.md §4).
class CidrAllowList {
 public:
  CidrAllowList() = default;
  explicit CidrAllowList(std::vector<Cidr> blocks) : blocks_(std::move(blocks)) {}
  // Parses a comma- or space-separated list (NKD_EGRESS_ALLOW); nullopt on any bad entry.
  static std::optional<CidrAllowList> parse(std::string_view text);

  [[nodiscard]] bool allows(const IpAddress& address) const;
  [[nodiscard]] bool empty() const { return blocks_.empty(); }
  [[nodiscard]] std::string to_string() const;

 private:
  std::vector<Cidr> blocks_;
};

}  // namespace nkd
