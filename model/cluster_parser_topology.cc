// ClusterParser, second half: pools, upgrade policy, extra Ignition content and the rules that
// span several sections (node names, control-plane size, bare-metal machines per pool).
#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "common/duration.h"
#include "common/utf8.h"
#include "model/cluster_parser.h"
#include "model/limits.h"
#include "model/value_checks.h"

namespace nkd::model {

void ClusterParser::parse_pools(const YAML::Node& node, std::vector<Pool>& pools) {
  if (!fields_.expect_list(node, "spec.pools")) return;
  std::set<std::string> names;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string where = indexed_path("spec.pools", i);
    const YAML::Node entry = node[i];
    if (!fields_.expect_map(entry, where, {"name", "role", "replicas", "flavor", "arch"})) continue;
    Pool pool;
    pool.name = fields_.string(entry, "name", where, true).value_or("");
    if (!pool.name.empty()) {
      if (const auto problem = check_dns1123_label(pool.name); !problem.empty()) {
        fields_.error_at(entry["name"], where + ".name " + problem);
      } else if (!names.insert(pool.name).second) {
        fields_.error_at(entry["name"], where + ".name '" + pool.name + "' is used by another pool");
      }
    }
    if (const auto role = fields_.string(entry, "role", where, true)) {
      if (*role == "control-plane") pool.role = PoolRole::kControlPlane;
      else if (*role == "worker") pool.role = PoolRole::kWorker;
      else fields_.error_at(entry["role"], where + ".role must be 'control-plane' or 'worker', got '" + *role + "'");
    }
    // -1 marks "not given" (bare metal counts its machines instead); 0 after a reported error.
    pool.replicas = -1;
    if (entry["replicas"].IsDefined()) {
      const auto replicas = fields_.integer(entry, "replicas", where, false);
      pool.replicas = replicas.value_or(0);
      if (replicas && *replicas < 0) {
        fields_.error_at(entry["replicas"], where + ".replicas must not be negative");
        pool.replicas = 0;
      } else if (replicas && *replicas > kMaxNodesPerCluster) {
        fields_.error_at(entry["replicas"], where + ".replicas is " + std::to_string(*replicas) + ", more than the " + std::to_string(kMaxNodesPerCluster) + " nodes a cluster may have; split the nodes across several clusters");
        pool.replicas = 0;
        pool_over_node_limit_ = true;
      }
    }
    pool.flavor = fields_.string(entry, "flavor", where, false).value_or("");
    if (const auto arch = fields_.string(entry, "arch", where, false)) {
      pool.arch = arch_from_string(*arch);
      if (!pool.arch) fields_.error_at(entry["arch"], where + ".arch '" + *arch + "' is not supported; use amd64 or arm64");
    }
    pools.push_back(std::move(pool));
  }
}

void ClusterParser::parse_upgrade(const YAML::Node& node, UpgradePolicy& upgrade) {
  constexpr std::string_view kWhere = "spec.upgrade";
  if (!fields_.expect_map(node, kWhere, {"maxUnavailable", "evictPodForce", "drainTimeout",
                                         "operatorImage", "daemonImage"})) {
    return;
  }
  if (const auto max_unavailable = fields_.integer(node, "maxUnavailable", kWhere, false)) {
    upgrade.max_unavailable = *max_unavailable;
    if (*max_unavailable < 1) {
      fields_.error_at(node["maxUnavailable"], "spec.upgrade.maxUnavailable must be at least 1, got " + std::to_string(*max_unavailable));
    }
  }
  upgrade.evict_pod_force = fields_.boolean(node, "evictPodForce", kWhere).value_or(false);
  if (const auto timeout = fields_.string(node, "drainTimeout", kWhere, false)) {
    const auto milliseconds = parse_duration_ms(*timeout);
    if (!milliseconds || *milliseconds < 1000) {
      fields_.error_at(node["drainTimeout"], "spec.upgrade.drainTimeout '" + *timeout + "' is not a duration such as 90s, 10m or 1h");
    } else {
      upgrade.drain_timeout_seconds = static_cast<int>(*milliseconds / 1000);
    }
  }
  upgrade.operator_image = fields_.string(node, "operatorImage", kWhere, false).value_or("");
  upgrade.daemon_image = fields_.string(node, "daemonImage", kWhere, false).value_or("");
}

bool ClusterParser::check_node_count(const YAML::Node& spec, const Cluster& cluster) {
  if (pool_over_node_limit_) return false;
  const std::string limit = std::to_string(kMaxNodesPerCluster);
  if (const auto* bare_metal = std::get_if<BareMetalPlatform>(&cluster.platform)) {
    node_count_ = static_cast<std::int64_t>(bare_metal->nodes.size());
    if (node_count_ <= kMaxNodesPerCluster) return true;
    fields_.error_at(spec["platform"]["bareMetal"]["nodes"], "spec.platform.bareMetal.nodes lists " + std::to_string(node_count_) + " machines, more than the " + limit + " nodes a cluster may have; split the machines across several clusters");
    return false;
  }
  node_count_ = 0;
  for (const Pool& pool : cluster.pools) node_count_ += std::max(pool.replicas, 0);
  if (node_count_ <= kMaxNodesPerCluster) return true;
  fields_.error_at(spec["pools"], "spec.pools ask for " + std::to_string(node_count_) + " nodes in all, more than the " + limit + " a cluster may have; split the pools across several clusters");
  return false;
}

