#include "render/ignition/ignition.h"

#include <nlohmann/json.hpp>

#include "common/crypto.h"
#include "render/ignition/config_builder.h"
#include "render/ignition/kube_vip.h"
#include "render/ignition/node_content.h"

namespace nkd::ignition {

std::string node_config(const model::Cluster& cluster, const model::Node& node,
                        const pki::ClusterPki& pki, std::span<const BringUpManifest> bring_up) {
  ConfigBuilder builder;
  add_os_settings(builder, cluster, node);
  add_container_runtime(builder, cluster);
  add_kubelet(builder, cluster);
  add_kubeadm(builder, cluster, node, pki);
  add_pki_files(builder, node, pki);
  add_kube_vip(builder, cluster, node);
  add_bring_up(builder, cluster, node, bring_up);
  add_update_settings(builder, cluster);
  add_user_extras(builder, cluster);
  return builder.dump();
}

std::string pointer_config(const std::string& url, const std::string& sha512_hex,
                           const Secret& token, const std::string& ca_pem) {
  const nlohmann::json replace = {
      {"source", url},
      {"verification", {{"hash", "sha512-" + sha512_hex}}},
      {"httpHeaders", nlohmann::json::array(
                          {{{"name", "Authorization"}, {"value", "Bearer " + token.reveal()}}})}};
  nlohmann::json config = {
      {"ignition", {{"version", kSpecVersion}, {"config", {{"replace", replace}}}}}};
  if (!ca_pem.empty()) {
    config["ignition"]["security"]["tls"]["certificateAuthorities"] =
        nlohmann::json::array({{{"source", "data:;base64," + base64_encode(ca_pem)}}});
  }
  return config.dump();
}

}  // namespace nkd::ignition
