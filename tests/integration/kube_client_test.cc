// KubeClient against FakeKubeApi over real mutual TLS on 127.0.0.1: the cluster's own apiserver
// certificate, reached through --connect-to under the cluster's endpoint name.
#include "providers/kube/kube_client.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "common/curl_http_client.h"
#include "metrics/metrics.h"
#include "providers/kube/kube_identity.h"
#include "render/housekeeper/housekeeper.h"
#include "render/housekeeper/nkd_access.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_kube_api.h"
#include "tests/support/render_fixtures.h"
#include "tests/support/test_support.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;



class KubeClientTest : public ::testing::Test {
 protected:
  KubeClientTest()
      : cluster_(testing::openstack_cluster()),
        pki_(testing::make_real_pki(cluster_)),
        fake_(pki_, cluster_),
        metrics_("test") {
    // What the first control-plane node installs at bring-up.
    fake_.grant(housekeeper::nkd_access_manifests(cluster_));
    clock_.set_auto_advance(true);
  }

  kube::KubeEndpoint endpoint(const std::string& ca_pem, bool with_client_cert = true) {
    kube::KubeEndpoint result{.server_url = std::string("https://") + testing::kFakeKubeApiHost + ":6443",
                              .connect_to = fake_.connect_to(testing::kFakeKubeApiHost),
                              .ca_pem = ca_pem};
    if (with_client_cert) {
      auto identity = pki::issue_client_cert(pki_, kube::kIdentityCommonName,
                                             kube::kIdentityOrganization, 3600, testing::unix_now_seconds());
      EXPECT_TRUE(identity.ok());
      result.client_cert_pem = identity->cert_pem;
      result.client_key_pem = identity->key_pem;
    }
    return result;
  }

  kube::KubeClient client(kube::KubeEndpoint endpoint) {
    return kube::KubeClient(http_, std::move(endpoint), clock_, &metrics_,
                            kube::KubeClientOptions{
                                .request_timeout_ms = 5'000,
                                .connect_timeout_ms = 2'000,
                                .retry = RetryPolicy{.max_attempts = 2,
                                                     .base_delay_ms = 10,
                                                     .total_deadline_ms = 10'000},
                                .eviction_retry_ms = 10});
  }

  kube::KubeClient client() { return client(endpoint(pki_.ca.cert_pem)); }

  model::Cluster cluster_;
  pki::ClusterPki pki_;
  testing::FakeKubeApi fake_;
  metrics::Metrics metrics_;
  CurlHttpClient http_{testing::loopback_only()};
  // The eviction pauses and retry backoffs run at once; deadlines are on this clock.
  testing::FakeClock clock_;
};

TEST_F(KubeClientTest, ReadyzSucceedsOnceTheServerAnswers) {
  fake_.fail_readyz(1);
  kube::KubeClient kube = client();
  // send_with_retry retries the 500 once; the second answer is 200.
  EXPECT_TRUE(kube.readyz().ok());
  EXPECT_EQ(fake_.requests_to("GET", "/readyz"), 2);
  // The fake saw nkd's own identity, not the admin certificate.
  ASSERT_FALSE(fake_.requests().empty());
  EXPECT_EQ(fake_.requests().front().client_common_name, "nkd");
  EXPECT_NE(metrics_.serialize().find(
                "nkd_provider_requests_total{code=\"200\",operation=\"readyz\",provider=\"kube\"} 1"),
            std::string::npos);
}

TEST_F(KubeClientTest, ReadyzReportsAnUnreadyServer) {
  fake_.fail_readyz(5);
  auto status = client().readyz();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(status.error().message.find("not ready"), std::string::npos);
}

TEST_F(KubeClientTest, RefusesAServerThatTheClusterCaDidNotSign) {
  const pki::ClusterPki other = testing::make_real_pki(testing::openstack_cluster("other"));
  auto status = client(endpoint(other.ca.cert_pem)).readyz();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::kUnauthenticated);
  EXPECT_TRUE(fake_.requests().empty());
}

TEST_F(KubeClientTest, ServerRefusesAClientWithoutCertificate) {
  auto status = client(endpoint(pki_.ca.cert_pem, false)).readyz();
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(fake_.requests().empty());
}

