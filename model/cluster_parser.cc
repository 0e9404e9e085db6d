#include "model/cluster_parser.h"

#include <map>
#include <set>

#include "common/cidr.h"
#include "common/duration.h"
#include "model/maintenance_parser.h"
#include "model/value_checks.h"

namespace nkd::model {

namespace {

constexpr std::string_view kApiVersion = "nkd.io/v1alpha1";

}  // namespace

std::optional<Cluster> ClusterParser::parse(const YAML::Node& root) {
  if (!fields_.expect_map(root, "the document", {"apiVersion", "kind", "metadata", "spec"})) {
    return std::nullopt;
  }
  if (auto api_version = fields_.string(root, "apiVersion", "", true);
      api_version && *api_version != kApiVersion) {
    fields_.error_at(root["apiVersion"], "apiVersion must be '" + std::string(kApiVersion) +
                                             "', got '" + *api_version + "'");
  }
  if (auto kind = fields_.string(root, "kind", "", true); kind && *kind != "Cluster") {
    fields_.error_at(root["kind"], "kind must be 'Cluster', got '" + *kind + "'");
  }
  Cluster cluster;
  const YAML::Node metadata = root["metadata"];
  if (!metadata.IsDefined()) {
    fields_.error_at(root, "missing required field 'metadata' (a mapping with 'name')");
  } else {
    parse_metadata(metadata, cluster);
  }
  const YAML::Node spec = root["spec"];
  if (!spec.IsDefined()) {
    fields_.error_at(root, "missing required field 'spec'");
    return std::nullopt;
  }
  parse_spec(spec, cluster);
  return cluster;
}

void ClusterParser::parse_metadata(const YAML::Node& metadata, Cluster& cluster) {
  if (!fields_.expect_map(metadata, "metadata", {"name", "labels", "annotations"})) return;
  const auto name = fields_.string(metadata, "name", "metadata", true);
  if (!name) return;
  cluster.name = *name;
  if (const std::string problem = check_dns1123_label(*name); !problem.empty()) {
    fields_.error_at(metadata["name"], "metadata.name " + problem);
  } else if (*name != directory_name_) {
    fields_.error_at(metadata["name"], "metadata.name '" + *name +
                                           "' must equal its directory name '" +
                                           directory_name_ + "'");
  }
  if (metadata["labels"].IsDefined() && !metadata["labels"].IsNull()) {
    parse_labels(metadata["labels"], cluster);
  }
}

void ClusterParser::parse_labels(const YAML::Node& labels, Cluster& cluster) {
  if (!labels.IsMap()) {
    fields_.error_at(labels,
                     "metadata.labels must be a mapping of label names to strings, "
                     "e.g. {wave: \"1\"}");
    return;
  }
  const auto wave = fields_.string(labels, "wave", "metadata.labels", false);
  if (!wave) return;
  // Digits only, so that "1.5", "-1" and "01x" are refused rather than read in part.
  const bool digits = !wave->empty() && wave->size() <= 5 &&
                      wave->find_first_not_of("0123456789") == std::string::npos;
  const int value = digits ? std::stoi(*wave) : -1;
  if (value < 0 || value > kMaxWave) {
    fields_.error_at(labels["wave"], "metadata.labels.wave must be a whole number from 0 to " +
                                         std::to_string(kMaxWave) +
                                         " (the rollout wave; write it quoted, e.g. wave: \"1\"), "
                                         "got '" +
                                         *wave + "'");
    return;
  }
  cluster.wave = value;
}

void ClusterParser::parse_spec(const YAML::Node& spec, Cluster& cluster) {
  if (!fields_.expect_map(spec, "spec",
                          {"platform", "os", "kubernetes", "users", "pools", "upgrade",
                           "ignition", "suspend", "driftPolicy", "maintenance"})) {
    return;
  }
  if (spec["platform"].IsDefined()) {
    parse_platform(spec["platform"], cluster);
  } else {
    fields_.error_at(spec, "missing required field 'spec.platform' (openstack, bareMetal or libvirt)");
  }
  if (spec["os"].IsDefined()) {
    parse_os(spec["os"], cluster.os);
  } else {
    fields_.error_at(spec, "missing required field 'spec.os' (version and imageURL)");
  }
  if (spec["kubernetes"].IsDefined()) {
    parse_kubernetes(spec["kubernetes"], cluster.kubernetes);
  } else {
    fields_.error_at(spec, "missing required field 'spec.kubernetes' (at least version)");
  }
  if (spec["users"].IsDefined()) parse_users(spec["users"], cluster.users);
  if (spec["pools"].IsDefined()) {
    parse_pools(spec["pools"], cluster.pools);
  } else {
    fields_.error_at(spec, "missing required field 'spec.pools' (at least one control-plane pool)");
  }
  // Everything below may expand the nodes or read files for each of them.
  if (!check_node_count(spec, cluster)) return;
  if (spec["upgrade"].IsDefined()) parse_upgrade(spec["upgrade"], cluster.upgrade);
  if (spec["ignition"].IsDefined()) parse_ignition(spec["ignition"], cluster.ignition);
  cluster.suspend = fields_.boolean(spec, "suspend", "spec").value_or(false);
  if (spec["maintenance"].IsDefined()) {
    cluster.maintenance_windows = parse_maintenance(fields_, spec["maintenance"], "spec.maintenance");
  }
  if (const auto policy = fields_.string(spec, "driftPolicy", "spec", false)) {
    if (*policy == "correct") cluster.drift_policy = DriftPolicy::kCorrect;
    else if (*policy == "report") cluster.drift_policy = DriftPolicy::kReport;
    else fields_.error_at(spec["driftPolicy"], "spec.driftPolicy must be 'correct' or 'report', got '" + *policy + "'");
  }
  check_topology(spec, cluster);
  check_libvirt_pools(spec, cluster);
  check_endpoint(spec, cluster);
}

void ClusterParser::parse_platform(const YAML::Node& platform, Cluster& cluster) {
  if (!fields_.expect_map(platform, "spec.platform", {"openstack", "bareMetal", "libvirt"})) return;
  const int count = static_cast<int>(platform["openstack"].IsDefined()) +
                    static_cast<int>(platform["bareMetal"].IsDefined()) +
                    static_cast<int>(platform["libvirt"].IsDefined());
  if (count != 1) {
    fields_.error_at(platform, count > 1
                                   ? "spec.platform sets more than one of openstack, bareMetal and "
                                     "libvirt; keep exactly one"
                                   : "spec.platform must set exactly one of openstack, bareMetal "
                                     "or libvirt");
    return;
  }
  if (platform["openstack"].IsDefined()) {
    OpenStackPlatform openstack;
    parse_openstack(platform["openstack"], openstack);
    cluster.platform = std::move(openstack);
  } else if (platform["libvirt"].IsDefined()) {
    LibvirtPlatform libvirt;
    parse_libvirt(platform["libvirt"], libvirt);
    cluster.platform = std::move(libvirt);
  } else {
    BareMetalPlatform bare_metal;
    parse_bare_metal(platform["bareMetal"], bare_metal);
    cluster.platform = std::move(bare_metal);
  }
}

void ClusterParser::parse_openstack(const YAML::Node& node, OpenStackPlatform& openstack) {
  constexpr std::string_view kWhere = "spec.platform.openstack";
  if (!fields_.expect_map(node, kWhere, {"cloud", "image", "flavor", "network", "externalNetwork",
                                         "securityGroups", "availabilityZone"})) {
    return;
  }
  openstack.cloud = fields_.string(node, "cloud", kWhere, true).value_or("");
  openstack.image = fields_.string(node, "image", kWhere, true).value_or("");
  openstack.flavor = fields_.string(node, "flavor", kWhere, true).value_or("");
  openstack.network = fields_.string(node, "network", kWhere, true).value_or("");
  openstack.external_network = fields_.string(node, "externalNetwork", kWhere, false).value_or("");
  openstack.security_groups = fields_.string_list(node, "securityGroups", kWhere);
  openstack.availability_zone = fields_.string(node, "availabilityZone", kWhere, false).value_or("");
}

void ClusterParser::parse_bare_metal(const YAML::Node& node, BareMetalPlatform& bare_metal) {
  constexpr std::string_view kWhere = "spec.platform.bareMetal";
  if (!fields_.expect_map(node, kWhere, {"nodes", "boot"})) return;
  if (node["boot"].IsDefined()) {
    BareMetalBoot boot;
    parse_bare_metal_boot(node["boot"], boot);
    bare_metal.boot = std::move(boot);
  }
  const YAML::Node nodes = node["nodes"];
  if (!nodes.IsDefined()) {
    fields_.error_at(node, "missing required field 'spec.platform.bareMetal.nodes'");
    return;
  }
  if (!fields_.expect_list(nodes, "spec.platform.bareMetal.nodes")) return;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const std::string where = indexed_path("spec.platform.bareMetal.nodes", i);
    const YAML::Node entry = nodes[i];
    if (!fields_.expect_map(entry, where, {"name", "pool", "mac", "ip"})) continue;
    BareMetalNode machine{.name = fields_.string(entry, "name", where, true).value_or(""),
                          .pool = fields_.string(entry, "pool", where, true).value_or(""),
                          .mac = fields_.string(entry, "mac", where, true).value_or(""),
                          .ip = fields_.string(entry, "ip", where, false).value_or("")};
    if (!machine.name.empty()) {
      if (const auto problem = check_dns1123_label(machine.name); !problem.empty()) {
        fields_.error_at(entry["name"], where + ".name " + problem);
      }
    }
    if (!machine.mac.empty()) {
      if (const auto problem = check_mac_address(machine.mac); !problem.empty()) {
        fields_.error_at(entry["mac"], where + ".mac " + problem);
      }
      machine.mac = normalize_mac(machine.mac);
      const YAML::Mark mark = YamlFields::mark_of(entry["mac"]);
      machine.mac_line = mark.line < 0 ? 0 : mark.line + 1;
      machine.mac_column = mark.column < 0 ? 0 : mark.column + 1;
    }
    if (!machine.ip.empty() && !parse_ip(machine.ip)) {
      fields_.error_at(entry["ip"], where + ".ip '" + machine.ip + "' is not an IP address");
    }
    bare_metal.nodes.push_back(std::move(machine));
  }
}

