// What the libvirt provider's contract tests share (libvirt_provider_test.cc against libvirt's
// in-process test driver, libvirt_qemu_test.cc against a real libvirtd): small 1+N clusters, a
// render whose configs carry only what the provider looks at, and a connection of the test's
// own that counts what the host holds, independently of the provider.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include "common/crypto.h"
#include "metrics/metrics.h"
#include "providers/libvirt/domain_xml.h"
#include "providers/libvirt/libvirt_handles.h"
#include "providers/libvirt/libvirt_provider.h"
#include "render/render.h"

namespace nkd::providers::libvirt::testing {

inline model::Cluster make_cluster(const std::string& name, const model::LibvirtPlatform& platform,
                                   int workers, int max_unavailable = 1) {
  model::Cluster cluster{
      .name = name,
      .platform = platform,
      .pools = {{.name = "cp", .role = model::PoolRole::kControlPlane, .replicas = 1},
                {.name = "w", .role = model::PoolRole::kWorker, .replicas = workers}}};
  cluster.upgrade.max_unavailable = max_unavailable;
  return cluster;
}

// `boot_file` stands for first-boot content: changing it changes every node's boot digest.
inline render::ClusterRender make_render(const model::Cluster& cluster,
                                         const std::string& boot_file = "motd-1") {
  render::ClusterRender render{.cluster = cluster.name};
  for (const model::Node& node : model::expand_nodes(cluster)) {
    const std::string config = R"({"ignition":{"version":"3.3.0"},"node":")" + node.name +
                               R"(","file":")" + boot_file + "\"}";
    render.nodes.push_back(render::NodeRender{
        .node = node, .ignition = config, .ignition_sha256 = sha256_hex(config)});
    render.nodes.back().boot_digest = render::LazyString::of(sha256_hex("boot " + config));
  }
  return render;
}

inline const render::NodeRender& node_of(const render::ClusterRender& render,
                                         const std::string& name) {
  for (const auto& node : render.nodes) {
    if (node.node.name == name) return node;
  }
  throw std::logic_error("no node " + name);
}

// A libvirt connection of the test's own.
class HostView {
 public:
  explicit HostView(const std::string& uri) {
    silence_default_error_printing();
    connection_.reset(virConnectOpen(uri.c_str()));
    if (!connection_) throw std::runtime_error(last_error("opening " + uri).message);
  }
  virConnectPtr get() const { return connection_.get(); }

  // Names of the domains that start with `prefix`, sorted.
  std::vector<std::string> domains(const std::string& prefix) const {
    virDomainPtr* listed = nullptr;
    const int count = virConnectListAllDomains(connection_.get(), &listed, 0);
    std::vector<std::string> names;
    for (int i = 0; i < count; ++i) {
      const DomainPtr domain(listed[i]);
      const std::string name = virDomainGetName(domain.get());
      if (name.starts_with(prefix)) names.push_back(name);
    }
    std::free(listed);  // NOLINT(cppcoreguidelines-no-malloc)
    std::sort(names.begin(), names.end());
    return names;
  }
  // Names of the volumes of `pool` that start with `prefix`, sorted.
  std::vector<std::string> volumes(const std::string& pool, const std::string& prefix) const {
    const StoragePoolPtr handle(virStoragePoolLookupByName(connection_.get(), pool.c_str()));
    if (!handle) return {};
    virStoragePoolRefresh(handle.get(), 0);
    virStorageVolPtr* listed = nullptr;
    const int count = virStoragePoolListAllVolumes(handle.get(), &listed, 0);
    std::vector<std::string> names;
    for (int i = 0; i < count; ++i) {
      const StorageVolPtr volume(listed[i]);
      const std::string name = virStorageVolGetName(volume.get());
      if (name.starts_with(prefix)) names.push_back(name);
    }
    std::free(listed);  // NOLINT(cppcoreguidelines-no-malloc)
    std::sort(names.begin(), names.end());
    return names;
  }
  std::string domain_xml(const std::string& name) const {
    const DomainPtr domain(virDomainLookupByName(connection_.get(), name.c_str()));
    return domain ? take_string(virDomainGetXMLDesc(domain.get(), 0)) : "";
  }
  std::string domain_uuid(const std::string& name) const { return uuid_text(domain_xml(name)); }
  std::string volume_xml(const std::string& pool, const std::string& name) const {
    const StoragePoolPtr handle(virStoragePoolLookupByName(connection_.get(), pool.c_str()));
    if (!handle) return "";
    const StorageVolPtr volume(virStorageVolLookupByName(handle.get(), name.c_str()));
    return volume ? take_string(virStorageVolGetXMLDesc(volume.get(), 0)) : "";
  }
  // Makes `name` in `pool` unless it is there (a base image for the clusters).
  void ensure_volume(const std::string& pool, const std::string& name, const std::string& format) {
    if (!volume_xml(pool, name).empty()) return;
    const StoragePoolPtr handle(virStoragePoolLookupByName(connection_.get(), pool.c_str()));
    if (!handle) throw std::runtime_error(last_error("pool " + pool).message);
    const StorageVolPtr made(
        virStorageVolCreateXML(handle.get(), plain_volume_xml(name, 1 << 20, format).c_str(), 0));
    if (!made) throw std::runtime_error(last_error("making volume " + name).message);
  }

 private:
  static std::string uuid_text(const std::string& xml) {
    const auto start = xml.find("<uuid>");
    const auto end = xml.find("</uuid>");
    return start == std::string::npos ? "" : xml.substr(start + 6, end - start - 6);
  }
  ConnectPtr connection_;
};

// The value of nkd_provider_requests_total{provider="libvirt"} for `operation` and `code`.
inline int libvirt_requests(metrics::Metrics& metrics, const std::string& operation,
                            const std::string& code) {
  const std::string text = metrics.serialize();
  std::smatch found;
  const std::regex line("nkd_provider_requests_total\\{code=\"" + code + "\",operation=\"" +
                        operation + "\",provider=\"libvirt\"\\} ([0-9]+)");
  return std::regex_search(text, found, line) ? std::stoi(found[1]) : 0;
}

}  // namespace nkd::providers::libvirt::testing
