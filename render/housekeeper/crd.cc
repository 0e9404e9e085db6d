#include "render/housekeeper/manifest_parts.h"

namespace nkd::housekeeper {
namespace {

void emit_property(YAML::Emitter& out, const char* name, const char* type,
                   const char* description) {
  out << YAML::Key << name << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "description" << YAML::Value << description;
  out << YAML::Key << "type" << YAML::Value << type;
  out << YAML::EndMap;
}

void emit_spec_schema(YAML::Emitter& out) {
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "type" << YAML::Value << "object";
  out << YAML::Key << "required" << YAML::Value << YAML::BeginSeq << "osImageURL" << YAML::EndSeq;
  out << YAML::Key << "properties" << YAML::Value << YAML::BeginMap;
  emit_property(out, "osImageURL", "string", "OS image to rebase to: REPOSITORY/NAME[:TAG@DIGEST]");
  emit_property(out, "osVersion", "string", "OS version the image carries");
  emit_property(out, "kubeVersion", "string",
                "Kubernetes version to upgrade to; empty for an OS-only upgrade");
  out << YAML::Key << "evictPodForce" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "description" << YAML::Value
      << "Delete pods that an eviction cannot move while draining";
  out << YAML::Key << "type" << YAML::Value << "boolean";
  out << YAML::Key << "default" << YAML::Value << false << YAML::EndMap;
  out << YAML::Key << "maxUnavailable" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "description" << YAML::Value << "Nodes upgraded at the same time";
  out << YAML::Key << "type" << YAML::Value << "integer";
  out << YAML::Key << "minimum" << YAML::Value << 1 << YAML::EndMap;
  emit_property(out, "drainTimeout", "string", "How long a node drain may take, e.g. 10m0s");
  out << YAML::EndMap << YAML::EndMap;
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
  out << YAML::Key << "served" << YAML::Value << true;
  out << YAML::Key << "storage" << YAML::Value << true;
  out << YAML::Key << "subresources" << YAML::Value << YAML::BeginMap << YAML::Key << "status"
      << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::EndMap << YAML::EndMap;
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
  emit_spec_schema(out);
  // Housekeeper reports progress on Node labels, so status stays an empty
  // object.
  out << YAML::Key << "status" << YAML::Value << YAML::BeginMap << YAML::Key << "type"
      << YAML::Value << "object" << YAML::EndMap;
  out << YAML::EndMap << YAML::EndMap << YAML::EndMap;
  out << YAML::EndMap << YAML::EndSeq;
  out << YAML::EndMap << YAML::EndMap;
  return finish(out);
}

}  // namespace nkd::housekeeper
