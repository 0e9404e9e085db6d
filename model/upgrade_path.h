// Upgrade paths between two revisions of one cluster definition. kubeadm moves a cluster one
// Kubernetes minor version at a time and never downgrades a minor, so a definition that asks for
// either can never be applied; these checks refuse it when the commit is validated instead of
// letting housekeeper fail on every node. Pure functions of the models: no I/O except
// peek_kubernetes_version, which reads one file from a tree the caller passes in.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/cluster.h"
#include "model/diagnostics.h"
#include "model/tree_reader.h"

namespace nkd::model {

// An error when `next` cannot follow `applied`: a different major version, a minor downgrade, or
// more than one minor up. Patch changes (either way) and pre-release suffixes are fine. The
// diagnostic points at spec.kubernetes.version in next's cluster.yaml and says which version to
// go to. nullopt when the step is fine or either version does not parse (the loader reports
// that). `applied_label` names where `applied` comes from in the message ("applied", "base").
[[nodiscard]] std::optional<Diagnostic> check_kubernetes_upgrade(
    const Cluster& applied, const Cluster& next, std::string_view applied_label = "applied");

// An error when `next` changes the network plugin of `applied`: a running cluster's pods keep
// their addresses and routes from the old plugin, so switching needs a migration nkd does not
// perform. nullopt when the plugin stays.
[[nodiscard]] std::optional<Diagnostic> check_network_plugin_change(
    const Cluster& applied, const Cluster& next, std::string_view applied_label = "applied");

// Every refusal above for the step from `applied` to `next`, the version first.
[[nodiscard]] std::optional<Diagnostic> check_cluster_transition(
    const Cluster& applied, const Cluster& next, std::string_view applied_label = "applied");

// spec.kubernetes.<key> of clusters/<name>/cluster.yaml in `tree` as written (a cheap filter
// before a full load); nullopt when the file, the field or the YAML is missing or broken.
[[nodiscard]] std::optional<std::string> peek_kubernetes_field(const TreeReader& tree,
                                                               const std::string& cluster_name,
                                                               const char* key);

// spec.kubernetes.version of clusters/<name>/cluster.yaml in `tree`, read without validating the
// rest of the definition (a cheap filter before a full load); nullopt when the file, the field or
// the YAML is missing or broken.
[[nodiscard]] std::optional<std::string> peek_kubernetes_version(const TreeReader& tree,
                                                                 const std::string& cluster_name);

}  // namespace nkd::model