std::string ClusterParser::read_source(const YAML::Node& entry, const std::string& source,
                                       std::string_view where, Content content) {
  if (const auto problem = check_relative_path(source); !problem.empty()) {
    fields_.error_at(entry["source"], std::string(where) + ".source " + problem);
    return "";
  }
  if (extra_content_over_budget_) return "";
  const std::string field = std::string(where) + ".source '" + source + "': ";
  const std::string path = "clusters/" + directory_name_ + "/" + source;
  auto contents = tree_.read(path, kMaxSourceFileBytes);
  if (!contents) {
    const Error& error = contents.error();
    if (error.code == ErrorCode::kNotFound) {
      fields_.error_at(entry["source"], field + path + " does not exist in " + tree_.describe() + "; add the file or fix the path");
    } else if (error.code == ErrorCode::kQuotaExceeded) {
      fields_.error_at(entry["source"], field + error.message + "; Ignition carries it inline in every node's config: have the nodes fetch large content at boot instead");
    } else {
      fields_.error_at(entry["source"], field + error.message);
    }
    return "";
  }
  // Every node's config carries every extra file and unit, so the budget counts each per node.
  extra_content_bytes_ += contents->size();
  const std::uint64_t nodes = static_cast<std::uint64_t>(std::max<std::int64_t>(node_count_, 1));
  if (extra_content_bytes_ * nodes > kMaxExtraContentBytesPerCluster) {
    extra_content_over_budget_ = true;
    fields_.error_at(entry["source"], field + "the extra files and units of this cluster reach " + describe_size(extra_content_bytes_) + " here, " + describe_size(extra_content_bytes_ * nodes) + " across its " + std::to_string(nodes) + " node(s), more than the " + describe_size(kMaxExtraContentBytesPerCluster) + " a cluster may carry; have the nodes fetch large content at boot, or use fewer or smaller files");
    return "";
  }
  if (content == Content::kText) {
    if (const auto invalid = first_invalid_utf8(*contents)) {
      fields_.error_at(entry["source"], field + path + " is not valid UTF-8 (byte " + std::to_string(*invalid) + "); a systemd unit is text: save it as UTF-8");
      return "";
    }
  }
  return std::move(contents).value();
}

void ClusterParser::parse_ignition(const YAML::Node& node, IgnitionExtras& extras) {
  if (!fields_.expect_map(node, "spec.ignition", {"files", "units"})) return;
  if (const YAML::Node files = node["files"];
      files.IsDefined() && fields_.expect_list(files, "spec.ignition.files")) {
    for (std::size_t i = 0; i < files.size(); ++i) {
      const std::string where = indexed_path("spec.ignition.files", i);
      if (!fields_.expect_map(files[i], where, {"path", "mode", "source"})) continue;
      ExtraFile file{.path = fields_.string(files[i], "path", where, true).value_or(""),
                     .mode = fields_.file_mode(files[i], "mode", where).value_or(0644),
                     .source = fields_.string(files[i], "source", where, true).value_or(""),
                     .contents = ""};
      if (!file.path.empty() && file.path.front() != '/') {
        fields_.error_at(files[i]["path"], where + ".path '" + file.path + "' must be absolute");
      }
      if (!file.source.empty()) file.contents = read_source(files[i], file.source, where, Content::kBytes);
      extras.files.push_back(std::move(file));
    }
  }
  if (const YAML::Node units = node["units"];
      units.IsDefined() && fields_.expect_list(units, "spec.ignition.units")) {
    for (std::size_t i = 0; i < units.size(); ++i) {
      const std::string where = indexed_path("spec.ignition.units", i);
      if (!fields_.expect_map(units[i], where, {"name", "enabled", "source"})) continue;
      ExtraUnit unit{.name = fields_.string(units[i], "name", where, true).value_or(""),
                     .enabled = fields_.boolean(units[i], "enabled", where).value_or(true),
                     .source = fields_.string(units[i], "source", where, true).value_or(""),
                     .contents = ""};
      if (!unit.name.empty() && unit.name.find('.') == std::string::npos) {
        fields_.error_at(units[i]["name"], where + ".name '" + unit.name + "' needs a unit suffix such as .service");
      }
      if (!unit.source.empty()) unit.contents = read_source(units[i], unit.source, where, Content::kText);
      extras.units.push_back(std::move(unit));
    }
  }
}

