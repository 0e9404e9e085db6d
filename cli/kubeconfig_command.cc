// nkd kubeconfig CLUSTER: prints an admin kubeconfig for a cluster (the users' credential, the
// PKI's admin certificate, O=system:masters) from the PKI kept in --state. The server is --server,
// else https://<controlPlaneEndpoint>:6443 from the cluster's definition in --repo.
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/daemon_state_options.h"
#include "cli/repository_options.h"
#include "common/crypto.h"
#include "model/loader.h"
#include "providers/kube/kube_identity.h"
#include "state/cluster_pki_store.h"
#include "state/sqlite_state_store.h"

namespace nkd::cli {
namespace {

struct KubeconfigOptions {
  std::string cluster;
  std::string state;
  std::vector<std::string> state_key_files;
  std::string server;
  RepositoryOptions repository;
};

Result<pki::ClusterPki> load_pki(const KubeconfigOptions& options, int& exit_code) {
  exit_code = 1;
  if (!std::filesystem::exists(options.state)) {
    return Error{ErrorCode::kNotFound, "state file " + options.state +
                                           " does not exist; pass --state with the file "
                                           "`nkd render --state` or the daemon wrote"};
  }
  NKD_ASSIGN_OR_RETURN(auto sealer,
                       state::SecretSealer::from_settings(
                           state::EncryptionSettings::from_key_files(options.state_key_files)));
  NKD_ASSIGN_OR_RETURN(auto store, state::SqliteStateStore::open_read_only(
                                       options.state, real_clock(), std::move(sealer)));
  NKD_ASSIGN_OR_RETURN(auto stored, state::load_stored_pki(*store, options.cluster));
  if (!stored.has_value()) {
    return Error{ErrorCode::kNotFound, "no PKI for cluster " + options.cluster + " in " +
                                           options.state +
                                           "; render or deploy the cluster first"};
  }
  return std::move(*stored);
}

Result<std::string> server_url(const KubeconfigOptions& options, int& exit_code) {
  if (!options.server.empty()) return options.server;
  exit_code = 2;
  NKD_ASSIGN_OR_RETURN_WRAP(auto tree, options.repository.open(),
                            "finding the API endpoint (pass --server URL to skip the repository)");
  const model::LoadResult loaded = model::load_repository(*tree);
  exit_code = 1;
  if (!loaded.ok()) {
    return Error{ErrorCode::kInvalidArgument,
                 "the definitions in " + tree->describe() +
                     " are invalid (run nkd validate); pass --server URL to skip them"};
  }
  const model::Cluster* cluster = loaded.model.find(options.cluster);
  if (cluster == nullptr) {
    return Error{ErrorCode::kNotFound, "no cluster named " + options.cluster + " in " +
                                           tree->describe() + "; pass --server URL"};
  }
  return kube::api_server_url(*cluster);
}

std::string kubeconfig_yaml(const std::string& cluster, const std::string& server,
                            const pki::ClusterPki& pki) {
  const std::string user = cluster + "-admin";
  const std::string context = user + "@" + cluster;
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << "v1";
  out << YAML::Key << "kind" << YAML::Value << "Config";
  out << YAML::Key << "clusters" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << cluster;
  out << YAML::Key << "cluster" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "server" << YAML::Value << server;
  out << YAML::Key << "certificate-authority-data" << YAML::Value
      << base64_encode(pki.ca.cert_pem);
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "users" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << user;
  out << YAML::Key << "user" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "client-certificate-data" << YAML::Value
      << base64_encode(pki.admin.cert_pem);
  out << YAML::Key << "client-key-data" << YAML::Value
      << base64_encode(pki.admin.key_pem.reveal());
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "contexts" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << context;
  out << YAML::Key << "context" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "cluster" << YAML::Value << cluster;
  out << YAML::Key << "user" << YAML::Value << user;
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "current-context" << YAML::Value << context;
  out << YAML::Key << "preferences" << YAML::Value << YAML::Flow << YAML::BeginMap
      << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

int run_kubeconfig(const KubeconfigOptions& options) {
  int exit_code = 1;
  auto pki = load_pki(options, exit_code);
  if (!pki) {
    std::cerr << "nkd kubeconfig: " << pki.error().message << "\n";
    return exit_code;
  }
  auto server = server_url(options, exit_code);
  if (!server) {
    std::cerr << "nkd kubeconfig: " << server.error().message << "\n";
    return exit_code;
  }
  std::cout << kubeconfig_yaml(options.cluster, *server, *pki);
  return 0;
}

}  // namespace

void add_kubeconfig_command(CLI::App& app) {
  auto options = std::make_shared<KubeconfigOptions>();
  auto* command = app.add_subcommand(
      "kubeconfig",
      "Print an admin kubeconfig for CLUSTER (it holds the admin private key: keep it safe).\n"
      "Exit 0 on success, 1 when the state has no PKI for the cluster, 2 on usage errors.");
  command->add_option("cluster", options->cluster, "Cluster name")->required();
  // Required: a guessed file could hold another PKI than the one the cluster was built with (a
  // throwaway one of `nkd render`), and its kubeconfig would be refused by the cluster.
  command
      ->add_option("--state", options->state,
                   "The state file that holds the cluster's PKI: the daemon's (state.sqlite in "
                   "syncd.yaml, e.g. /var/lib/nkd/state.db; reading needs its owner's rights) or "
                   "the one `nkd render --state` used")
      ->required();
  add_state_key_file_option(*command, options->state_key_files);
  command->add_option("--server", options->server,
                      "API server URL; default https://<controlPlaneEndpoint>:6443 from --repo");
  options->repository.add_to(*command);
  command->callback([options] { set_exit_code(run_kubeconfig(*options)); });
}

}  // namespace nkd::cli
