// Checks of the tree the real Ignition wrote for one rendered node, against what the parts that
// run next expect: kubeadm (only fields of its API version, taken from kubeadm's own Go types in
// tests/data; an endpoint and certificate names that give correct SANs), the PKI (certificates
// that parse, match their keys and chain to a CA; no private key on a worker), systemd (unit files
// where it looks, presets that enable them) and NestOS (nothing under the read-only /usr).
//
// Every check appends what it finds to a NodeReport and goes on, so one run lists all problems of
// a node, each naming the file on the node and what is wrong with it.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_set>
#include <vector>

#include "model/cluster.h"
#include "render/render.h"
#include "tests/support/ignition_runner.h"

namespace nkd::testing {

// The field paths of one API version's kinds, as tests/data/kubeadm/make_fields.py lists them:
// "Kind.field.sub", "[]" for list items, "*" for any map key.
class FieldList {
 public:
  // Throws std::runtime_error when the file cannot be read.
  static FieldList load(const std::filesystem::path& file);
  [[nodiscard]] bool allows(const std::string& path) const { return paths_.contains(path); }
  [[nodiscard]] const std::string& source() const { return source_; }

 private:
  std::unordered_set<std::string> paths_;
  std::string source_;  // the file, relative to the source tree, for messages
};

// By apiVersion: kubeadm.k8s.io/v1beta3, kubeadm.k8s.io/v1beta4, kubelet.config.k8s.io/v1beta1.
using FieldLists = std::map<std::string, FieldList>;
[[nodiscard]] FieldLists load_field_lists();

// The kubeadm API version kubeadm of `minor` reads: v1beta4 from 1.31 on (v1beta3 is deprecated
// there), v1beta3 before.
[[nodiscard]] std::string expected_kubeadm_api(int minor);

struct TreeProblem {
  std::string file;  // absolute path on the node; "" for the node as a whole
  std::string problem;
};

struct NodeReport {
  std::vector<TreeProblem> problems;
  int files = 0;  // storage.files entries checked
  int certificates = 0;
  int private_keys = 0;
  int enabled_units = 0;
  std::string kubeadm_api;

  void add(std::string file, std::string problem) {
    problems.push_back({.file = std::move(file), .problem = std::move(problem)});
  }
};

// One applied node and what it was rendered from.
struct NodeTree {
  const model::Cluster& cluster;
  const model::Node& node;
  const nlohmann::json& config;         // the Ignition config that was applied
  const render::ClusterRender& render;  // the cluster's whole render (network/ and pki/ artifacts)
  const IgnitionRoot& root;
  [[nodiscard]] bool is_control_plane() const {
    return node.role == model::PoolRole::kControlPlane;
  }
  [[nodiscard]] bool is_init_node() const;
};

// storage.files landed with their contents and modes; no file below /usr.
void check_written_files(const NodeTree& tree, NodeReport& report);
// Units with contents sit in /etc/systemd/system, drop-ins beside them; nkd's units and every
// enabled one are `enable` lines of Ignition's preset and can be enabled ([Install]).
void check_units(const NodeTree& tree, NodeReport& report);
// Every document of the kubeadm config and the kubelet config has the apiVersion kubeadm of the
// cluster's minor reads and only fields of that version.
void check_kubeadm_fields(const NodeTree& tree, const FieldLists& lists, NodeReport& report);
// What kubeadm needs for correct certificates and joins: the cluster endpoint (never a node name),
// certSANs with the endpoint, virtual IP and extra SANs, `controlPlane` on control-plane joins, the
// CA hash of the CA on the node, FlexVolume directories outside /usr.
void check_kubeadm_settings(const NodeTree& tree, NodeReport& report);
// Certificates under /etc/kubernetes/pki and /etc/nkd/pki parse, match their keys and chain to a
// CA on the node; control-plane nodes hold only the CAs and service-account keys (kubeadm issues
// the rest); workers hold no private key at all.
void check_pki(const NodeTree& tree, NodeReport& report);
// The network plugin's manifest on the init node; the kube-vip static pod on control-plane nodes
// of a cluster with a virtual IP.
void check_bring_up(const NodeTree& tree, NodeReport& report);

[[nodiscard]] NodeReport check_node_tree(const NodeTree& tree, const FieldLists& lists);

// "<node> (<role>, <api>): N files, N certificates, ... : ok | N problems".
[[nodiscard]] std::string summary_line(const NodeTree& tree, const NodeReport& report);

}  // namespace nkd::testing
