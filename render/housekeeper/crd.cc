// The updates.housekeeper.io CRD with the schema of housekeeper's own (UpdateSpec in
// housekeeper/operator/api/v1alpha1/update_types.go): four fields, all required, no defaults.
#include "render/housekeeper/manifest_parts.h"

namespace nkd::housekeeper {
namespace {

void emit_typed(YAML::Emitter& out, const char* name, const char* type, const char* description) {
  out << YAML::Key << name << YAML::Value << YAML::BeginMap;
  if (description != nullptr) out << YAML::Key << "description" << YAML::Value << description;
  out << YAML::Key << "type" << YAML::Value << type;
  out << YAML::EndMap;
}

void emit_spec_schema(YAML::Emitter& out) {
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "description" << YAML::Value << "What the cluster is upgraded to";
  out << YAML::Key << "properties" << YAML::Value << YAML::BeginMap;
  emit_typed(out, "kubeVersion", "string",
             "Kubernetes version for kubeadm upgrade; empty for an OS-only upgrade");
  emit_typed(out, "osImageURL", "string", "OS container image rpm-ostree rebases the node to");
  emit_typed(out, "evictPodForce", "boolean", "Delete pods no controller manages when draining");
  emit_typed(out, "maxUnavailable", "integer", "Worker nodes upgraded at the same time");
  out << YAML::EndMap;
  out << YAML::Key << "required" << YAML::Value << YAML::BeginSeq << "kubeVersion" << "osImageURL"
      << "evictPodForce" << "maxUnavailable" << YAML::EndSeq;
  out << YAML::Key << "type" << YAML::Value << "object";
  out << YAML::EndMap;
}

void emit_schema(YAML::Emitter& out) {
  out << YAML::Key << "openAPIV3Schema" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "description" << YAML::Value << "An upgrade request for housekeeper";
  out << YAML::Key << "properties" << YAML::Value << YAML::BeginMap;
  emit_typed(out, "apiVersion", "string", nullptr);
  emit_typed(out, "kind", "string", nullptr);
  emit_typed(out, "metadata", "object", nullptr);
  emit_spec_schema(out);
  // Housekeeper reports progress on Node labels: status stays an empty object.
  emit_typed(out, "status", "object", nullptr);
  out << YAML::EndMap;
  out << YAML::Key << "type" << YAML::Value << "object";
  out << YAML::EndMap;
}

}  // namespace

std::string crd_yaml() {
  YAML::Emitter out;
  out << YAML::BeginMap;
  emit_header(out, "apiextensions.k8s.io/v1", "CustomResourceDefinition", "updates.housekeeper.io",
              "");
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "group" << YAML::Value << "housekeeper.io";
  out << YAML::Key << "names" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "kind" << YAML::Value << "Update";
  out << YAML::Key << "listKind" << YAML::Value << "UpdateList";
  out << YAML::Key << "plural" << YAML::Value << "updates";
  out << YAML::Key << "singular" << YAML::Value << "update";
  out << YAML::EndMap;
  out << YAML::Key << "scope" << YAML::Value << "Namespaced";
  out << YAML::Key << "versions" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << "v1alpha1";
  out << YAML::Key << "schema" << YAML::Value << YAML::BeginMap;
  emit_schema(out);
  out << YAML::EndMap;
  out << YAML::Key << "served" << YAML::Value << true;
  out << YAML::Key << "storage" << YAML::Value << true;
  out << YAML::Key << "subresources" << YAML::Value << YAML::BeginMap << YAML::Key << "status"
      << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::EndMap << YAML::EndMap;
  out << YAML::EndMap << YAML::EndSeq;
  out << YAML::EndMap << YAML::EndMap;
  return finish(out);
}

}  // namespace nkd::housekeeper
