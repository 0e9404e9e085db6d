// The CustomResourceDefinitions calico-node, the CNI plugin and calico-kube-controllers read and
// write: every CRD of calico.yaml at the pinned release (the crd.projectcalico.org kinds and the
// upstream AdminNetworkPolicy that calico enforces).
//
// Simplified schemas, deliberately: each CRD is apiextensions.k8s.io/v1 with a valid structural
// schema whose spec and status are objects with x-kubernetes-preserve-unknown-fields, not
// calico's full generated schemas. The API server therefore stores every field calico writes but
// validates none of them and applies no schema defaults (calico's own code fills its defaults;
// AdminNetworkPolicy port protocols are not defaulted to TCP). Keeping thousands of generated
// schema lines out of the project is the price-worthy trade; switch a kind to its full schema
// here if server-side validation of user-written calico objects is wanted.
#include "render/network/calico_parts.h"
#include "render/network/manifest_writer.h"

namespace nkd::network::calico {
namespace {

constexpr const char* kCalicoGroup = "crd.projectcalico.org";

struct CrdKind {
  const char* kind;
  const char* plural;
  const char* singular;
  bool namespaced;
  bool has_status;
};

constexpr CrdKind kCalicoKinds[] = {
    {"BGPConfiguration", "bgpconfigurations", "bgpconfiguration", false, false},
    {"BGPFilter", "bgpfilters", "bgpfilter", false, false},
    {"BGPPeer", "bgppeers", "bgppeer", false, false},
    {"BlockAffinity", "blockaffinities", "blockaffinity", false, false},
    {"CalicoNodeStatus", "caliconodestatuses", "caliconodestatus", false, true},
    {"ClusterInformation", "clusterinformations", "clusterinformation", false, false},
    {"FelixConfiguration", "felixconfigurations", "felixconfiguration", false, false},
    {"GlobalNetworkPolicy", "globalnetworkpolicies", "globalnetworkpolicy", false, false},
    {"GlobalNetworkSet", "globalnetworksets", "globalnetworkset", false, false},
    {"HostEndpoint", "hostendpoints", "hostendpoint", false, false},
    {"IPAMBlock", "ipamblocks", "ipamblock", false, false},
    {"IPAMConfig", "ipamconfigs", "ipamconfig", false, false},
    {"IPAMHandle", "ipamhandles", "ipamhandle", false, false},
    {"IPPool", "ippools", "ippool", false, false},
    {"IPReservation", "ipreservations", "ipreservation", false, false},
    {"KubeControllersConfiguration", "kubecontrollersconfigurations",
     "kubecontrollersconfiguration", false, true},
    {"NetworkPolicy", "networkpolicies", "networkpolicy", true, false},
    {"NetworkSet", "networksets", "networkset", true, false},
    {"Tier", "tiers", "tier", false, false},
};

struct CrdVersion {
  const char* group;
  const char* version;
  const char* short_name;  // null: none
  bool status_subresource;
};

void emit_open_object(YAML::Emitter& out, const char* key) {
  out << YAML::Key << key << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "type" << YAML::Value << "object";
  out << YAML::Key << "x-kubernetes-preserve-unknown-fields" << YAML::Value << true;
  out << YAML::EndMap;
}

void emit_schema(YAML::Emitter& out, bool has_status) {
  out << YAML::Key << "schema" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "openAPIV3Schema" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "type" << YAML::Value << "object";
  out << YAML::Key << "properties" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << YAML::BeginMap << YAML::Key << "type"
      << YAML::Value << "string" << YAML::EndMap;
  out << YAML::Key << "kind" << YAML::Value << YAML::BeginMap << YAML::Key << "type" << YAML::Value
      << "string" << YAML::EndMap;
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap << YAML::Key << "type"
      << YAML::Value << "object" << YAML::EndMap;
  emit_open_object(out, "spec");
  if (has_status) emit_open_object(out, "status");
  out << YAML::EndMap << YAML::EndMap << YAML::EndMap;
}

void emit_crd_spec(YAML::Emitter& out, const CrdKind& kind, const CrdVersion& version) {
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "group" << YAML::Value << version.group;
  out << YAML::Key << "names" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "kind" << YAML::Value << kind.kind;
  out << YAML::Key << "listKind" << YAML::Value << (std::string(kind.kind) + "List");
  out << YAML::Key << "plural" << YAML::Value << kind.plural;
  out << YAML::Key << "singular" << YAML::Value << kind.singular;
  if (version.short_name != nullptr) emit_string_list(out, "shortNames", {version.short_name});
  out << YAML::EndMap;
  out << YAML::Key << "scope" << YAML::Value << (kind.namespaced ? "Namespaced" : "Cluster");
  out << YAML::Key << "versions" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << version.version;
  out << YAML::Key << "served" << YAML::Value << true;
  out << YAML::Key << "storage" << YAML::Value << true;
  if (version.status_subresource) {
    out << YAML::Key << "subresources" << YAML::Value << YAML::BeginMap << YAML::Key << "status"
        << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::EndMap << YAML::EndMap;
  }
  emit_schema(out, kind.has_status);
  out << YAML::EndMap << YAML::EndSeq << YAML::EndMap;
}

NetworkManifest crd_manifest(const CrdKind& kind, const CrdVersion& version, Labels annotations) {
  const std::string name = std::string(kind.plural) + "." + version.group;
  YAML::Emitter out;
  begin_object(out, "apiextensions.k8s.io/v1", "CustomResourceDefinition", name, "", {},
               annotations);
  emit_crd_spec(out, kind, version);
  return {manifest_file_name("00", "crd", name), end_object(out)};
}

// The sig-network AdminNetworkPolicy that calico-node watches. Kubernetes refuses a CRD in a
// *.k8s.io group without the approval annotation; this one names the upstream API review.
NetworkManifest admin_network_policy_crd() {
  const CrdKind kind{"AdminNetworkPolicy", "adminnetworkpolicies", "adminnetworkpolicy", false,
                     true};
  const CrdVersion version{"policy.networking.k8s.io", "v1alpha1", "anp", true};
  return crd_manifest(kind, version,
                      {{"api-approved.kubernetes.io",
                        "https://github.com/kubernetes-sigs/network-policy-api/pull/30"},
                       {"policy.networking.k8s.io/bundle-version", "v0.1.1"},
                       {"policy.networking.k8s.io/channel", "experimental"}});
}

std::vector<NetworkManifest> render_crds() {
  std::vector<NetworkManifest> manifests;
  const CrdVersion calico_version{kCalicoGroup, "v1", nullptr, false};
  for (const CrdKind& kind : kCalicoKinds) {
    manifests.push_back(crd_manifest(kind, calico_version, {}));
  }
  manifests.push_back(admin_network_policy_crd());
  return manifests;
}

}  // namespace

const std::vector<NetworkManifest>& crd_manifests() {
  static const std::vector<NetworkManifest> manifests = render_crds();
  return manifests;
}

}  // namespace nkd::network::calico
