// Fuzz target: the bare-metal provider's side of GET /ignition/<cluster>/<node> and
// GET /boot/<target> (providers/baremetal/): the fetch token taken from the Authorization
// header or the ?token= parameter (ignition_fetch_token, as the listener calls it), the lookup
// and constant-time token check of BareMetalProvider::fetch, and the boot target of a path
// (boot_target_of_path: a MAC or <cluster>/<node>) with the iPXE script it leads to. The provider
// has published cluster "lab" (nodes lab-cp-0, lab-worker-0, tokens "token-<node>", MACs
// 52:54:00:00:00:01 and :02, with a boot section).
//
// Input, as text:
//   <path>\n                  /ignition/<cluster>/<node> or /boot/<target>; anything else is
//                             read as the part below /ignition/
//   <Authorization value>\n
//   <token parameter>         the rest; absent (no ?token=) when the input has no second '\n'
// The listener's routes allow only [a-z0-9-] in <cluster> and <node>; the target passes any
// bytes, so the provider is checked against more than the routes let through.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz/fuzz_input.h"
#include "providers/baremetal/baremetal_provider.h"
#include "render/boot/ipxe_script.h"
#include "render/render.h"

namespace {

using nkd::providers::BareMetalProvider;

nkd::render::ClusterRender published_render() {
  nkd::render::ClusterRender render;
  render.cluster = "lab";
  int index = 1;
  for (const char* name : {"lab-cp-0", "lab-worker-0"}) {
    nkd::render::NodeRender node;
    node.node.name = name;
    node.node.pool = "pool";
    node.node.mac = "52:54:00:00:00:0" + std::to_string(index++);
    node.ignition = std::string("{\"ignition\":{\"version\":\"3.4.0\"},\"node\":\"") + name + "\"}";
    node.ignition_sha256 = std::string("digest-") + name;
    node.fetch_token = nkd::Secret(std::string("token-") + name);
    render.nodes.push_back(node);
  }
  return render;
}

nkd::model::Cluster published_cluster() {
  nkd::model::Cluster cluster;
  cluster.name = "lab";
  cluster.platform = nkd::model::BareMetalPlatform{
      .boot = nkd::model::BareMetalBoot{.kernel_url = "http://mirror/kernel",
                                        .initrd_url = "http://mirror/initrd",
                                        .rootfs_url = "http://mirror/rootfs",
                                        .install_device = "/dev/sda"}};
  return cluster;
}

BareMetalProvider& provider() {
  static BareMetalProvider* const published = [] {
    static BareMetalProvider instance;
    if (!instance.apply(published_cluster(), published_render(), {}).ok()) std::abort();
    return &instance;
  }();
  return *published;
}

void serve_boot(const std::string& target) {
  const auto found = provider().boot_target_of_path(target);
  if (!found) return;
  const auto token = provider().current_token(found->cluster, found->node);
  if (!token) return;
  const std::string url =
      nkd::render::node_config_url("http://127.0.0.1:9", found->cluster, found->node) +
      "?token=" + token->reveal();
  (void)nkd::render::ipxe_script(found->boot, found->cluster, found->node, url);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nkd::fuzz::FuzzInput input(data, size);
  std::string_view path = input.take_line();
  const bool has_token_parameter = input.rest().find('\n') != std::string_view::npos;
  const std::string_view authorization = input.take_line();
  const std::optional<std::string> token_parameter =
      has_token_parameter ? std::optional<std::string>(input.rest()) : std::nullopt;
  if (path.starts_with("/boot/")) {
    serve_boot(std::string(path.substr(6)));
    return 0;
  }
  if (path.starts_with("/ignition/")) path.remove_prefix(10);
  const auto slash = path.find('/');
  const std::string cluster(path.substr(0, slash));
  const std::string node(slash == std::string_view::npos ? "" : path.substr(slash + 1));
  const std::string token = nkd::providers::ignition_fetch_token(authorization, token_parameter);
  (void)provider().fetch(cluster, node, token);
  return 0;
}
