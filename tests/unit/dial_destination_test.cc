#include "common/dial_destination.h"

#include <gtest/gtest.h>

namespace nkd {
namespace {

DialDestination destination(const std::string& url, const std::string& connect_to = "") {
  auto result = dial_destination(url, connect_to);
  EXPECT_TRUE(result.ok()) << result.error().message;
  return result.ok() ? *result : DialDestination{};
}

TEST(DialDestination, IsTheUrlsHostAndPortWithTheSchemeDefault) {
  EXPECT_EQ(destination("https://keystone.example.org/v3").host, "keystone.example.org");
  EXPECT_EQ(destination("https://keystone.example.org/v3").port, 443);
  EXPECT_EQ(destination("http://git.example.org/").port, 80);
  EXPECT_EQ(destination("https://api.example.org:6443/healthz").port, 6443);
  EXPECT_EQ(destination("http://[::1]:8080/").host, "::1");
}

TEST(DialDestination, ConnectToNamesTheDialledHostAndPort) {
  const auto tunnelled = destination("https://api.prod.example.org:6443/",
                                     "api.prod.example.org:6443:bastion.example:16443");
  EXPECT_EQ(tunnelled.host, "bastion.example");
  EXPECT_EQ(tunnelled.port, 16443);
  const auto ipv6 = destination("https://api.example.org/", "api.example.org:443:[::1]:8443");
  EXPECT_EQ(ipv6.host, "::1");
  EXPECT_EQ(ipv6.port, 8443);
  // Empty parts keep the URL's.
  const auto same_port = destination("https://api.example.org:6443/", "::other.example:");
  EXPECT_EQ(same_port.host, "other.example");
  EXPECT_EQ(same_port.port, 6443);
}

TEST(DialDestination, MalformedInputIsAnInvalidArgument) {
  EXPECT_EQ(dial_destination("not a url", "").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(dial_destination("https://a.example/", "a.example:443").error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(dial_destination("https://a.example/", "a.example:443:b.example:99999").error().code,
            ErrorCode::kInvalidArgument);
}

TEST(DialDestination, PinnedEntryListsEveryAddressIpv6InBrackets) {
  EXPECT_EQ(pinned_resolve_entry({.host = "git.example.org", .port = 443},
                                 {*parse_ip("192.0.2.7"), *parse_ip("2001:db8::7")}),
            "git.example.org:443:192.0.2.7,[2001:db8::7]");
}

}  // namespace
}  // namespace nkd
