// Fuzz target: the OpenStack clients' reading of a cloud's answers (providers/openstack/): the
// Keystone token, Nova servers and flavors, Neutron ports, networks and floating IPs, Glance
// images. Each call goes through the real client (Keystone, ComputeService, NetworkService,
// ImageService) over an HttpClient that answers with the input; the token request of the
// service calls gets a fixed valid token whose catalog points at addresses never dialled.
//
// Input, as text:
//   <call> <status>\n            which call, and the answer's HTTP status (fuzz_status())
//   <body>                        the rest: the answer's body
// <call> is one of kCalls' names; an input naming none tests nothing.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "fuzz/answering_http_client.h"
#include "fuzz/fuzz_input.h"
#include "providers/openstack/compute.h"
#include "providers/openstack/image.h"
#include "providers/openstack/keystone.h"
#include "providers/openstack/network.h"

namespace {

namespace openstack = nkd::providers::openstack;
using nkd::HttpRequest;
using nkd::HttpResponse;

openstack::CloudConfig fuzz_cloud() {
  return openstack::CloudConfig{.name = "fuzz",
                                .auth = {.auth_url = "http://127.0.0.1:9/v3",
                                         .username = "nkd",
                                         .password = nkd::Secret("password"),
                                         .project_name = "k8s",
                                         .user_domain_name = "Default",
                                         .project_domain_name = "Default"}};
}

HttpResponse valid_token_answer() {
  nlohmann::json catalog = nlohmann::json::array();
  for (const char* type : {"compute", "network", "image"}) {
    catalog.push_back({{"type", type},
                       {"endpoints",
                        {{{"interface", "public"},
                          {"region_id", "RegionOne"},
                          {"url", std::string("http://127.0.0.1:9/") + type}}}}});
  }
  const nlohmann::json body{{"token",
                             {{"expires_at", "2099-01-01T00:00:00.000000Z"},
                              {"project", {{"id", "project-1"}}},
                              {"catalog", catalog}}}};
  return HttpResponse{
      .status = 201, .headers = {{"x-subject-token", "token"}}, .body = body.dump()};
}

bool is_token_request(const HttpRequest& request) { return request.url.ends_with("/auth/tokens"); }

using Call = std::function<void(openstack::Keystone&)>;

struct NamedCall {
  std::string_view name;
  Call call;
};

const NamedCall kCalls[] = {
    {"keystone.endpoint",
     [](openstack::Keystone& keystone) { (void)keystone.endpoint("compute"); }},
    {"nova.servers.list",
     [](openstack::Keystone& keystone) {
       (void)openstack::ComputeService(keystone).list_servers("demo-",
                                                              {{"nkd.io/cluster", "demo"}});
     }},
    {"nova.servers.get",
     [](openstack::Keystone& keystone) {
       (void)openstack::ComputeService(keystone).get_server("id-1");
     }},
    {"nova.servers.create",
     [](openstack::Keystone& keystone) {
       (void)openstack::ComputeService(keystone).create_server(
           {.name = "demo-cp-0", .flavor_id = "f", .image_id = "i", .network_ids = {"n"}});
     }},
    {"nova.flavors.resolve",
     [](openstack::Keystone& keystone) {
       (void)openstack::ComputeService(keystone).resolve_flavor("m1.large");
     }},
    {"neutron.ports.list",
     [](openstack::Keystone& keystone) {
       (void)openstack::NetworkService(keystone).ports_tagged({"nkd-cluster-demo"});
     }},
    {"neutron.ports.create",
     [](openstack::Keystone& keystone) {
       (void)openstack::NetworkService(keystone).create_port(
           {.name = "demo-cp-0", .network_id = "n", .allowed_addresses = {"10.0.0.5"}});
     }},
    {"neutron.networks.resolve",
     [](openstack::Keystone& keystone) {
       (void)openstack::NetworkService(keystone).resolve_network("private");
     }},
    {"neutron.floatingips.list",
     [](openstack::Keystone& keystone) {
       (void)openstack::NetworkService(keystone).floating_ips_of_port("port-1");
     }},
    {"glance.images.resolve",
     [](openstack::Keystone& keystone) {
       (void)openstack::ImageService(keystone).resolve_image("nestos-22.03");
     }},
    {"glance.images.architecture",
     [](openstack::Keystone& keystone) {
       (void)openstack::ImageService(keystone).architecture("image-1");
     }},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nkd::fuzz::FuzzInput input(data, size);
  const std::string_view name = input.take_until(" ");
  const int status = nkd::fuzz::fuzz_status(input.take_line());
  const HttpResponse answer{
      .status = status,
      .headers = {{"x-subject-token", "token"}, {"content-type", "application/json"}},
      .body = std::string(input.rest())};
  if (name == "keystone.token") {
    (void)openstack::parse_token_response(answer);
    return 0;
  }
  for (const NamedCall& named : kCalls) {
    if (named.name != name) continue;
    const bool answers_token = name == "keystone.endpoint";
    nkd::fuzz::AnsweringHttpClient http(
        answer, [answers_token](const HttpRequest& request) -> std::optional<HttpResponse> {
          if (answers_token || !is_token_request(request)) return std::nullopt;
          return valid_token_answer();
        });
    const nkd::SystemClock clock;
    openstack::Keystone keystone(fuzz_cloud(), http, clock, /*metrics=*/nullptr,
                                 nkd::RetryPolicy{.max_attempts = 1});
    named.call(keystone);
  }
  return 0;
}
