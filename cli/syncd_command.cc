// nkd syncd: runs the daemon until SIGTERM/SIGINT (clean stop) and reloads on SIGHUP.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#ifdef NKD_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "cli/commands.h"
#include "common/logging.h"
#include "syncd/daemon.h"

#include "build_commit.h"  // generated: NKD_COMMIT

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

// Tells systemd (Type=notify units) about readiness, reloads, stop and liveness. A no-op when
// nkd was built without libsystemd or runs outside a service (no NOTIFY_SOCKET).
void notify_service_manager(const char* state) {
#ifdef NKD_HAVE_SYSTEMD
  sd_notify(0, state);
#else
  (void)state;
#endif
}

// How often to send WATCHDOG=1: half the WatchdogSec= systemd set (WATCHDOG_USEC), or 0 when
// it set none.
std::int64_t watchdog_ping_interval_ms() {
#ifdef NKD_HAVE_SYSTEMD
  std::uint64_t watchdog_usec = 0;
  if (sd_watchdog_enabled(0, &watchdog_usec) > 0) {
    return std::max<std::int64_t>(1, static_cast<std::int64_t>(watchdog_usec / 2000));
  }
#endif
  return 0;
}

// Feeds systemd's watchdog only while the daemon's loops make progress, so a wedged daemon is
// restarted; says once in the log when it stops feeding and when it resumes.
class WatchdogFeeder {
 public:
  explicit WatchdogFeeder(const syncd::Daemon& daemon) : daemon_(daemon) {}

  void tick() {
    const std::vector<std::string> stalled = daemon_.stalled_loops();
    if (stalled.empty()) {
      if (starving_) spdlog::info("every loop progresses again; feeding the systemd watchdog");
      starving_ = false;
      notify_service_manager("WATCHDOG=1");
      return;
    }
    if (starving_) return;
    starving_ = true;
    std::string lines;
    for (const auto& line : stalled) lines += (lines.empty() ? "" : "; ") + line;
    spdlog::error("not feeding the systemd watchdog, so systemd restarts nkd: {} (stallTimeout)",
                  lines);
  }

 private:
  const syncd::Daemon& daemon_;
  bool starving_ = false;
};

// Waits for one of `signals`; with a watchdog, wakes every `ping_ms` to feed it and returns 0.
int wait_for_signal(const sigset_t& signals, std::int64_t ping_ms, WatchdogFeeder& watchdog) {
  if (ping_ms <= 0) {
    int received = 0;
    return sigwait(&signals, &received) == 0 ? received : 0;
  }
  const timespec timeout{.tv_sec = ping_ms / 1000, .tv_nsec = (ping_ms % 1000) * 1'000'000};
  const int received = sigtimedwait(&signals, nullptr, &timeout);
  if (received < 0 && errno == EAGAIN) watchdog.tick();
  return received < 0 ? 0 : received;
}

// Serves until SIGTERM or SIGINT; SIGHUP reloads the config file.
void serve_until_stopped(const sigset_t& signals, const SyncdOptions& options,
                         syncd::Daemon& daemon) {
  const std::int64_t ping_ms = watchdog_ping_interval_ms();
  WatchdogFeeder watchdog(daemon);
  while (true) {
    const int received = wait_for_signal(signals, ping_ms, watchdog);
    if (received == 0) continue;
    if (received == SIGHUP) {
      notify_service_manager("RELOADING=1");
      auto reloaded = syncd::load_daemon_config(options.config);
      if (reloaded) {
        daemon.reload(*reloaded);
      } else {
        spdlog::error("reload refused, keeping the running config: {}", reloaded.error().message);
      }
      notify_service_manager("READY=1");
      continue;
    }
    spdlog::info("received {}, stopping", received == SIGTERM ? "SIGTERM" : "SIGINT");
    return;
  }
}

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
  // Everything the daemon writes (database, PKI, the listener's key, the Git mirror, which
  // libgit2 creates with the process umask) is for its own user only, as under systemd's
  // UMask=0077, also when an operator starts it by hand with a permissive umask.
  ::umask(0077);

  auto daemon = syncd::Daemon::create(*config, NKD_VERSION, NKD_COMMIT);
  if (!daemon) {
    spdlog::error("{}", daemon.error().message);
    return 1;
  }
  if (auto status = (*daemon)->start(); !status) {
    spdlog::error("{}", status.error().message);
    return 1;
  }
  notify_service_manager("READY=1");
  serve_until_stopped(signals, options, **daemon);
  notify_service_manager("STOPPING=1");
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
