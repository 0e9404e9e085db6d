#include "tests/support/node_tree_checks.h"

#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include "render/ignition/bring_up.h"
#include "render/ignition/kubeadm.h"
#include "tests/support/render_fixtures.h"
#include "tests/support/test_support.h"

namespace nkd::testing {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPresetFile = "/etc/systemd/system-preset/20-ignition.preset";
constexpr const char* kUnitDirectory = "/etc/systemd/system/";
constexpr const char* kManifestDirectory = "/etc/kubernetes/manifests";

// The path on the node of a file found under the scratch root.
std::string node_path(const IgnitionRoot& root, const fs::path& found) {
  return "/" + fs::relative(found, root.root()).string();
}

// Contents of a storage.files entry when they can be compared: base64 data URLs, uncompressed.
std::optional<std::string> declared_contents(const nlohmann::json& file) {
  const auto& contents = file.value("contents", nlohmann::json::object());
  if (contents.contains("compression") && !contents["compression"].get<std::string>().empty()) {
    return std::nullopt;
  }
  try {
    return decode_data_url(contents.value("source", ""));
  } catch (const std::runtime_error&) {
    return std::nullopt;
  }
}

void check_nothing_under_usr(const NodeTree& tree, NodeReport& report) {
  const fs::path usr = tree.root.on_node("/usr");
  if (!fs::exists(usr)) return;
  for (const auto& entry : fs::recursive_directory_iterator(usr)) {
    if (entry.is_directory() && !entry.is_symlink()) continue;
    report.add(node_path(tree.root, entry.path()),
               "written below /usr, which NestOS mounts read-only: Ignition could not write it "
               "on a real node; use /etc, /var or /opt");
  }
}

std::set<std::string> preset_lines(const IgnitionRoot& root) {
  std::set<std::string> lines;
  if (!fs::exists(root.on_node(kPresetFile))) return lines;
  std::istringstream text(root.read(kPresetFile));
  for (std::string line; std::getline(text, line);) lines.insert(line);
  return lines;
}

void check_unit_file(const NodeTree& tree, const nlohmann::json& unit, NodeReport& report) {
  const std::string name = unit["name"].get<std::string>();
  const std::string path = kUnitDirectory + name;
  if (unit.contains("contents")) {
    if (!fs::is_regular_file(tree.root.on_node(path))) {
      report.add(path, "unit file missing: systemd looks for " + name + " here");
    } else if (tree.root.read(path) != unit["contents"].get<std::string>()) {
      report.add(path, "unit file differs from the config's contents");
    } else if (unit.value("enabled", false) &&
               tree.root.read(path).find("[Install]") == std::string::npos) {
      report.add(path, "enabled unit without an [Install] section: the preset cannot enable it");
    }
  }
  for (const auto& dropin : unit.value("dropins", nlohmann::json::array())) {
    const std::string dropin_path = path + ".d/" + dropin["name"].get<std::string>();
    if (!fs::is_regular_file(tree.root.on_node(dropin_path))) {
      report.add(dropin_path, "drop-in missing");
    } else if (tree.root.read(dropin_path) != dropin.value("contents", "")) {
      report.add(dropin_path, "drop-in differs from the config's contents");
    }
  }
}

void check_kubeadm_unit(const NodeTree& tree, NodeReport& report) {
  const std::string path = std::string(kUnitDirectory) + "nkd-kubeadm.service";
  if (!fs::is_regular_file(tree.root.on_node(path))) return;  // reported as a missing unit
  const std::string verb = tree.is_init_node() ? "init" : "join";
  const std::string command =
      "kubeadm " + verb + " --config " + std::string(ignition::kKubeadmConfigPath);
  if (tree.root.read(path).find(command) == std::string::npos) {
    report.add(path, "does not run `" + command + "`");
  }
}

void check_network_manifest(const NodeTree& tree, NodeReport& report) {
  const model::NetworkPlugin plugin = tree.cluster.kubernetes.network_plugin;
  std::vector<const render::Artifact*> manifests;
  for (const render::Artifact& artifact : tree.render.artifacts) {
    if (artifact.path.starts_with("network/")) manifests.push_back(&artifact);
  }
  if (plugin == model::NetworkPlugin::kNone) {
    if (!manifests.empty()) report.add("", "networkPlugin none, yet the render has network/ files");
    return;
  }
  if (manifests.empty()) {
    report.add("", std::string("the render has no network/ manifest for networkPlugin ") +
                       model::to_string(plugin) + ": nothing installs the pod network");
    return;
  }
  if (!tree.is_init_node()) return;
  // The init node's bring-up unit applies them from there once the API answers.
  for (const render::Artifact* manifest : manifests) {
    const fs::path on_node = fs::path(ignition::kBringUpDir) / manifest->path;
    const fs::path found = tree.root.on_node(on_node.string());
    if (!fs::exists(found)) {
      report.add(on_node.string(), manifest->path + " of the render is not on the init node");
    } else if (read_file(found) != manifest->content) {
      report.add(on_node.string(), "differs from " + manifest->path + " of the render");
    }
  }
}

// The init node installs nkd's RBAC (its group nkd:controllers) at bring-up, with the unit that
// applies it; no other node carries either.
void check_nkd_access(const NodeTree& tree, NodeReport& report) {
  const fs::path access = tree.root.on_node(std::string(ignition::kBringUpDir) + "/access");
  const bool present = fs::exists(access) && !fs::is_empty(access);
  if (!tree.is_init_node()) {
    if (present) report.add(access.string(), "bring-up manifests on a node that is not the init node");
    return;
  }
  if (!present) {
    report.add(std::string(ignition::kBringUpDir) + "/access", "nkd's RBAC is not installed at bring-up");
    return;
  }
  bool binds_group = false;
  for (const auto& entry : fs::directory_iterator(access)) {
    if (read_file(entry.path()).find("nkd:controllers") != std::string::npos) binds_group = true;
  }
  if (!binds_group) report.add(access.string(), "no binding for the group nkd:controllers");
  if (!fs::exists(tree.root.on_node(std::string("/etc/systemd/system/") + ignition::kBringUpUnit))) {
    report.add(ignition::kBringUpUnit, "the init node has no bring-up unit");
  }
}

void check_virtual_ip_pod(const NodeTree& tree, NodeReport& report) {
  const std::string& address = tree.cluster.kubernetes.virtual_ip.address;
  if (address.empty() || !tree.is_control_plane()) return;
  const fs::path manifests = tree.root.on_node(kManifestDirectory);
  if (fs::exists(manifests)) {
    for (const auto& entry : fs::directory_iterator(manifests)) {
      if (entry.is_regular_file() && read_file(entry.path()).find(address) != std::string::npos) {
        return;
      }
    }
  }
  report.add(kManifestDirectory, "no static pod holds the virtual IP " + address +
                                     " (kube-vip): the endpoint has no owner");
}

}  // namespace

