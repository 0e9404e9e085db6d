// GET /boot/<mac> and GET /boot/<cluster>/<node>: the iPXE script a bare-metal machine boots
// with (render/boot/ipxe_script.h), its config URL carrying the node's current fetch token. An
// unknown MAC, an unknown node, a malformed path and a cluster without a boot section all get
// the same 404, so the endpoint does not tell which clusters and machines exist.
#include <httplib.h>
#include <spdlog/spdlog.h>

#include "render/boot/ipxe_script.h"
#include "render/render.h"
#include "syncd/http/http_server.h"

namespace nkd::syncd {

namespace {

constexpr char kBootRefusal[] = "{\"error\": \"no boot script for this machine\"}\n";

}  // namespace

void HttpServer::handle_boot(const httplib::Request& request, httplib::Response& response) {
  const std::string target = request.matches[1];
  const auto found = bare_metal_.boot_target_of_path(target);
  if (!found) {
    metrics_.boot_scripts_total.Add({{"result", "unknown"}}).Increment();
    if (ignition_warnings_.allow(request.remote_addr)) {
      spdlog::warn(
          "no boot script for /boot/{} asked by {} (further refusals from this address "
          "are counted in nkd_boot_scripts_total, not logged, for {} s)",
          target, request.remote_addr, options_.ignition_warning_interval.count() / 1000);
    }
    response.status = 404;
    response.set_content(kBootRefusal, "application/json");
    return;
  }
  auto token = bare_metal_.current_token(found->cluster, found->node);
  if (!token) {
    spdlog::error("boot script for {}/{}: {}", found->cluster, found->node, token.error().message);
    response.status = 503;
    response.set_content("{\"error\": \"the node's token cannot be read now; try again\"}\n",
                         "application/json");
    return;
  }
  const std::string config_url =
      render::node_config_url(options_.public_url, found->cluster, found->node) +
      "?token=" + token->reveal();
  metrics_.boot_scripts_total.Add({{"result", "served"}}).Increment();
  // The script carries the node's token: a record of who asked for it.
  spdlog::info("served the boot script of {}/{} to {}", found->cluster, found->node,
               request.remote_addr);
  response.set_header("Cache-Control", "no-store");
  response.set_content(render::ipxe_script(found->boot, found->cluster, found->node, config_url),
                       "text/plain");
}

}  // namespace nkd::syncd
