// The egress guard's decisions: which addresses a CIDR allow list lets through, and the
// NKD_EGRESS_ALLOW override. Only loopback and documentation addresses; nothing is dialled.
#include "common/egress.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <gtest/gtest.h>

#include "source/remote_url.h"

namespace nkd {
namespace {

CidrAllowList list(const char* text) {
  auto parsed = parse_egress_allow(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return parsed.ok() ? *parsed : CidrAllowList();
}

TEST(Egress, AddressOutsideTheListIsDeniedWithHostAddressAndList) {
  auto status = check_address("git.example.org", *parse_ip("192.0.2.10"), list("127.0.0.0/8,::1/128"));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::kEgressDenied);
  EXPECT_NE(status.error().message.find("git.example.org"), std::string::npos);
  EXPECT_NE(status.error().message.find("192.0.2.10"), std::string::npos);
  EXPECT_NE(status.error().message.find("127.0.0.0/8"), std::string::npos);
}

TEST(Egress, AddressInsideTheListAndEmptyListAreAllowed) {
  EXPECT_TRUE(check_address("h", *parse_ip("127.0.0.5"), list("127.0.0.0/8")).ok());
  EXPECT_TRUE(check_address("h", *parse_ip("::1"), list("127.0.0.0/8 ::1/128")).ok());
  EXPECT_TRUE(check_address("h", *parse_ip("192.0.2.10"), CidrAllowList()).ok());
}

TEST(Egress, EveryResolvedAddressMustPass) {
  const std::vector<IpAddress> mixed = {*parse_ip("127.0.0.1"), *parse_ip("192.0.2.1")};
  EXPECT_FALSE(check_addresses("h", mixed, list("127.0.0.0/8")).ok());
  EXPECT_TRUE(check_addresses("h", {*parse_ip("127.0.0.1")}, list("127.0.0.0/8")).ok());
  EXPECT_FALSE(check_addresses("h", {}, list("127.0.0.0/8")).ok());
}

TEST(Egress, CheckDestinationResolvesLiteralAddressesWithoutConnecting) {
  auto denied = check_destination("127.0.0.1", 9, list("127.0.0.2/32"));
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, ErrorCode::kEgressDenied);
  EXPECT_TRUE(check_destination("127.0.0.2", 9, list("127.0.0.2/32")).ok());
}

TEST(Egress, EnvironmentValueOverridesTheConfiguredList) {
  const CidrAllowList configured = list("10.0.0.0/8");
  auto overridden = effective_egress_allow(configured, "127.0.0.2/32");
  ASSERT_TRUE(overridden.ok());
  EXPECT_TRUE(overridden->allows(*parse_ip("127.0.0.2")));
  EXPECT_FALSE(overridden->allows(*parse_ip("10.1.2.3")));
  auto kept = effective_egress_allow(configured, nullptr);
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->allows(*parse_ip("10.1.2.3")));
  auto bad = effective_egress_allow(configured, "127.0.0.0/8,nonsense");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("NKD_EGRESS_ALLOW"), std::string::npos);
}

TEST(Egress, SetButEmptyEnvironmentValueIsAnErrorNotAllowAll) {
  for (const char* empty : {"", "  ", ","}) {
    auto refused = effective_egress_allow(list("10.0.0.0/8"), empty);
    ASSERT_FALSE(refused.ok()) << "'" << empty << "'";
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(refused.error().message.find("unset it"), std::string::npos);
  }
  // An empty configured list keeps its meaning (any) when the variable is unset.
  auto unset = effective_egress_allow(CidrAllowList(), nullptr);
  ASSERT_TRUE(unset.ok());
  EXPECT_TRUE(unset->allows(*parse_ip("192.0.2.1")));
}

TEST(Egress, Ipv4MappedIpv6SocketAddressIsJudgedAsIpv4) {
  sockaddr_in6 mapped{};
  mapped.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "::ffff:192.0.2.7", &mapped.sin6_addr);
  auto address = address_from_sockaddr(reinterpret_cast<sockaddr*>(&mapped), sizeof(mapped));
  ASSERT_TRUE(address.has_value());
  EXPECT_EQ(address->to_string(), "192.0.2.7");
  EXPECT_FALSE(list("::/0").allows(*address));
}

TEST(RemoteUrl, FindsTheHostAndPortEachTransportDials) {
  using source::Transport;
  auto ssh = source::parse_remote_url("ssh://root@127.0.0.1:2222/srv/repo.git");
  ASSERT_TRUE(ssh.ok());
  EXPECT_EQ(ssh->transport, Transport::kSsh);
  EXPECT_EQ(ssh->host, "127.0.0.1");
  EXPECT_EQ(ssh->port, 2222);
  EXPECT_EQ(ssh->username, "root");
  auto scp = source::parse_remote_url("git@git.example.org:ops/clusters.git");
  ASSERT_TRUE(scp.ok());
  EXPECT_EQ(scp->transport, Transport::kSsh);
  EXPECT_EQ(scp->host, "git.example.org");
  EXPECT_EQ(scp->port, 22);
  auto https = source::parse_remote_url("https://[::1]/repo.git");
  ASSERT_TRUE(https.ok());
  EXPECT_EQ(https->host, "::1");
  EXPECT_EQ(https->port, 443);
  EXPECT_EQ(source::parse_remote_url("git://127.0.0.1/r")->port, 9418);
  EXPECT_EQ(source::parse_remote_url("/srv/repo.git")->transport, Transport::kLocal);
  EXPECT_EQ(source::parse_remote_url("file:///srv/repo.git")->transport, Transport::kLocal);
  EXPECT_FALSE(source::parse_remote_url("ftp://127.0.0.1/r").ok());
  // Over HTTP the user part may be the token itself: all of it goes.
  EXPECT_EQ(source::display_url("https://ops:hunter2@git.example.org/r.git"),
            "https://<redacted>@git.example.org/r.git");
  EXPECT_EQ(source::display_url("https://ghp_token123@git.example.org/r.git"),
            "https://<redacted>@git.example.org/r.git");
  EXPECT_EQ(source::display_url("ssh://git:pw@git.example.org/r.git"), "ssh://git@git.example.org/r.git");
  EXPECT_EQ(source::display_url("ssh://git@git.example.org/r@2.git"), "ssh://git@git.example.org/r@2.git");
  EXPECT_EQ(source::display_url("https://git.example.org/a@b.git"), "https://git.example.org/a@b.git");
  const std::string url = "https://ops:hunter2@git.example.org/r.git";
  EXPECT_EQ(source::redact_url_credentials("GET " + url + " failed for ops:hunter2", url),
            "GET https://<redacted>@git.example.org/r.git failed for <redacted>");
}

}  // namespace
}  // namespace nkd