void ClusterParser::parse_bare_metal_boot(const YAML::Node& node, BareMetalBoot& boot) {
  constexpr std::string_view kWhere = "spec.platform.bareMetal.boot";
  if (!fields_.expect_map(node, kWhere, {"kernelURL", "initrdURL", "rootfsURL", "installDevice",
                                         "kernelArguments"})) {
    return;
  }
  // The values land in an iPXE script and on a kernel command line: each must stay one word.
  const std::pair<const char*, std::string*> urls[] = {
      {"kernelURL", &boot.kernel_url}, {"initrdURL", &boot.initrd_url}, {"rootfsURL", &boot.rootfs_url}};
  for (const auto& [key, target] : urls) {
    *target = fields_.string(node, key, kWhere, true).value_or("");
    if (target->empty()) continue;
    if (const auto problem = check_boot_url(*target); !problem.empty()) {
      fields_.error_at(node[key], std::string(kWhere) + "." + key + " " + problem);
    }
  }
  boot.install_device = fields_.string(node, "installDevice", kWhere, false).value_or("");
  if (!boot.install_device.empty()) {
    if (const auto problem = check_install_device(boot.install_device); !problem.empty()) {
      fields_.error_at(node["installDevice"], std::string(kWhere) + ".installDevice " + problem);
    }
  }
  boot.kernel_arguments = fields_.string_list(node, "kernelArguments", kWhere);
  for (std::size_t i = 0; i < boot.kernel_arguments.size(); ++i) {
    if (const auto problem = check_kernel_argument(boot.kernel_arguments[i]); !problem.empty()) {
      fields_.error_at(node["kernelArguments"][i],
                       indexed_path(std::string(kWhere) + ".kernelArguments", i) + " " + problem);
    }
  }
}

