// Fuzz target: the Kubernetes client's reading of an API server's answers (providers/kube/):
// Node lists and the rollout read from them, housekeeper Update resources and other objects
// (get, server-side apply's answer, drift against the desired manifest), CRD conditions, Pod
// lists and error Status bodies. Each call goes through the real KubeClient (and ClusterState)
// over an HttpClient that answers with the input.
//
// Input, as text:
//   <call> <status>\n            which call, and the answer's HTTP status (fuzz_status())
//   <body>                        the rest: the answer's body
// <call> is one of kCalls' names; an input naming none tests nothing.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "fuzz/answering_http_client.h"
#include "fuzz/fuzz_input.h"
#include "providers/kube/cluster_state.h"
#include "providers/kube/kube_client.h"
#include "render/render.h"

namespace {

namespace kube = nkd::kube;

constexpr const char* kUpdateManifest = R"(apiVersion: housekeeper.io/v1alpha1
kind: Update
metadata:
  name: demo
  namespace: housekeeper-system
spec:
  osVersion: "22.03-LTS-SP3.20240110"
  kubeVersion: v1.29.1
  osImageURL: registry.example.org/nestos/nestos:22.03-LTS-SP3
  evictPodForce: false
  maxUnavailable: 1
)";

const kube::ObjectRef kUpdateRef{.api_version = "housekeeper.io/v1alpha1",
                                 .kind = "Update",
                                 .namespace_name = "housekeeper-system",
                                 .name = "demo"};

const kube::DesiredVersions kDesired{.kubelet_version = "v1.29.1",
                                     .os_version = "22.03-LTS-SP3.20240110"};

struct NamedCall {
  std::string_view name;
  std::function<void(kube::KubeClient&)> call;
};

const NamedCall kCalls[] = {
    {"readyz", [](kube::KubeClient& client) { (void)client.readyz(); }},
    {"nodes.list", [](kube::KubeClient& client) { (void)client.list_nodes(); }},
    {"rollout.observe",
     [](kube::KubeClient& client) { (void)kube::ClusterState(client).observe_rollout(kDesired); }},
    {"objects.get", [](kube::KubeClient& client) { (void)client.get(kUpdateRef); }},
    {"objects.apply", [](kube::KubeClient& client) { (void)client.apply(kUpdateManifest); }},
    {"drift.detect",
     [](kube::KubeClient& client) {
       const std::vector<nkd::render::Artifact> artifacts{
           {.path = "housekeeper/02-update.yaml", .content = kUpdateManifest}};
       (void)kube::ClusterState(client).detect_drift(artifacts);
     }},
    {"crds.established",
     [](kube::KubeClient& client) { (void)client.crd_established("updates.housekeeper.io"); }},
    {"pods.list", [](kube::KubeClient& client) { (void)client.list_pods_on("demo-worker-0"); }},
    {"nodes.cordon", [](kube::KubeClient& client) { (void)client.cordon("demo-worker-0"); }},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nkd::fuzz::FuzzInput input(data, size);
  const std::string_view name = input.take_until(" ");
  const int status = nkd::fuzz::fuzz_status(input.take_line());
  nkd::fuzz::AnsweringHttpClient http(
      nkd::HttpResponse{.status = status,
                        .headers = {{"content-type", "application/json"}},
                        .body = std::string(input.rest())});
  const nkd::SystemClock clock;
  kube::KubeClient client(http, kube::KubeEndpoint{.server_url = "https://127.0.0.1:9"}, clock,
                          /*metrics=*/nullptr,
                          kube::KubeClientOptions{.retry = nkd::RetryPolicy{.max_attempts = 1}});
  for (const NamedCall& named : kCalls) {
    if (named.name == name) named.call(client);
  }
  return 0;
}
