#include "tests/support/openstack_control_plane.h"

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "tests/support/test_support.h"

namespace nkd::testing {
namespace {

std::string state_dir() {
  const char* given = std::getenv("NKD_OS_STATE");
  return given != nullptr && *given != '\0' ? given : "/var/tmp/nkd-test-openstack";
}

bool keystone_answers() {
  CommandResult probe = run_command({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                     "--max-time", "3", "http://127.0.0.1:5000/v3"},
                                    "", "", std::chrono::seconds(10));
  return probe.exit_code == 0 && probe.out == "200";
}

}  // namespace

OpenStackControlPlane& OpenStackControlPlane::instance() {
  static OpenStackControlPlane plane;
  return plane;
}

bool OpenStackControlPlane::required() {
  const char* flag = std::getenv("NKD_REQUIRE_OPENSTACK");
  return flag != nullptr && std::string(flag) == "1";
}

std::string OpenStackControlPlane::fixture_dir() { return source_dir() + "/tests/openstack"; }
std::string OpenStackControlPlane::clouds_yaml() { return fixture_dir() + "/clouds.yaml"; }

std::string OpenStackControlPlane::ensure_running() {
  if (keystone_answers()) return "";
  if (!std::filesystem::exists(state_dir() + "/etc/nova/nova-compute.conf")) {
    return "the OpenStack test cloud is not installed: run tests/openstack/install.sh as root";
  }
  // ctest runs every test case as its own process: starting the cloud here (about 100 s) is
  // only worth it when asked for; otherwise it is started once with tests/openstack/start.sh.
  if (!required()) {
    return "the OpenStack test cloud is not running: start it with tests/openstack/start.sh "
           "(or set NKD_REQUIRE_OPENSTACK=1)";
  }
  CommandResult started = run_command({"bash", fixture_dir() + "/start.sh"}, "", "",
                                      std::chrono::seconds(400));
  started_here_ = true;
  if (started.exit_code != 0) {
    return "tests/openstack/start.sh failed (exit " + std::to_string(started.exit_code) +
           "): " + started.err.substr(started.err.size() > 2000 ? started.err.size() - 2000 : 0);
  }
  return "";
}

OpenStackControlPlane::~OpenStackControlPlane() {
  if (started_here_) run_command({"bash", fixture_dir() + "/stop.sh"}, "", "", std::chrono::seconds(120));
}

std::string OpenStackControlPlane::openstack(const std::string& cloud,
                                             const std::vector<std::string>& arguments) {
  std::vector<std::string> argv{"env", "OS_CLIENT_CONFIG_FILE=" + clouds_yaml(),
                                "/usr/bin/openstack", "--os-cloud", cloud};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  CommandResult result = run_command(argv, "", "", std::chrono::seconds(180));
  return result.exit_code == 0 ? result.out : "";
}

std::vector<std::string> OpenStackControlPlane::server_ids(const std::string& cloud,
                                                           const std::string& prefix) {
  std::istringstream lines(openstack(cloud, {"server", "list", "--name", "^" + prefix, "-f",
                                             "value", "-c", "ID", "-c", "Name"}));
  std::vector<std::string> ids;
  std::string id, name;
  while (lines >> id >> name) {
    if (name.starts_with(prefix)) ids.push_back(id);
  }
  return ids;
}

void OpenStackControlPlane::delete_servers(const std::string& cloud, const std::string& prefix) {
  std::vector<std::string> ids = server_ids(cloud, prefix);
  if (ids.empty()) return;
  std::vector<std::string> arguments{"server", "delete", "--wait"};
  arguments.insert(arguments.end(), ids.begin(), ids.end());
  openstack(cloud, arguments);
}

}  // namespace nkd::testing
