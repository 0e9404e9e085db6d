// nkd syncd: runs the daemon until SIGTERM/SIGINT (clean stop) and reloads on SIGHUP.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "common/logging.h"
#include "syncd/daemon.h"

#ifndef NKD_VERSION
#define NKD_VERSION "0.0.0"
#endif

namespace nkd::cli {

namespace {

struct SyncdOptions {
  std::string config = "/etc/nkd/syncd.yaml";
  std::string log_level = "info";
  std::string log_format = "auto";
};

int run_syncd(const SyncdOptions& options) {
  const LogFormat format = options.log_format == "json"   ? LogFormat::kJson
                           : options.log_format == "text" ? LogFormat::kText
                                                          : LogFormat::kAuto;
  if (!setup_logging(options.log_level, format)) {
    std::cerr << "nkd syncd: unknown --log-level " << options.log_level << "\n";
    return 2;
  }
  auto config = syncd::load_daemon_config(options.config);
  if (!config) {
    std::cerr << "nkd syncd: " << config.error().message << "\n";
    return 1;
  }
  // Signals are taken synchronously by this thread; every thread started later inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto daemon = syncd::Daemon::create(*config, NKD_VERSION);
  if (!daemon) {
    spdlog::error("{}", daemon.error().message);
    return 1;
  }
  if (auto status = (*daemon)->start(); !status) {
    spdlog::error("{}", status.error().message);
    return 1;
  }
  while (true) {
    int received = 0;
    if (sigwait(&signals, &received) != 0) continue;
    if (received == SIGHUP) {
      auto reloaded = syncd::load_daemon_config(options.config);
      if (!reloaded) {
        spdlog::error("reload refused, keeping the running config: {}", reloaded.error().message);
        continue;
      }
      (*daemon)->reload(*reloaded);
      continue;
    }
    spdlog::info("received {}, stopping", received == SIGTERM ? "SIGTERM" : "SIGINT");
    break;
  }
  (*daemon)->stop();
  return 0;
}

}  // namespace

void add_syncd_command(CLI::App& app) {
  auto options = std::make_shared<SyncdOptions>();
  auto* command = app.add_subcommand(
      "syncd",
      "Run the GitOps daemon: watch the repository, validate and render each new commit, "
      "reconcile every cluster, serve the API, webhooks, metrics and Ignition configs.\n"
      "SIGTERM or SIGINT stops it cleanly (exit 0); SIGHUP reloads the config.");
  command->add_option("--config", options->config, "Daemon config file (DESIGN.md §4)")
      ->capture_default_str();
  command->add_option("--log-level", options->log_level, "trace, debug, info, warn or error")
      ->capture_default_str();
  command->add_option("--log-format", options->log_format,
                      "json (one object per line), text, or auto: text on a terminal, else json")
      ->check(CLI::IsMember({"auto", "json", "text"}))
      ->capture_default_str();
  command->callback([options] { set_exit_code(run_syncd(*options)); });
}

}  // namespace nkd::cli
