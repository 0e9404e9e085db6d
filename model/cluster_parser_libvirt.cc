// ClusterParser, spec.platform.libvirt: the connection a cluster's domains live on, where their
// volumes come from, and how large each pool's machines are.
#include <set>
#include <string>

#include "model/cluster_parser.h"

namespace nkd::model {

namespace {

constexpr std::string_view kLibvirtWhere = "spec.platform.libvirt";

// The bounds of a machine's size: below them a NestOS node does not boot, above them the number
// is a slip (a memory size written in KiB, a disk size in MiB).
constexpr int kMaxVcpus = 512;
constexpr int kMinMemoryMib = 512;
constexpr int kMaxMemoryMib = 16 * 1024 * 1024;
constexpr int kMaxDiskGib = 64 * 1024;

// libvirt names a pool, volume or network by any string; a '/' or a control character in one
// is a slip that would end up in a path or in the domain XML.
std::string check_libvirt_name(const std::string& value) {
  for (const char c : value) {
    if (c == '/') return "must not contain '/' (it names a libvirt object, not a path)";
    if (static_cast<unsigned char>(c) < 0x20) return "must not contain control characters";
  }
  return "";
}

}  // namespace

void ClusterParser::parse_libvirt(const YAML::Node& node, LibvirtPlatform& libvirt) {
  if (!fields_.expect_map(node, kLibvirtWhere,
                          {"connection", "storagePool", "baseVolume", "network", "domainType",
                           "vcpus", "memoryMiB", "diskGiB", "pools"})) {
    return;
  }
  libvirt.connection = fields_.string(node, "connection", kLibvirtWhere, true).value_or("");
  libvirt.storage_pool = fields_.string(node, "storagePool", kLibvirtWhere, true).value_or("");
  libvirt.base_volume = fields_.string(node, "baseVolume", kLibvirtWhere, true).value_or("");
  libvirt.network = fields_.string(node, "network", kLibvirtWhere, false).value_or("");
  for (const char* key : {"storagePool", "baseVolume", "network"}) {
    const std::optional<std::string> value = fields_.string(node, key, kLibvirtWhere, false);
    if (!value) continue;
    if (const std::string problem = check_libvirt_name(*value); !problem.empty()) {
      fields_.error_at(node[key], std::string(kLibvirtWhere) + "." + key + " " + problem);
    }
  }
  if (const auto type = fields_.string(node, "domainType", kLibvirtWhere, false)) {
    if (*type == "kvm" || *type == "qemu") {
      libvirt.domain_type = *type;
    } else {
      fields_.error_at(node["domainType"], std::string(kLibvirtWhere) +
                                               ".domainType must be 'kvm' or 'qemu' (emulation, "
                                               "for hosts without KVM), got '" +
                                               *type + "'");
    }
  }
  parse_libvirt_size(node, std::string(kLibvirtWhere), libvirt.size);
  const YAML::Node pools = node["pools"];
  if (!pools.IsDefined()) return;
  if (!pools.IsMap()) {
    fields_.error_at(pools,
                     std::string(kLibvirtWhere) + ".pools must be a mapping of pool name to size");
    return;
  }
  for (const auto& entry : pools) {
    const std::string name = entry.first.Scalar();
    const std::string where = std::string(kLibvirtWhere) + ".pools." + name;
    if (!fields_.expect_map(entry.second, where, {"vcpus", "memoryMiB", "diskGiB"})) continue;
    LibvirtMachineSize size = libvirt.size;  // what the pool does not say, the platform does
    parse_libvirt_size(entry.second, where, size);
    libvirt.pool_sizes[name] = size;
  }
}

void ClusterParser::parse_libvirt_size(const YAML::Node& node, const std::string& where,
                                       LibvirtMachineSize& size) {
  auto bounded = [&](const char* key, int low, int high, int& out) {
    const std::optional<int> value = fields_.integer(node, key, where, false);
    if (!value) return;
    if (*value < low || *value > high) {
      fields_.error_at(node[key], where + "." + key + " must be between " + std::to_string(low) +
                                      " and " + std::to_string(high) + ", got " +
                                      std::to_string(*value));
      return;
    }
    out = *value;
  };
  bounded("vcpus", 1, kMaxVcpus, size.vcpus);
  bounded("memoryMiB", kMinMemoryMib, kMaxMemoryMib, size.memory_mib);
  bounded("diskGiB", 1, kMaxDiskGib, size.disk_gib);
}

void ClusterParser::check_libvirt_pools(const YAML::Node& spec, const Cluster& cluster) {
  const auto* libvirt = std::get_if<LibvirtPlatform>(&cluster.platform);
  if (libvirt == nullptr || libvirt->pool_sizes.empty()) return;
  std::set<std::string> names;
  for (const Pool& pool : cluster.pools) names.insert(pool.name);
  const YAML::Node sized = spec["platform"]["libvirt"]["pools"];
  for (const auto& entry : sized) {
    const std::string name = entry.first.Scalar();
    if (names.contains(name)) continue;
    fields_.error_at(entry.first, std::string(kLibvirtWhere) + ".pools." + name +
                                      " sizes a pool that spec.pools does not have; name one of "
                                      "spec.pools or remove it");
  }
}

}  // namespace nkd::model