void ClusterParser::parse_os(const YAML::Node& node, OsSpec& os) {
  if (!fields_.expect_map(node, "spec.os", {"version", "imageURL", "arch"})) return;
  os.version = fields_.string(node, "version", "spec.os", true).value_or("");
  if (const auto arch = fields_.string(node, "arch", "spec.os", false)) {
    if (const auto known = arch_from_string(*arch)) os.arch = *known;
    else fields_.error_at(node["arch"], "spec.os.arch '" + *arch + "' is not supported; use amd64 or arm64");
  }
  os.image_url = fields_.string(node, "imageURL", "spec.os", true).value_or("");
  if (!os.image_url.empty() && (os.image_url.find('/') == std::string::npos ||
                                os.image_url.find(' ') != std::string::npos)) {
    fields_.error_at(node["imageURL"], "spec.os.imageURL '" + os.image_url +
                                           "' must be REPOSITORY/NAME[:TAG@DIGEST]");
  }
}

void ClusterParser::parse_kubernetes(const YAML::Node& node, KubernetesSpec& kubernetes) {
  constexpr std::string_view kWhere = "spec.kubernetes";
  if (!fields_.expect_map(node, kWhere,
                          {"version", "controlPlaneEndpoint", "podSubnet", "serviceSubnet",
                           "dnsDomain", "imageRepository", "containerRuntime", "networkPlugin",
                           "networkPluginConfig", "virtualIP", "apiServerCertSANs",
                           "bootstrapTokenTTL", "pki"})) {
    return;
  }
  if (const auto version = fields_.string(node, "version", kWhere, true)) {
    kubernetes.version = *version;
    const YAML::Mark mark = YamlFields::mark_of(node["version"]);
    kubernetes.version_line = mark.line < 0 ? 0 : mark.line + 1;
    kubernetes.version_column = mark.column < 0 ? 0 : mark.column + 1;
    if (const auto problem = check_kubernetes_version(*version); !problem.empty()) {
      fields_.error_at(node["version"], "spec.kubernetes.version " + problem);
    }
  }
  kubernetes.control_plane_endpoint =
      fields_.string(node, "controlPlaneEndpoint", kWhere, false).value_or("");
  std::optional<Cidr> pod_subnet, service_subnet;
  for (auto [key, target, parsed] :
       {std::tuple{"podSubnet", &kubernetes.pod_subnet, &pod_subnet},
        std::tuple{"serviceSubnet", &kubernetes.service_subnet, &service_subnet}}) {
    const auto value = fields_.string(node, key, kWhere, false);
    if (!value) {
      *parsed = parse_cidr(*target);
      continue;
    }
    *target = *value;
    *parsed = parse_cidr(*value);
    if (!*parsed) {
      fields_.error_at(node[key], std::string("spec.kubernetes.") + key + " '" + *value +
                                      "' is not a CIDR block such as 10.244.0.0/16: " +
                                      cidr_problem(*value));
    }
  }
  if (pod_subnet && service_subnet && pod_subnet->overlaps(*service_subnet)) {
    const YAML::Node at = node["serviceSubnet"].IsDefined() ? node["serviceSubnet"] : node;
    fields_.error_at(at, "spec.kubernetes.serviceSubnet " + service_subnet->to_string() +
                             " overlaps podSubnet " + pod_subnet->to_string() +
                             "; pick disjoint ranges");
  }
  kubernetes.dns_domain = fields_.string(node, "dnsDomain", kWhere, false).value_or(kubernetes.dns_domain);
  kubernetes.image_repository =
      fields_.string(node, "imageRepository", kWhere, false).value_or(kubernetes.image_repository);
  if (const auto runtime = fields_.string(node, "containerRuntime", kWhere, false)) {
    if (*runtime == "containerd") kubernetes.container_runtime = ContainerRuntime::kContainerd;
    else if (*runtime == "isulad") kubernetes.container_runtime = ContainerRuntime::kIsulad;
    else if (*runtime == "crio") kubernetes.container_runtime = ContainerRuntime::kCrio;
    else fields_.error_at(node["containerRuntime"], "spec.kubernetes.containerRuntime '" + *runtime + "' is not supported; use containerd, isulad or crio");
  }
  if (const auto plugin = fields_.string(node, "networkPlugin", kWhere, false)) {
    const YAML::Mark mark = YamlFields::mark_of(node["networkPlugin"]);
    kubernetes.network_plugin_line = mark.line < 0 ? 0 : mark.line + 1;
    kubernetes.network_plugin_column = mark.column < 0 ? 0 : mark.column + 1;
    if (*plugin == "calico") kubernetes.network_plugin = NetworkPlugin::kCalico;
    else if (*plugin == "flannel") kubernetes.network_plugin = NetworkPlugin::kFlannel;
    else if (*plugin == "none") kubernetes.network_plugin = NetworkPlugin::kNone;
    else fields_.error_at(node["networkPlugin"], "spec.kubernetes.networkPlugin '" + *plugin + "' is not supported; use calico, flannel or none");
  }
  parse_endpoint_settings(node, kubernetes);
  parse_network_plugin_config(node, kubernetes);
  const YAML::Node pki = node["pki"];
  if (pki.IsDefined() && fields_.expect_map(pki, "spec.kubernetes.pki", {"keyAlgorithm"})) {
    if (const auto algorithm = fields_.string(pki, "keyAlgorithm", "spec.kubernetes.pki", false)) {
      if (*algorithm == "ECDSA-P256") kubernetes.pki.key_algorithm = KeyAlgorithm::kEcdsaP256;
      else if (*algorithm == "RSA-2048") kubernetes.pki.key_algorithm = KeyAlgorithm::kRsa2048;
      else fields_.error_at(pki["keyAlgorithm"], "spec.kubernetes.pki.keyAlgorithm '" + *algorithm + "' is not supported; use ECDSA-P256 or RSA-2048");
    }
  }
}

void ClusterParser::parse_users(const YAML::Node& node, std::vector<User>& users) {
  if (!fields_.expect_list(node, "spec.users")) return;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string where = indexed_path("spec.users", i);
    const YAML::Node entry = node[i];
    if (!fields_.expect_map(entry, where, {"name", "sshAuthorizedKeys", "passwordHash"})) continue;
    User user{.name = fields_.string(entry, "name", where, true).value_or(""),
              .ssh_authorized_keys = fields_.string_list(entry, "sshAuthorizedKeys", where),
              .password_hash = fields_.string(entry, "passwordHash", where, false).value_or("")};
    const YAML::Node keys = entry["sshAuthorizedKeys"];
    for (std::size_t k = 0; k < user.ssh_authorized_keys.size(); ++k) {
      if (const auto problem = check_ssh_public_key(user.ssh_authorized_keys[k]); !problem.empty()) {
        fields_.error_at(keys[k], where + ".sshAuthorizedKeys[" + std::to_string(k) + "] is " + problem);
      }
    }
    users.push_back(std::move(user));
  }
}

}  // namespace nkd::model
