// The kubeadm and kubelet configuration on an applied node: fields of the right API version, and
// the settings kubeadm needs to issue correct certificates and join the right cluster.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <set>

#include "model/kubernetes_support.h"
#include "render/ignition/kubeadm.h"
#include "render/pki/certificate.h"
#include "tests/support/node_tree_checks.h"

namespace nkd::testing {

namespace fs = std::filesystem;

namespace {

constexpr const char* kKubeletApi = "kubelet.config.k8s.io/v1beta1";
constexpr const char* kFlexVolumeFlag = "flex-volume-plugin-dir";

std::vector<YAML::Node> load_documents(const IgnitionRoot& root, const std::string& path,
                                       NodeReport& report) {
  if (!fs::is_regular_file(root.on_node(path))) {
    report.add(path, "missing");
    return {};
  }
  try {
    return YAML::LoadAll(root.read(path));
  } catch (const YAML::Exception& error) {
    report.add(path, std::string("is not YAML: ") + error.what());
    return {};
  }
}

// Quiet twin of load_documents for checks that run after check_kubeadm_fields reported problems.
std::vector<YAML::Node> documents_or_none(const IgnitionRoot& root, const std::string& path) {
  NodeReport ignored;
  return load_documents(root, path, ignored);
}

// node[a][b]...; an undefined node when a step is missing (yaml-cpp throws on indexing one).
YAML::Node at(const YAML::Node& node, std::initializer_list<const char*> keys) {
  YAML::Node current = node;
  for (const char* key : keys) {
    // Read through a const view: a mutable operator[] would add the key to the document.
    const YAML::Node& view = current;
    if (!view.IsDefined() || !view.IsMap() || !view[key].IsDefined()) {
      return YAML::Node(YAML::NodeType::Undefined);
    }
    current.reset(view[key]);  // rebinds; operator= would overwrite the node in the document
  }
  return current;
}

std::string text_of(const YAML::Node& node) {
  return node.IsDefined() && node.IsScalar() ? node.as<std::string>() : "";
}

YAML::Node document_of_kind(const std::vector<YAML::Node>& documents, const std::string& kind) {
  for (const YAML::Node& document : documents) {
    if (text_of(document["kind"]) == kind) return document;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

// Walks one document and reports every key the API version's field list does not have.
class FieldWalker {
 public:
  FieldWalker(const FieldList& list, std::string api, std::string file, NodeReport& report)
      : list_(list), api_(std::move(api)), file_(std::move(file)), report_(report) {}

  void walk(const YAML::Node& node, const std::string& path) {
    if (node.IsMap()) {
      for (const auto& entry : node) walk_key(entry.first.as<std::string>(), entry.second, path);
    } else if (node.IsSequence()) {
      if (!list_.allows(path + "[]")) {
        report_.add(file_, "`" + path + "` is a list here but not in " + api_ + per_list());
        return;
      }
      for (const YAML::Node& item : node) walk(item, path + "[]");
    } else if (node.IsScalar() && list_.allows(path + "[]")) {
      report_.add(file_, "`" + path + "` must be a list in " + api_ + per_list());
    }
  }

 private:
  void walk_key(const std::string& key, const YAML::Node& value, const std::string& path) {
    std::string child = path + "." + key;
    if (!list_.allows(child)) {
      if (!list_.allows(path + ".*")) {
        report_.add(file_, "`" + child + "` is not a field of " + api_ + per_list());
        return;
      }
      child = path + ".*";
    }
    walk(value, child);
  }

  std::string per_list() const { return " (" + list_.source() + ")"; }

  const FieldList& list_;
  std::string api_;
  std::string file_;
  NodeReport& report_;
};

void check_document_fields(const YAML::Node& document, const std::string& file,
                           const FieldLists& lists, NodeReport& report) {
  const std::string api = text_of(document["apiVersion"]);
  const std::string kind = text_of(document["kind"]);
  const auto list = lists.find(api);
  if (list == lists.end()) {
    report.add(file, kind + " has apiVersion '" + api + "', for which there is no field list");
    return;
  }
  if (!list->second.allows(kind)) {
    report.add(file, "'" + kind + "' is not a kind of " + api + " (" + list->second.source() + ")");
    return;
  }
  FieldWalker(list->second, api, file, report).walk(document, kind);
}

// The host of "host", "host:port", "[v6]:port" or a bare IPv6 address.
std::string host_of(const std::string& endpoint) {
  if (endpoint.starts_with('[')) return endpoint.substr(1, endpoint.find(']') - 1);
  if (std::count(endpoint.begin(), endpoint.end(), ':') > 1) return endpoint;
  return endpoint.substr(0, endpoint.find(':'));
}

void check_endpoint(const NodeTree& tree, const std::string& field, const std::string& value,
                    NodeReport& report) {
  const std::string file = ignition::kKubeadmConfigPath;
  const std::string expected = host_of(model::control_plane_endpoint(tree.cluster));
  const std::string host = host_of(value);
  for (const model::Node& node : model::expand_nodes(tree.cluster)) {
    if (host == node.name) {
      report.add(file, field + " is the node name '" + host + "', not the cluster's endpoint '" +
                           expected + "'");
      return;
    }
  }
  if (host != expected) {
    report.add(file, field + " '" + value + "' is not the cluster's endpoint '" + expected + "'");
  }
}

std::optional<std::string> extra_arg(const YAML::Node& arguments, const std::string& name) {
  if (arguments.IsMap() && arguments[name].IsDefined()) return text_of(arguments[name]);
  if (arguments.IsSequence()) {
    for (const YAML::Node& argument : arguments) {
      if (text_of(argument["name"]) == name) return text_of(argument["value"]);
    }
  }
  return std::nullopt;
}

void check_cert_sans(const NodeTree& tree, const YAML::Node& cluster_configuration,
                     NodeReport& report) {
  std::set<std::string> listed;
  for (const YAML::Node& san : at(cluster_configuration, {"apiServer", "certSANs"})) {
    listed.insert(text_of(san));
  }
  const model::KubernetesSpec& kubernetes = tree.cluster.kubernetes;
  std::vector<std::pair<std::string, std::string>> wanted = {
      {host_of(model::control_plane_endpoint(tree.cluster)), "the cluster's endpoint"}};
  if (!kubernetes.virtual_ip.address.empty()) {
    wanted.emplace_back(kubernetes.virtual_ip.address, "the virtual IP");
  }
  for (const std::string& san : kubernetes.api_server_cert_sans) {
    wanted.emplace_back(san, "spec.kubernetes.apiServerCertSANs");
  }
  for (const auto& [name, why] : wanted) {
    if (listed.contains(name)) continue;
    report.add(ignition::kKubeadmConfigPath,
               "ClusterConfiguration.apiServer.certSANs lacks '" + name + "' (" + why +
                   "): the apiserver certificate kubeadm issues would not cover it");
  }
}

void check_flex_volume_dirs(const NodeTree& tree, const YAML::Node& cluster_configuration,
                            NodeReport& report) {
  if (cluster_configuration.IsDefined()) {
    const auto directory =
        extra_arg(at(cluster_configuration, {"controllerManager", "extraArgs"}), kFlexVolumeFlag);
    if (!directory || !directory->starts_with("/opt/")) {
      report.add(ignition::kKubeadmConfigPath,
                 std::string("controllerManager extraArgs ") + kFlexVolumeFlag + " is '" +
                     directory.value_or("") +
                     "': its default lies in the read-only /usr; use /opt");
    }
  }
  // The init node's KubeletConfiguration document becomes every node's kubelet configuration.
  for (const char* file : {ignition::kKubeletConfigPath, ignition::kKubeadmConfigPath}) {
    for (const YAML::Node& document : documents_or_none(tree.root, file)) {
      if (text_of(document["kind"]) != "KubeletConfiguration") continue;
      const std::string directory = text_of(document["volumePluginDir"]);
      if (directory.starts_with("/opt/")) continue;
      report.add(file, "KubeletConfiguration.volumePluginDir is '" + directory +
                           "': kubelet's default lies in the read-only /usr; use /opt");
    }
  }
}

void check_ca_hash(const NodeTree& tree, const YAML::Node& join, NodeReport& report) {
  const std::string ca_path =
      tree.is_control_plane() ? "/etc/kubernetes/pki/ca.crt" : "/etc/nkd/pki/ca.crt";
  if (!fs::is_regular_file(tree.root.on_node(ca_path))) return;  // check_pki reports it
  const auto certificate = pki::certificate_from_pem(tree.root.read(ca_path));
  if (!certificate) return;
  const auto hash = pki::public_key_info_sha256_hex(certificate->get());
  if (!hash) return;
  for (const YAML::Node& pinned : at(join, {"discovery", "bootstrapToken", "caCertHashes"})) {
    if (text_of(pinned) == "sha256:" + *hash) return;
  }
  report.add(ignition::kKubeadmConfigPath,
             "discovery.bootstrapToken.caCertHashes does not pin " + ca_path + " on this node");
}

void check_join(const NodeTree& tree, const YAML::Node& join, NodeReport& report) {
  check_endpoint(tree, "JoinConfiguration.discovery.bootstrapToken.apiServerEndpoint",
                 text_of(at(join, {"discovery", "bootstrapToken", "apiServerEndpoint"})), report);
  const bool has_control_plane = join["controlPlane"].IsDefined() && join["controlPlane"].IsMap();
  if (tree.is_control_plane() && !has_control_plane) {
    report.add(ignition::kKubeadmConfigPath,
               "control-plane join without JoinConfiguration.controlPlane: kubeadm would join a "
               "worker");
  } else if (!tree.is_control_plane() && join["controlPlane"].IsDefined()) {
    report.add(ignition::kKubeadmConfigPath, "worker join with JoinConfiguration.controlPlane");
  }
  check_ca_hash(tree, join, report);
}

}  // namespace

void check_kubeadm_fields(const NodeTree& tree, const FieldLists& lists, NodeReport& report) {
  const int minor = model::kubernetes_minor(tree.cluster.kubernetes.version);
  const std::string expected = expected_kubeadm_api(minor);
  const std::string file = ignition::kKubeadmConfigPath;
  std::set<std::string> kinds;
  for (const YAML::Node& document : load_documents(tree.root, file, report)) {
    const std::string api = text_of(document["apiVersion"]);
    const std::string kind = text_of(document["kind"]);
    kinds.insert(kind);
    if (api.starts_with("kubeadm.k8s.io/")) {
      report.kubeadm_api = api;
      if (api != expected) {
        report.add(file, kind + " has apiVersion " + api + ", but kubeadm 1." +
                             std::to_string(minor) + " reads " + expected);
      }
    } else if (api != kKubeletApi) {
      report.add(file, kind + " has apiVersion '" + api + "', which kubeadm does not read");
    }
    check_document_fields(document, file, lists, report);
  }
  const std::vector<std::string> wanted =
      tree.is_init_node() ? std::vector<std::string>{"InitConfiguration", "ClusterConfiguration"}
                          : std::vector<std::string>{"JoinConfiguration"};
  for (const std::string& kind : wanted) {
    if (!kinds.contains(kind)) report.add(file, "has no " + kind + " document");
  }
  for (const YAML::Node& document :
       load_documents(tree.root, ignition::kKubeletConfigPath, report)) {
    if (text_of(document["kind"]) != "KubeletConfiguration") {
      report.add(ignition::kKubeletConfigPath,
                 "holds a document that is not a KubeletConfiguration");
    }
    check_document_fields(document, ignition::kKubeletConfigPath, lists, report);
  }
}

void check_kubeadm_settings(const NodeTree& tree, NodeReport& report) {
  const auto documents = documents_or_none(tree.root, ignition::kKubeadmConfigPath);
  const YAML::Node cluster_configuration = document_of_kind(documents, "ClusterConfiguration");
  if (tree.is_init_node() && cluster_configuration.IsDefined()) {
    check_endpoint(tree, "ClusterConfiguration.controlPlaneEndpoint",
                   text_of(cluster_configuration["controlPlaneEndpoint"]), report);
    check_cert_sans(tree, cluster_configuration, report);
  }
  if (const YAML::Node join = document_of_kind(documents, "JoinConfiguration"); join.IsDefined()) {
    check_join(tree, join, report);
  }
  check_flex_volume_dirs(tree, cluster_configuration, report);
}

}  // namespace nkd::testing