void ClusterParser::check_arch(const YAML::Node& spec, const Cluster& cluster) {
  // One Update carries one osImageURL for every node: an image built for one architecture
  // would be rebased onto nodes of another. A multi-arch reference names none.
  const std::string& url = cluster.os.image_url;
  std::optional<Arch> named;
  for (const char* token : {"x86_64", "amd64", "aarch64", "arm64"}) {
    for (auto at = url.find(token); at != std::string::npos; at = url.find(token, at + 1)) {
      const auto end = at + std::string_view(token).size();
      const bool bounded = (at == 0 || !std::isalnum(static_cast<unsigned char>(url[at - 1]))) &&
                           (end == url.size() || !std::isalnum(static_cast<unsigned char>(url[end])));
      if (bounded) named = arch_from_string(token);
    }
  }
  if (!named) return;
  std::set<std::string> others;
  for (const Pool& pool : cluster.pools) {
    const Arch arch = pool.arch.value_or(cluster.os.arch);
    if (arch != *named) others.insert(pool.name + " (" + to_string(arch) + ")");
  }
  if (others.empty()) return;
  std::string pools;
  for (const std::string& name : others) pools += (pools.empty() ? "" : ", ") + name;
  fields_.error_at(spec["os"]["imageURL"], "spec.os.imageURL names architecture " + std::string(to_string(*named)) + " but pool(s) " + pools + " do not; housekeeper rebases every node to this one image: use an image built for the pools' architecture, or a multi-arch reference that names none");
}

void ClusterParser::check_topology(const YAML::Node& spec, const Cluster& cluster) {
  check_arch(spec, cluster);
  const YAML::Node pools = spec["pools"];
  if (!pools.IsSequence()) return;
  int control_plane_replicas = 0;
  bool has_control_plane_pool = false;
  bool control_plane_count_unknown = false;  // a missing replicas is already reported
  const auto* bare_metal = std::get_if<BareMetalPlatform>(&cluster.platform);
  std::map<std::string, int> machines_per_pool;
  if (bare_metal != nullptr) {
    for (const BareMetalNode& machine : bare_metal->nodes) ++machines_per_pool[machine.pool];
  }
  for (std::size_t i = 0; i < cluster.pools.size() && i < pools.size(); ++i) {
    const Pool& pool = cluster.pools[i];
    int replicas = pool.replicas;
    if (bare_metal != nullptr) {
      const int listed = machines_per_pool[pool.name];
      if (replicas >= 0 && replicas != listed) {
        fields_.error_at(pools[i]["replicas"], "spec.pools[" + std::to_string(i) + "].replicas is " + std::to_string(replicas) + " but spec.platform.bareMetal.nodes lists " + std::to_string(listed) + " machines for pool '" + pool.name + "'");
      }
      replicas = listed;
    } else if (replicas < 0) {
      fields_.error_at(pools[i], "missing required field 'spec.pools[" + std::to_string(i) + "].replicas'");
      control_plane_count_unknown |= pool.role == PoolRole::kControlPlane;
    }
    if (pool.role != PoolRole::kControlPlane) continue;
    has_control_plane_pool = true;
    control_plane_replicas += std::max(replicas, 0);
  }
  if (!has_control_plane_pool) {
    fields_.error_at(pools, "spec.pools has no pool with role control-plane; add one with at least 1 replica");
  } else if (control_plane_count_unknown) {
    // Reported above as a missing field.
  } else if (control_plane_replicas < 1) {
    fields_.error_at(pools, "control-plane replicas must be at least 1, got " + std::to_string(control_plane_replicas));
  } else if (control_plane_replicas % 2 == 0) {
    fields_.warning(pools.Mark(), "control-plane replicas is " + std::to_string(control_plane_replicas) + ": an even etcd member count tolerates no more failures than one fewer; use an odd number");
  }
  if (bare_metal != nullptr) {
    const YAML::Node listed = spec["platform"]["bareMetal"]["nodes"];
    std::set<std::string> pool_names;
    for (const Pool& pool : cluster.pools) pool_names.insert(pool.name);
    std::set<std::string> seen;
    for (std::size_t i = 0; i < bare_metal->nodes.size() && i < listed.size(); ++i) {
      const BareMetalNode& machine = bare_metal->nodes[i];
      if (!machine.pool.empty() && !pool_names.contains(machine.pool)) {
        fields_.error_at(listed[i]["pool"], "spec.platform.bareMetal.nodes[" + std::to_string(i) + "].pool '" + machine.pool + "' is not a pool in spec.pools");
      }
      if (!machine.name.empty() && !seen.insert(machine.name).second) {
        fields_.error_at(listed[i]["name"], "duplicate node name '" + machine.name + "'; node names must be unique in a cluster");
      }
    }
    return;
  }
  std::map<std::string, std::size_t> node_pool;
  for (const Node& node : expand_nodes(cluster)) {
    std::size_t pool_index = 0;
    while (pool_index < cluster.pools.size() && cluster.pools[pool_index].name != node.pool) ++pool_index;
    const auto [existing, inserted] = node_pool.emplace(node.name, pool_index);
    if (!inserted && existing->second != pool_index && pool_index < pools.size()) {
      fields_.error_at(pools[pool_index]["name"], "duplicate node name '" + node.name + "' (also made by spec.pools[" + std::to_string(existing->second) + "]); rename a pool");
    }
    if (node.name.size() > 63 && pool_index < pools.size()) {
      fields_.error_at(pools[pool_index]["name"], "node name '" + node.name + "' is longer than 63 characters; shorten the cluster or pool name");
      break;
    }
  }
}

}  // namespace nkd::model
