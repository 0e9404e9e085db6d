#include "render/render.h"

#include <algorithm>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "common/crypto.h"
#include "render/housekeeper/housekeeper.h"
#include "render/housekeeper/nkd_access.h"
#include "render/ignition/ignition.h"
#include "render/network/network_plugin.h"

namespace nkd::render {
namespace {

Artifact make_artifact(std::string path, std::string content) {
  std::string digest = sha256_hex(content);
  return Artifact{
      .path = std::move(path), .content = std::move(content), .sha256 = std::move(digest)};
}

// What the init node applies once its API answers: nkd's access first (so nkd, when it can reach
// the cluster, may apply the rest too), then the network plugin.
std::vector<ignition::BringUpManifest> bring_up_manifests(
    const std::vector<Manifest>& access, const std::vector<Manifest>& network) {
  std::vector<ignition::BringUpManifest> manifests;
  for (const Manifest& manifest : access) {
    manifests.push_back({.path = std::string(kAccessManifests) + manifest.file_name, .yaml = manifest.yaml});
  }
  for (const Manifest& manifest : network) {
    manifests.push_back({.path = std::string(kNetworkManifests) + manifest.file_name, .yaml = manifest.yaml});
  }
  return manifests;
}

NodeRender render_node(const model::Cluster& cluster, const model::Node& node,
                       const pki::ClusterPki& pki, const RenderOptions& options,
                       std::span<const ignition::BringUpManifest> bring_up) {
  NodeRender rendered{.node = node,
                      .ignition = ignition::node_config(cluster, node, pki, bring_up),
                      .ignition_sha256 = "",
                      .needs_pointer = false,
                      .pointer_ignition = "",
                      .fetch_token = pki::node_fetch_token(pki, node.name)};
  rendered.ignition_sha256 = sha256_hex(rendered.ignition);
  // Nova counts the base64 form of user_data against its limit.
  rendered.needs_pointer = base64_encode(rendered.ignition).size() > kUserDataLimitBytes;
  if (rendered.needs_pointer) {
    rendered.pointer_ignition = ignition::pointer_config(
        node_config_url(options.ignition_base_url, cluster.name, node.name), sha512_hex(rendered.ignition),
        rendered.fetch_token, options.ignition_ca_pem);
  }
  return rendered;
}

// The cluster as boot_digest sees it: the versions housekeeper upgrades in place held fixed
// (with them what follows from the version alone: the kubeadm API and pause image a new node's
// config uses, which a running node never reads again).
model::Cluster with_pinned_versions(model::Cluster cluster) {
  cluster.os.version = "0.0.0-pinned";
  cluster.os.image_url = "pinned.invalid/os:pinned";
  cluster.kubernetes.version = "v0.0.0";
  return cluster;
}

// The PKI as boot_digest sees it: a renewed bootstrap token matters only to nodes that have not
// joined yet, and those get it from their new config; a node that runs keeps its machine.
pki::ClusterPki with_pinned_token(pki::ClusterPki pki) {
  pki.bootstrap_token_id = "pinned";
  pki.bootstrap_token_secret = Secret("pinned");
  pki.bootstrap_token_issued_unix = 0;
  return pki;
}

// The versions housekeeper upgrades the nodes to and how: appear in no node config, yet a commit
// that changes them is a new config version (its own history row and digest).
std::string upgrade_target_yaml(const model::Cluster& cluster) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "osVersion" << YAML::Value << YAML::DoubleQuoted << cluster.os.version;
  out << YAML::Key << "osImageURL" << YAML::Value << YAML::DoubleQuoted << cluster.os.image_url;
  out << YAML::Key << "kubernetesVersion" << YAML::Value << YAML::DoubleQuoted
      << cluster.kubernetes.version;
  out << YAML::Key << "maxUnavailable" << YAML::Value << cluster.upgrade.max_unavailable;
  out << YAML::Key << "evictPodForce" << YAML::Value << cluster.upgrade.evict_pod_force;
  out << YAML::Key << "drainTimeoutSeconds" << YAML::Value << cluster.upgrade.drain_timeout_seconds;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string digest_of(const std::vector<Artifact>& artifacts) {
  std::string listing;
  for (const Artifact& artifact : artifacts) {
    listing += artifact.path;
    listing += '\0';
    listing += artifact.sha256;
    listing += '\n';
  }
  return sha256_hex(listing);
}

}  // namespace

std::string node_config_url(std::string_view base_url, const std::string& cluster,
                            const std::string& node) {
  while (base_url.ends_with('/')) base_url.remove_suffix(1);
  return std::string(base_url) + "/ignition/" + cluster + "/" + node;
}

ClusterRender render_cluster(const model::Cluster& cluster, const pki::ClusterPki& pki,
                             const RenderOptions& options) {
  ClusterRender result;
  result.cluster = cluster.name;
  // Boot digests render the pinned config only when asked for (one copy of the model and PKI
  // per cluster).
  const auto pinned = std::make_shared<const model::Cluster>(with_pinned_versions(cluster));
  const auto pinned_pki = std::make_shared<const pki::ClusterPki>(with_pinned_token(pki));
  const std::vector<Manifest> network = network::network_plugin_manifests(cluster);
  std::vector<Manifest> housekeeper_manifests = housekeeper::manifests(cluster);
  const std::vector<Manifest> access =
      housekeeper::nkd_access_manifests(network, housekeeper_manifests);
  const std::vector<ignition::BringUpManifest> bring_up = bring_up_manifests(access, network);
  for (const model::Node& node : model::expand_nodes(cluster)) {
    NodeRender rendered = render_node(cluster, node, pki, options, bring_up);
    // Without the bring-up manifests: they matter only at the cluster's first boot, and later
    // changes reach a running cluster through the API, never by replacing its first node.
    const auto boot_config = [pinned, pinned_pki, node] {
      return ignition::node_config(*pinned, node, *pinned_pki, {});
    };
    rendered.boot_digest = LazyString([boot_config] { return sha256_hex(boot_config()); });
    rendered.boot_ignition = LazyString(boot_config);
    result.artifacts.push_back(make_artifact("nodes/" + node.name + ".ign", rendered.ignition));
    if (rendered.needs_pointer) {
      result.artifacts.push_back(
          make_artifact("nodes/" + node.name + ".pointer.ign", rendered.pointer_ignition));
    }
    result.nodes.push_back(std::move(rendered));
  }
  for (housekeeper::Manifest& manifest : housekeeper_manifests) {
    result.artifacts.push_back(
        make_artifact("housekeeper/" + manifest.file_name, std::move(manifest.yaml)));
  }
  for (const auto& [folder, manifests] : {std::pair{kNetworkManifests, &network},
                                          std::pair{kAccessManifests, &access}}) {
    for (const Manifest& manifest : *manifests) {
      result.artifacts.push_back(make_artifact(std::string(folder) + manifest.file_name, manifest.yaml));
    }
  }
  result.artifacts.push_back(make_artifact("pki/ca.crt", pki.ca.cert_pem));
  result.artifacts.push_back(make_artifact("upgrade/target.yaml", upgrade_target_yaml(cluster)));
  std::sort(result.artifacts.begin(), result.artifacts.end(),
            [](const Artifact& left, const Artifact& right) { return left.path < right.path; });
  result.digest = digest_of(result.artifacts);
  return result;
}

}  // namespace nkd::render