FieldList FieldList::load(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read field list " + file.string());
  FieldList list;
  list.source_ = fs::relative(file, source_dir()).string();
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') list.paths_.insert(line);
  }
  return list;
}

FieldLists load_field_lists() {
  const fs::path data = fs::path(source_dir()) / "tests" / "data";
  FieldLists lists;
  lists.emplace("kubeadm.k8s.io/v1beta3", FieldList::load(data / "kubeadm" / "v1beta3.fields"));
  lists.emplace("kubeadm.k8s.io/v1beta4", FieldList::load(data / "kubeadm" / "v1beta4.fields"));
  lists.emplace("kubelet.config.k8s.io/v1beta1",
                FieldList::load(data / "kubelet" / "v1beta1.fields"));
  return lists;
}

std::string expected_kubeadm_api(int minor) {
  return minor >= 31 ? "kubeadm.k8s.io/v1beta4" : "kubeadm.k8s.io/v1beta3";
}

bool NodeTree::is_init_node() const { return ignition::is_init_node(cluster, node); }

void check_written_files(const NodeTree& tree, NodeReport& report) {
  check_nothing_under_usr(tree, report);
  if (!tree.config.contains("storage")) return;
  for (const auto& file : tree.config["storage"].value("files", nlohmann::json::array())) {
    const std::string path = file["path"].get<std::string>();
    ++report.files;
    const fs::path on_disk = tree.root.on_node(path);
    if (!fs::is_regular_file(on_disk)) {
      report.add(path, "in the config's storage.files but not written");
      continue;
    }
    const auto mode = static_cast<int>(fs::status(on_disk).permissions() & fs::perms::mask);
    if (file.contains("mode") && mode != file["mode"].get<int>()) {
      std::ostringstream message;
      message << "mode 0" << std::oct << mode << ", the config says 0" << file["mode"].get<int>();
      report.add(path, message.str());
    }
    const auto contents = declared_contents(file);
    if (contents && read_file(on_disk) != *contents) {
      report.add(path, "contents differ from the config");
    }
  }
}

void check_units(const NodeTree& tree, NodeReport& report) {
  const std::set<std::string> presets = preset_lines(tree.root);
  std::set<std::string> must_be_enabled = {
      "kubelet.service", "nkd-kubeadm.service", "housekeeper-daemon.service",
      std::string(model::to_string(tree.cluster.kubernetes.container_runtime)) + ".service"};
  const auto units = tree.config.contains("systemd")
                         ? tree.config["systemd"].value("units", nlohmann::json::array())
                         : nlohmann::json::array();
  for (const auto& unit : units) {
    check_unit_file(tree, unit, report);
    if (unit.value("enabled", false)) must_be_enabled.insert(unit["name"].get<std::string>());
  }
  for (const std::string& name : must_be_enabled) {
    if (presets.contains("enable " + name)) {
      ++report.enabled_units;
    } else {
      report.add(kPresetFile, "no `enable " + name + "` line: the unit stays off at first boot");
    }
  }
  check_kubeadm_unit(tree, report);
}

void check_bring_up(const NodeTree& tree, NodeReport& report) {
  check_network_manifest(tree, report);
  check_nkd_access(tree, report);
  check_virtual_ip_pod(tree, report);
}

NodeReport check_node_tree(const NodeTree& tree, const FieldLists& lists) {
  NodeReport report;
  check_written_files(tree, report);
  check_units(tree, report);
  check_kubeadm_fields(tree, lists, report);
  check_kubeadm_settings(tree, report);
  check_pki(tree, report);
  check_bring_up(tree, report);
  return report;
}

std::string summary_line(const NodeTree& tree, const NodeReport& report) {
  std::ostringstream line;
  line << tree.node.name << " ("
       << (tree.is_init_node()       ? "init"
           : tree.is_control_plane() ? "control-plane join"
                                     : "worker")
       << ", " << (report.kubeadm_api.empty() ? "no kubeadm config" : report.kubeadm_api)
       << "): " << report.files << " files, " << report.certificates << " certificates, "
       << report.private_keys << " private keys, " << report.enabled_units << " units enabled: "
       << (report.problems.empty() ? "ok" : std::to_string(report.problems.size()) + " problems");
  return line.str();
}

}  // namespace nkd::testing
