// nkd's own client identity: minted from the cluster PKI, cached per cluster, renewed near expiry;
// and the endpoint a cluster is reached at.
#include "providers/kube/kube_identity.h"

#include <gtest/gtest.h>

#include "render/pki/certificate.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_kube_api.h"
#include "tests/support/render_fixtures.h"

namespace nkd {
namespace {

class KubeIdentityTest : public ::testing::Test {
 protected:
  KubeIdentityTest()
      : cluster_(testing::openstack_cluster()),
        pki_(testing::make_real_pki(cluster_)),
        cache_(clock_) {}

  std::int64_t now_unix() const { return clock_.now_unix_ms() / 1000; }

  model::Cluster cluster_;
  pki::ClusterPki pki_;
  // The real time at the start: the certificates are checked by OpenSSL against the real one.
  testing::FakeClock clock_{SystemClock().now_unix_ms()};
  kube::ClientIdentityCache cache_;
};

TEST_F(KubeIdentityTest, MintsAnHourLongSystemMastersCertificateNamedNkd) {
  auto identity = cache_.identity_for("prod-east", pki_);
  ASSERT_TRUE(identity.ok()) << identity.error().message;
  auto certificate = pki::certificate_from_pem(identity->cert_pem);
  ASSERT_TRUE(certificate.ok());
  char common_name[64] = {};
  char organization[64] = {};
  X509_NAME* subject = X509_get_subject_name(certificate->get());
  X509_NAME_get_text_by_NID(subject, NID_commonName, common_name, sizeof common_name);
  X509_NAME_get_text_by_NID(subject, NID_organizationName, organization, sizeof organization);
  EXPECT_STREQ(common_name, "nkd");
  EXPECT_STREQ(organization, "nkd:controllers") << "a group of its own, never system:masters";
  auto facts = pki::read_certificate_facts(identity->cert_pem);
  ASSERT_TRUE(facts.ok());
  EXPECT_NEAR(static_cast<double>(facts->not_after_unix - now_unix()), 3600.0, 400.0);
  EXPECT_NE(identity->cert_pem, pki_.admin.cert_pem);
}

TEST_F(KubeIdentityTest, ReusesTheIdentityUntilTenMinutesAreLeft) {
  auto first = cache_.identity_for("prod-east", pki_);
  ASSERT_TRUE(first.ok());
  clock_.advance(std::chrono::minutes(45));  // 15 minutes left
  auto same = cache_.identity_for("prod-east", pki_);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->cert_pem, first->cert_pem);
  clock_.advance(std::chrono::minutes(6));  // 9 minutes left
  auto renewed = cache_.identity_for("prod-east", pki_);
  ASSERT_TRUE(renewed.ok());
  EXPECT_NE(renewed->cert_pem, first->cert_pem);
}

TEST_F(KubeIdentityTest, KeepsOneIdentityPerClusterAndRenewsOnANewCa) {
  auto east = cache_.identity_for("prod-east", pki_);
  auto west = cache_.identity_for("prod-west", pki_);
  ASSERT_TRUE(east.ok() && west.ok());
  EXPECT_NE(east->cert_pem, west->cert_pem);
  const pki::ClusterPki rotated = testing::make_real_pki(cluster_);
  auto after = cache_.identity_for("prod-east", rotated);
  ASSERT_TRUE(after.ok());
  EXPECT_NE(after->cert_pem, east->cert_pem);
}

TEST_F(KubeIdentityTest, EndpointUsesTheControlPlaneEndpointAndApiServersOverride) {
  const pki::CertKeyPair identity{.cert_pem = "cert", .key_pem = Secret("key")};
  auto direct = kube::endpoint_for(cluster_, pki_, identity);
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(direct->server_url, "https://api.prod-east.example.org:6443");
  EXPECT_TRUE(direct->connect_to.empty());
  EXPECT_EQ(direct->ca_pem, pki_.ca.cert_pem);
  auto tunnelled = kube::endpoint_for(cluster_, pki_, identity, "127.0.0.1:16443");
  ASSERT_TRUE(tunnelled.ok());
  EXPECT_EQ(tunnelled->connect_to, "api.prod-east.example.org:6443:127.0.0.1:16443");
  EXPECT_FALSE(kube::endpoint_for(cluster_, pki_, identity, "127.0.0.1").ok());

  cluster_.kubernetes.control_plane_endpoint = "10.0.0.5:8443";
  EXPECT_EQ(kube::api_server_url(cluster_), "https://10.0.0.5:8443");
  cluster_.kubernetes.control_plane_endpoint = "fd00::5";
  EXPECT_EQ(kube::api_server_url(cluster_), "https://[fd00::5]:6443");
}

}  // namespace
}  // namespace nkd
