// nkd status and nkd history: read a running daemon's API and print it for people or scripts.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/daemon_client.h"
#include "common/result.h"

namespace nkd::cli {

namespace {

std::string short_revision(const nlohmann::json& value) {
  return value.is_string() && !value.get<std::string>().empty()
             ? value.get<std::string>().substr(0, 12)
             : "-";
}

// The phase, marked when an operator suspended the cluster and its reconcile has not yet
// recorded phase Suspended (a reconcile under way finishes its step first).
std::string phase_text(const nlohmann::json& cluster) {
  const std::string phase = cluster.value("phase", "-");
  const bool suspended = cluster.value("suspended", false);
  return suspended && phase != "Suspended" ? "Suspended(" + phase + ")" : phase;
}

// The rollout wave; "-" from a daemon too old to report one.
std::string wave_text(const nlohmann::json& cluster) {
  return cluster.contains("wave") && cluster["wave"].is_number_integer()
             ? std::to_string(cluster["wave"].get<int>())
             : "-";
}

std::string text_or_dash(const nlohmann::json& value) {
  return value.is_string() && !value.get<std::string>().empty() ? value.get<std::string>() : "-";
}

int run_status(const DaemonEndpoint& server, bool as_json) {
  auto clusters = get_daemon_json(server, "/api/v1/clusters");
  if (!clusters) {
    std::cerr << "nkd status: " << clusters.error().message << "\n";
    return 1;
  }
  bool failing = false;
  for (const auto& cluster : *clusters) {
    failing |= cluster["phase"] == "Failed" || !cluster["lastError"].is_null();
  }
  if (as_json) {
    std::cout << clusters->dump(2) << "\n";
    return failing ? 1 : 0;
  }
  // Several replicas on etcd: which one owns each cluster.
  const bool sharded =
      std::any_of(clusters->begin(), clusters->end(),
                  [](const nlohmann::json& cluster) { return cluster.contains("owner"); });
  std::cout << std::left << std::setw(24) << "CLUSTER" << std::setw(18) << "PHASE" << std::setw(6)
            << "WAVE" << std::setw(14) << "APPLIED" << std::setw(14) << "OBSERVED" << std::setw(7)
            << "READY" << (sharded ? "OWNER          " : "") << "LAST ERROR\n";
  for (const auto& cluster : *clusters) {
    std::cout << std::left << std::setw(24) << cluster["name"].get<std::string>() << std::setw(18)
              << phase_text(cluster) << std::setw(6) << wave_text(cluster) << std::setw(14)
              << short_revision(cluster["appliedRevision"]) << std::setw(14)
              << short_revision(cluster["observedRevision"]) << std::setw(7)
              << (cluster["ready"].get<bool>() ? "yes" : "no");
    if (sharded)
      std::cout << std::setw(15) << text_or_dash(cluster.value("owner", nlohmann::json()));
    std::cout << (cluster["lastError"].is_null() ? "-" : cluster["lastError"].get<std::string>())
              << "\n";
  }
  return failing ? 1 : 0;
}

// One cluster in full: its record, then a row per node (what a runbook needs during an incident).
int run_cluster_status(const DaemonEndpoint& server, const std::string& name, bool as_json) {
  auto cluster = get_daemon_json(server, "/api/v1/clusters/" + name);
  if (!cluster) {
    std::cerr << "nkd status: " << cluster.error().message << "\n";
    return 1;
  }
  const bool failing = (*cluster)["phase"] == "Failed" || !(*cluster)["lastError"].is_null();
  if (as_json) {
    std::cout << cluster->dump(2) << "\n";
    return failing ? 1 : 0;
  }
  const nlohmann::json& record = *cluster;
  std::cout << "cluster:   " << text_or_dash(record["name"]) << "\n"
            << "phase:     " << text_or_dash(record["phase"]) << "\n"
            << "wave:      " << wave_text(record) << "\n"
            << "ready:     " << (record["ready"].get<bool>() ? "yes" : "no") << "\n"
            << "applied:   " << text_or_dash(record["appliedRevision"]) << "\n"
            << "observed:  " << text_or_dash(record["observedRevision"]) << "\n"
            << "running:   " << text_or_dash(record["clusterRevision"]) << "\n"
            << "render:    " << text_or_dash(record["renderDigest"]) << "\n"
            << "lastError: " << text_or_dash(record["lastError"]) << "\n";
  if (record.contains("owner")) std::cout << "owner:     " << text_or_dash(record["owner"]) << "\n";
  if (record.value("suspended", false)) {
    std::cout << "suspended: since " << text_or_dash(record["suspendedAt"])
              << (record["suspendReason"].is_string()
                      ? " (" + record["suspendReason"].get<std::string>() + ")"
                      : std::string())
              << "; nkd resume " << text_or_dash(record["name"]) << " lifts it\n";
  }
  if (record.contains("phaseMessage") && record["phaseMessage"].is_string()) {
    std::cout << "waiting:   " << record["phaseMessage"].get<std::string>() << "\n";
  }
  std::cout << "\n";
  std::cout << std::left << std::setw(32) << "NODE" << std::setw(16) << "POOL" << std::setw(16)
            << "STATE" << std::setw(12) << "KUBELET"
            << "PROVIDER ID\n";
  for (const auto& node : record["nodes"]) {
    std::cout << std::left << std::setw(32) << text_or_dash(node["name"]) << std::setw(16)
              << text_or_dash(node["pool"]) << std::setw(16) << text_or_dash(node["state"])
              << std::setw(12) << text_or_dash(node["kubeletVersion"])
              << text_or_dash(node["providerID"]) << "\n";
  }
  return failing ? 1 : 0;
}

int run_history(const DaemonEndpoint& server, const std::string& cluster, bool as_json) {
  auto rows = get_daemon_json(server, "/api/v1/clusters/" + cluster + "/history");
  if (!rows) {
    std::cerr << "nkd history: " << rows.error().message << "\n";
    return 1;
  }
  if (as_json) {
    std::cout << rows->dump(2) << "\n";
    return 0;
  }
  std::cout << std::left << std::setw(14) << "REVISION" << std::setw(12) << "OUTCOME"
            << std::setw(26) << "FINISHED" << std::setw(20) << "AUTHOR"
            << "MESSAGE\n";
  for (const auto& row : *rows) {
    std::cout << std::left << std::setw(14) << short_revision(row["revision"]) << std::setw(12)
              << row["outcome"].get<std::string>() << std::setw(26)
              << (row["finishedAt"].is_null() ? "-" : row["finishedAt"].get<std::string>())
              << std::setw(20) << row["author"].get<std::string>()
              << row["message"].get<std::string>() << "\n";
  }
  return 0;
}

}  // namespace

void add_status_commands(CLI::App& app) {
  struct Options {
    DaemonEndpoint server;
    std::string cluster;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  auto* status = app.add_subcommand(
      "status",
      "Show every cluster: phase, rollout wave, applied and observed commit, readiness,\n"
      "last error;\n"
      "with CLUSTER, that cluster in full and each of its nodes.\n"
      "Exit 1 when a cluster shown is failing, is unknown, or the daemon cannot be reached.");
  status->add_option("CLUSTER", options->cluster, "Show only this cluster, with its nodes");
  status->add_option("--server", options->server.url, "URL of a running nkd syncd")
      ->capture_default_str();
  status->add_option("--ca-file", options->server.ca_file, kCaFileHelp);
  status->add_flag("--json", options->json, "Print the API's JSON instead of a table");
  status->callback([options] {
    set_exit_code(options->cluster.empty()
                      ? run_status(options->server, options->json)
                      : run_cluster_status(options->server, options->cluster, options->json));
  });

  auto* history = app.add_subcommand("history", "Show a cluster's applied versions, newest first");
  history->add_option("CLUSTER", options->cluster, "Cluster name")->required();
  history->add_option("--server", options->server.url, "URL of a running nkd syncd")
      ->capture_default_str();
  history->add_option("--ca-file", options->server.ca_file, kCaFileHelp);
  history->add_flag("--json", options->json, "Print JSON rows (revision, author, committedAt, "
                                             "renderDigest, outcome, message, startedAt, finishedAt)");
  history->callback([options] {
    set_exit_code(run_history(options->server, options->cluster, options->json));
  });
}

}  // namespace nkd::cli
