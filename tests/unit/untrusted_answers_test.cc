// The OpenStack and Kubernetes clients against answers shaped unlike their APIs' documentation,
// each from an input the fuzz targets found or one of its kind (fuzz/corpus/*/crash-*): every
// call returns a value or an error, never an exception out of the provider (an exception in a
// reconcile would end the daemon).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "providers/kube/kube_client.h"
#include "providers/openstack/compute.h"
#include "providers/openstack/image.h"
#include "providers/openstack/keystone.h"
#include "providers/openstack/network.h"

namespace nkd {
namespace {

// Answers Keystone's token request with a valid token, every other request with `answer`.
class OneAnswerHttp final : public HttpClient {
 public:
  explicit OneAnswerHttp(HttpResponse answer) : answer_(std::move(answer)) {}
  Result<HttpResponse> send(const HttpRequest& request) override {
    if (!request.url.ends_with("/auth/tokens")) return answer_;
    const std::string catalog =
        R"([{"type":"compute","endpoints":[{"interface":"public","url":"http://127.0.0.1:9/c"}]},)"
        R"({"type":"network","endpoints":[{"interface":"public","url":"http://127.0.0.1:9/n"}]},)"
        R"({"type":"image","endpoints":[{"interface":"public","url":"http://127.0.0.1:9/i"}]}])";
    return HttpResponse{
        .status = 201,
        .headers = {{"x-subject-token", "token"}},
        .body =
            R"({"token":{"expires_at":"2999-01-01T00:00:00.000000Z","catalog":)" + catalog + "}}"};
  }

 private:
  HttpResponse answer_;
};

class OpenStackAnswers : public ::testing::Test {
 protected:
  // A Keystone whose services all answer `status` with `body`.
  void answer(int status, std::string body) {
    http_ =
        std::make_unique<OneAnswerHttp>(HttpResponse{.status = status, .body = std::move(body)});
    keystone_ = std::make_unique<providers::openstack::Keystone>(
        providers::openstack::CloudConfig{.name = "test",
                                          .auth = {.auth_url = "http://127.0.0.1:9/v3",
                                                   .username = "u",
                                                   .password = Secret("p"),
                                                   .project_name = "demo"}},
        *http_, clock_, nullptr, RetryPolicy{.max_attempts = 1});
  }
  providers::openstack::Keystone& keystone() { return *keystone_; }

 private:
  SystemClock clock_;
  std::unique_ptr<OneAnswerHttp> http_;
  std::unique_ptr<providers::openstack::Keystone> keystone_;
};

// fuzz/corpus/openstack_answers/crash-floatingips-not-an-object, its body byte for byte: a 200
// that parses as the number 0 (nlohmann stops at the NUL) threw nlohmann's type_error 306 out
// of list_floating_ips.
TEST_F(OpenStackAnswers, FloatingIpListThatIsNotAnObjectReadsAsNone) {
  answer(200, std::string(" \n0\0\0\0\0\0\0\0"
                          "1",
                          11));
  const auto addresses = providers::openstack::NetworkService(keystone()).floating_ips_of_port("p");
  ASSERT_TRUE(addresses.ok()) << addresses.error().message;
  EXPECT_TRUE(addresses->empty());
}

TEST_F(OpenStackAnswers, CollectionsOfTheWrongTypeReadAsEmpty) {
  answer(200, R"({"networks":"private","images":"nestos","ports":7})");
  EXPECT_EQ(
      providers::openstack::NetworkService(keystone()).resolve_network("private").error().code,
      ErrorCode::kNotFound);
  EXPECT_EQ(providers::openstack::ImageService(keystone()).resolve_image("nestos").error().code,
            ErrorCode::kNotFound);
  EXPECT_TRUE(providers::openstack::NetworkService(keystone()).ports_named("x").value().empty());
}

TEST_F(OpenStackAnswers, ServersWithMembersOfTheWrongTypeKeepWhatReads) {
  answer(200, R"({"server":{"id":5,"name":"demo-cp-0","status":["ACTIVE"],"fault":"x",)"
              R"("metadata":[1],"addresses":{"private":"10.0.0.1","public":[{"addr":7},)"
              R"({"addr":"203.0.113.7"},3]}}})");
  const auto server = providers::openstack::ComputeService(keystone()).get_server("s");
  ASSERT_TRUE(server.ok()) << server.error().message;
  ASSERT_TRUE(server->has_value());
  EXPECT_EQ((*server)->id, "");
  EXPECT_EQ((*server)->name, "demo-cp-0");
  EXPECT_EQ((*server)->status, "");
  EXPECT_EQ((*server)->addresses, (std::vector<std::string>{"", "203.0.113.7", ""}));
}

TEST_F(OpenStackAnswers, CreatedPortThatIsNotAnObjectReadsAsEmpty) {
  answer(201, R"({"port":[1,2]})");
  const auto port = providers::openstack::NetworkService(keystone()).create_port({.name = "p"});
  ASSERT_TRUE(port.ok()) << port.error().message;
  EXPECT_EQ(port->id, "");
}

kube::KubeClient kube_client(HttpClient& http, const Clock& clock) {
  return kube::KubeClient(http, kube::KubeEndpoint{.server_url = "https://127.0.0.1:9"}, clock,
                          nullptr,
                          kube::KubeClientOptions{.retry = RetryPolicy{.max_attempts = 1}});
}

TEST(KubeAnswers, NodesWithMembersOfTheWrongTypeReadWithoutThrowing) {
  OneAnswerHttp http(HttpResponse{
      .status = 200,
      .body = R"({"items":[7,{"metadata":{"name":"n1"},"spec":{"unschedulable":"yes"},)"
              R"("status":{"conditions":[1,{"type":"Ready","status":true},)"
              R"({"type":"Ready","status":"True"}]}},{"spec":[1],"metadata":"x"}]})"});
  const SystemClock clock;
  auto client = kube_client(http, clock);
  const auto nodes = client.list_nodes();
  ASSERT_TRUE(nodes.ok()) << nodes.error().message;
  ASSERT_EQ(nodes->size(), 3u);
  const kube::NodeInfo& named = nodes->back();
  EXPECT_EQ(named.name, "n1");
  EXPECT_TRUE(named.ready);
  EXPECT_FALSE(named.unschedulable);
}

TEST(KubeAnswers, PodsWithOwnersOfTheWrongTypeReadWithoutThrowing) {
  OneAnswerHttp http(
      HttpResponse{.status = 200,
                   .body = R"({"items":[{"metadata":{"name":"p","ownerReferences":[1,{"kind":2},)"
                           R"({"kind":"DaemonSet"}]}}]})"});
  const SystemClock clock;
  auto client = kube_client(http, clock);
  const auto pods = client.list_pods_on("n1");
  ASSERT_TRUE(pods.ok()) << pods.error().message;
  ASSERT_EQ(pods->size(), 1u);
  EXPECT_TRUE(pods->front().owned_by_daemonset);
}

TEST(KubeAnswers, CrdConditionsOfTheWrongTypeAreNotEstablished) {
  OneAnswerHttp http(HttpResponse{
      .status = 200, .body = R"({"status":{"conditions":["Established",{"type":1}]}})"});
  const SystemClock clock;
  auto client = kube_client(http, clock);
  const auto established = client.crd_established("updates.housekeeper.io");
  ASSERT_TRUE(established.ok()) << established.error().message;
  EXPECT_FALSE(*established);
}

}  // namespace
}  // namespace nkd