TEST_F(KubeClientTest, ServerRefusesAClientCertificateFromAnotherCa) {
  const pki::ClusterPki other = testing::make_real_pki(testing::openstack_cluster("other"));
  kube::KubeEndpoint foreign = endpoint(pki_.ca.cert_pem, false);
  auto identity = pki::issue_client_cert(other, "nkd", "system:masters", 3600, testing::unix_now_seconds());
  ASSERT_TRUE(identity.ok());
  foreign.client_cert_pem = identity->cert_pem;
  foreign.client_key_pem = identity->key_pem;
  EXPECT_FALSE(client(foreign).readyz().ok());
  EXPECT_TRUE(fake_.requests().empty());
}

TEST_F(KubeClientTest, ListsNodesWithReadinessVersionsAndLabels) {
  fake_.add_node({.name = "prod-east-workers-1", .ready = false});
  fake_.add_node({.name = "prod-east-control-plane-0",
                  .kubelet_version = "v1.29.1",
                  .os_image = "NestOS 22.03",
                  .labels = {{kube::kControlPlaneLabel, ""}}});
  auto nodes = client().list_nodes();
  ASSERT_TRUE(nodes.ok()) << nodes.error().message;
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_EQ((*nodes)[0].name, "prod-east-control-plane-0");
  EXPECT_TRUE((*nodes)[0].ready);
  EXPECT_EQ((*nodes)[0].kubelet_version, "v1.29.1");
  EXPECT_EQ((*nodes)[0].os_image, "NestOS 22.03");
  EXPECT_TRUE((*nodes)[0].labels.contains(kube::kControlPlaneLabel));
  EXPECT_FALSE((*nodes)[1].ready);
  EXPECT_FALSE((*nodes)[1].unschedulable);
}

TEST_F(KubeClientTest, AppliesHousekeeperManifestsOnceTheCrdIsEstablished) {
  fake_.set_crd_establish_delay(2s);
  kube::KubeClient kube = client();
  const auto manifests = housekeeper::manifests(cluster_);
  const std::string update_yaml = housekeeper::update_yaml(cluster_, false);
  for (const auto& manifest : manifests) {
    auto applied = kube.apply(manifest.yaml);
    ASSERT_TRUE(applied.ok()) << manifest.file_name << ": " << applied.error().message;
  }
  auto established = kube.crd_established("updates.housekeeper.io");
  ASSERT_TRUE(established.ok());
  EXPECT_FALSE(*established);
  // Before the CRD is Established its resource does not exist.
  auto early = kube.apply(update_yaml);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(testing::wait_until(
      [&] {
        auto now = kube.crd_established("updates.housekeeper.io");
        return now.ok() && *now;
      },
      5s));
  auto update = kube.apply(update_yaml);
  ASSERT_TRUE(update.ok()) << update.error().message;
  EXPECT_EQ((*update)["spec"]["osImageURL"], cluster_.os.image_url);
  EXPECT_EQ((*update)["spec"]["maxUnavailable"], cluster_.upgrade.max_unavailable);
  auto read = kube.get({.api_version = "housekeeper.io/v1alpha1",
                        .kind = "Update",
                        .namespace_name = "housekeeper-system",
                        .name = "housekeeper-upgrade"});
  ASSERT_TRUE(read.ok());
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ((**read)["spec"]["kubeVersion"], "");
  const auto requests = fake_.requests();
  const auto patch = std::find_if(requests.rbegin(), requests.rend(),
                                  [](const auto& request) { return request.method == "PATCH"; });
  ASSERT_NE(patch, requests.rend());
  EXPECT_EQ(patch->path, "/apis/housekeeper.io/v1alpha1/namespaces/housekeeper-system/updates/housekeeper-upgrade");
  EXPECT_NE(patch->query.find("fieldManager=nkd"), std::string::npos);
  EXPECT_NE(patch->query.find("force=true"), std::string::npos);
}

TEST_F(KubeClientTest, GetOfAMissingObjectIsEmptyNotAnError) {
  // One nkd may read (its role names it), not there yet.
  auto read = client().get({.api_version = "v1", .kind = "Namespace", .name = "housekeeper-system"});
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_FALSE(read->has_value());
}

