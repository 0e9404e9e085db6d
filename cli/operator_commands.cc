// nkd suspend | resume | sync CLUSTER: an operator's actions on a running daemon (POST
// /api/v1/clusters/<name>/<action>), authenticated with the daemon's api.operatorTokenFile.
#include <cctype>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/daemon_client.h"
#include "common/secret_file.h"

namespace nkd::cli {
namespace {

struct OperatorOptions {
  DaemonEndpoint server;
  std::string cluster;
  std::string token_file;
  std::string reason;
};

int run_action(const std::string& action, const OperatorOptions& options) {
  std::string token;
  if (!options.token_file.empty()) {
    auto secret = read_secret_file(options.token_file, "operator token file (--token-file)");
    if (!secret) {
      std::cerr << "nkd " << action << ": " << secret.error().message << "\n";
      return 2;
    }
    token = secret->reveal();
  }
  std::string path = "/api/v1/clusters/" + options.cluster + "/" + action;
  if (!options.reason.empty()) {
    path += "?reason=";
    // Percent-encode everything but unreserved characters.
    for (const unsigned char c : options.reason) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        path += static_cast<char>(c);
      } else {
        static constexpr char kHex[] = "0123456789ABCDEF";
        path += '%';
        path += kHex[c >> 4];
        path += kHex[c & 15];
      }
    }
  }
  auto answer = post_daemon_json(options.server, path, token);
  if (!answer) {
    std::cerr << "nkd " << action << ": " << answer.error().message << "\n";
    return 1;
  }
  std::cout << answer->value("status", "done") << "\n";
  return 0;
}

void add_action(CLI::App& app, const std::string& action, const std::string& description) {
  auto options = std::make_shared<OperatorOptions>();
  auto* command = app.add_subcommand(action, description);
  command->add_option("CLUSTER", options->cluster, "Cluster name")->required();
  command->add_option("--server", options->server.url, "URL of a running nkd syncd")
      ->capture_default_str();
  command->add_option("--ca-file", options->server.ca_file, kCaFileHelp);
  command->add_option("--token-file", options->token_file,
                      "File holding the operator token (the daemon's api.operatorTokenFile)")
      ->envname("NKD_OPERATOR_TOKEN_FILE");
  if (action == "suspend") {
    command->add_option("--reason", options->reason,
                        "Why, recorded in the history and shown by nkd status (at most 512 bytes)");
  }
  command->callback([action, options] { set_exit_code(run_action(action, *options)); });
}

}  // namespace

void add_operator_commands(CLI::App& app) {
  add_action(app, "suspend",
             "Stop reconciling CLUSTER (new commits are still validated and recorded as "
             "pending) until nkd resume.\nExit 1 when the daemon refuses or cannot be reached.");
  add_action(app, "resume",
             "Lift a suspension and apply CLUSTER's newest accepted render now.\n"
             "Exit 1 when the daemon refuses or cannot be reached.");
  add_action(app, "sync",
             "Fetch Git and reconcile CLUSTER now instead of at the next resync.\n"
             "Exit 1 when the daemon refuses (a suspended cluster) or cannot be reached.");
}

}  // namespace nkd::cli
