#include "common/cidr.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace nkd {

namespace {

int address_bits(int family) { return family == AF_INET ? 32 : 128; }

bool prefix_matches(const IpAddress& left, const IpAddress& right, int prefix_length) {
  const int whole_bytes = prefix_length / 8;
  if (std::memcmp(left.bytes.data(), right.bytes.data(), static_cast<std::size_t>(whole_bytes)) != 0) {
    return false;
  }
  const int rest_bits = prefix_length % 8;
  if (rest_bits == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest_bits));
  return (left.bytes[whole_bytes] & mask) == (right.bytes[whole_bytes] & mask);
}

IpAddress masked(const IpAddress& address, int prefix_length) {
  IpAddress result = address;
  const int bits = address_bits(address.family);
  for (int bit = prefix_length; bit < bits; ++bit) {
    result.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
  }
  return result;
}

}  // namespace

std::string IpAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, bytes.data(), text, sizeof(text));
  return text;
}

IpAddress IpAddress::plus(std::uint32_t offset) const {
  IpAddress result = *this;
  int index = (family == AF_INET ? 4 : 16) - 1;
  std::uint64_t carry = offset;
  while (carry != 0 && index >= 0) {
    const std::uint64_t sum = result.bytes[index] + (carry & 0xff);
    result.bytes[index] = static_cast<std::uint8_t>(sum & 0xff);
    carry = (carry >> 8) + (sum >> 8);
    --index;
  }
  return result;
}

std::optional<IpAddress> parse_ip(std::string_view text) {
  const std::string copy(text);
  IpAddress address;
  if (inet_pton(AF_INET, copy.c_str(), address.bytes.data()) == 1) {
    address.family = AF_INET;
    return address;
  }
  if (inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) == 1) {
    address.family = AF_INET6;
    return address;
  }
  return std::nullopt;
}

std::optional<Cidr> parse_cidr(std::string_view text, bool strict) {
  const auto slash = text.find('/');
  const auto address = parse_ip(text.substr(0, slash));
  if (!address) return std::nullopt;
  int prefix_length = address_bits(address->family);
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    const auto [end, error] =
        std::from_chars(digits.data(), digits.data() + digits.size(), prefix_length);
    if (error != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
      return std::nullopt;
    }
    if (prefix_length < 0 || prefix_length > address_bits(address->family)) return std::nullopt;
  }
  const IpAddress network = masked(*address, prefix_length);
  if (strict && network.bytes != address->bytes) return std::nullopt;
  return Cidr{network, prefix_length};
}

std::string cidr_problem(std::string_view text) {
  const auto slash = text.find('/');
  const auto address = parse_ip(text.substr(0, slash));
  if (!address) {
    return "'" + std::string(text.substr(0, slash)) + "' is not an IPv4 or IPv6 address";
  }
  const int bits = address_bits(address->family);
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    int prefix_length = -1;
    const auto [end, error] =
        std::from_chars(digits.data(), digits.data() + digits.size(), prefix_length);
    if (error != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
        prefix_length < 0 || prefix_length > bits) {
      return "the prefix length must be a number from 0 to " + std::to_string(bits);
    }
    const IpAddress network = masked(*address, prefix_length);
    if (network.bytes != address->bytes) {
      return "host bits are set: did you mean " + Cidr{network, prefix_length}.to_string() + "?";
    }
  }
  return "";
}

Cidr enclosing_block(const IpAddress& address, int prefix_length) {
  const int bits = std::clamp(prefix_length, 0, address_bits(address.family));
  return Cidr{masked(address, bits), bits};
}

IpAddress unmap_ipv4(const IpAddress& address) {
  static constexpr std::uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (address.family != AF_INET6 ||
      std::memcmp(address.bytes.data(), kMappedPrefix, sizeof kMappedPrefix) != 0) {
    return address;
  }
  IpAddress ipv4;
  ipv4.family = AF_INET;
  std::memcpy(ipv4.bytes.data(), address.bytes.data() + 12, 4);
  return ipv4;
}

bool Cidr::contains(const IpAddress& address) const {
  return address.family == network.family && prefix_matches(network, address, prefix_length);
}

bool Cidr::overlaps(const Cidr& other) const {
  if (other.network.family != network.family) return false;
  return prefix_matches(network, other.network, std::min(prefix_length, other.prefix_length));
}

std::string Cidr::to_string() const {
  return network.to_string() + "/" + std::to_string(prefix_length);
}

std::optional<CidrAllowList> CidrAllowList::parse(std::string_view text) {
  std::vector<Cidr> blocks;
  std::size_t position = 0;
  while (position < text.size()) {
    const auto end = text.find_first_of(", ", position);
    const std::string_view item = text.substr(position, end == std::string_view::npos
                                                            ? std::string_view::npos
                                                            : end - position);
    if (!item.empty()) {
      auto block = parse_cidr(item, /*strict=*/false);
      if (!block) return std::nullopt;
      blocks.push_back(*block);
    }
    if (end == std::string_view::npos) break;
    position = end + 1;
  }
  return CidrAllowList(std::move(blocks));
}

bool CidrAllowList::allows(const IpAddress& address) const {
  if (blocks_.empty()) return true;
  for (const Cidr& block : blocks_) {
    if (block.contains(address)) return true;
  }
  return false;
}

std::string CidrAllowList::to_string() const {
  std::string text;
  for (const Cidr& block : blocks_) {
    if (!text.empty()) text += ", ";
    text += block.to_string();
  }
  return text.empty() ? "any" : text;
}

}  // namespace nkd