TEST_F(KubeClientTest, CordonsEvictsAndDeletesANode) {
  fake_.add_node({.name = "prod-east-workers-1"});
  fake_.add_pod("default", "web-1", "prod-east-workers-1");
  fake_.add_pod("kube-system", "proxy-1", "prod-east-workers-1", true);
  fake_.add_pod("default", "web-2", "prod-east-workers-0");
  fake_.block_evictions(2);
  kube::KubeClient kube = client();
  ASSERT_TRUE(kube.cordon("prod-east-workers-1").ok());
  EXPECT_TRUE((*fake_.object("/api/v1/nodes/prod-east-workers-1"))["spec"]["unschedulable"]);
  auto pods = kube.list_pods_on("prod-east-workers-1");
  ASSERT_TRUE(pods.ok()) << pods.error().message;
  ASSERT_EQ(pods->size(), 2u);
  const kube::PodRef web{.namespace_name = "default", .name = "web-1"};
  EXPECT_TRUE(kube.evict(web, clock_.steady_now() + 5s).ok());
  EXPECT_EQ(fake_.requests_to("POST", "/api/v1/namespaces/default/pods/web-1/eviction"), 3);
  EXPECT_FALSE(fake_.has_object("/api/v1/namespaces/default/pods/web-1"));
  ASSERT_TRUE(kube.delete_node("prod-east-workers-1").ok());
  EXPECT_FALSE(fake_.has_object("/api/v1/nodes/prod-east-workers-1"));
  EXPECT_TRUE(kube.delete_node("prod-east-workers-1").ok());  // already gone
}

TEST_F(KubeClientTest, EvictionBlockedByABudgetTimesOutNamingThePod) {
  fake_.add_pod("default", "db-0", "prod-east-workers-1");
  fake_.block_evictions(1'000'000);
  auto status = client().evict({.namespace_name = "default", .name = "db-0"},
                               clock_.steady_now() + 300ms);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::kTimeout);
  EXPECT_NE(status.error().message.find("default/db-0"), std::string::npos) << status.error().message;
  EXPECT_TRUE(fake_.has_object("/api/v1/namespaces/default/pods/db-0"));
}

TEST_F(KubeClientTest, AClientNoBindingNamesIsForbidden) {
  kube::KubeEndpoint outsider = endpoint(pki_.ca.cert_pem, false);
  auto identity = pki::issue_client_cert(pki_, "someone", "", 3600, testing::unix_now_seconds());
  ASSERT_TRUE(identity.ok());
  outsider.client_cert_pem = identity->cert_pem;
  outsider.client_key_pem = identity->key_pem;
  auto nodes = client(outsider).list_nodes();
  ASSERT_FALSE(nodes.ok());
  EXPECT_EQ(nodes.error().code, ErrorCode::kPermissionDenied);
}

TEST_F(KubeClientTest, NkdIsForbiddenWhatItsRoleDoesNotHold) {
  kube::KubeClient kube = client();
  ASSERT_TRUE(kube.list_nodes().ok()) << "inside the role";
  // A Deployment nkd does not apply: the role names only its own objects.
  auto foreign = kube.get({.api_version = "apps/v1", .kind = "Deployment",
                           .namespace_name = "kube-system", .name = "coredns"});
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(foreign.error().message.find("nkd:controller"), std::string::npos)
      << foreign.error().message;
  const auto answered = fake_.requests().back();
  EXPECT_EQ(answered.status, 403);
  EXPECT_EQ(answered.client_common_name, "nkd");
  // Creating a Namespace nkd does not own is refused too, although patching its own is not.
  auto other = kube.apply("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: elsewhere\n");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::kPermissionDenied);
  EXPECT_TRUE(kube.apply("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: housekeeper-system\n").ok());
}

TEST_F(KubeClientTest, ForbiddenAnswerIsAKubernetesStatus) {
  HttpRequest request{.method = "DELETE",
                      .url = std::string("https://") + testing::kFakeKubeApiHost + ":6443/api/v1/namespaces/kube-system",
                      .timeout_ms = 5'000,
                      .connect_timeout_ms = 2'000,
                      .ca_pem = pki_.ca.cert_pem};
  const kube::KubeEndpoint nkd = endpoint(pki_.ca.cert_pem);
  request.client_cert_pem = nkd.client_cert_pem;
  request.client_key_pem = nkd.client_key_pem;
  request.connect_to = nkd.connect_to;
  auto response = http_.send(request);
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 403);
  const auto status = nlohmann::json::parse(response->body);
  EXPECT_EQ(status["kind"], "Status");
  EXPECT_EQ(status["apiVersion"], "v1");
  EXPECT_EQ(status["status"], "Failure");
  EXPECT_EQ(status["reason"], "Forbidden");
  EXPECT_EQ(status["code"], 403);
  EXPECT_EQ(status["message"],
            "namespaces \"kube-system\" is forbidden: User \"nkd\" cannot delete resource "
            "\"namespaces\" in API group \"\" at the cluster scope");
}

}  // namespace
}  // namespace nkd
