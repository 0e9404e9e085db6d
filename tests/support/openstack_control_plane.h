// The real OpenStack control plane the provider's contract tests run against (tests/openstack/:
// install.sh once per machine, outside the network namespace; start.sh and stop.sh inside it).
//
// The cloud is meant to be started once (tests/openstack/start.sh) before ctest and stopped
// after, so the many test processes ctest runs share one cloud. A test that finds no cloud
// answering skips, saying how to start it; with NKD_REQUIRE_OPENSTACK=1 it starts an installed
// cloud itself (stopped again when the process exits) or fails when none is installed.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace nkd::testing {

class OpenStackControlPlane {
 public:
  static constexpr const char* kDemoCloud = "nkd-demo";    // project demo, no quota
  static constexpr const char* kQuotaCloud = "nkd-quota";  // project nkd-quota, 2 instances
  static constexpr const char* kAdminCloud = "nkd-admin";
  static constexpr int kQuotaInstances = 2;

  static OpenStackControlPlane& instance();

  // "" when the cloud answers (started now if needed), else why it cannot.
  std::string ensure_running();
  [[nodiscard]] static bool required();  // NKD_REQUIRE_OPENSTACK=1
  [[nodiscard]] static std::string fixture_dir();
  [[nodiscard]] static std::string clouds_yaml();

  // Independent of nkd's client: the IDs of the servers whose name starts with `prefix`, as
  // Nova's API lists them for `cloud` (a plain REST call; a failure is a test failure).
  [[nodiscard]] static std::vector<std::string> server_ids(const std::string& cloud,
                                                           const std::string& prefix);
  // Deletes every server whose name starts with `prefix` and waits until Nova lists none.
  static void delete_servers(const std::string& cloud, const std::string& prefix);
  // Independent of nkd's client as server_ids is: Neutron's `collection` ("ports",
  // "floatingips") as `cloud` lists it, with the URL query `query` (values encoded by the caller).
  [[nodiscard]] static std::vector<nlohmann::json> neutron_list(const std::string& cloud,
                                                                const std::string& collection,
                                                                const std::string& query = "");
  // POST, PUT or DELETE `path` ("/v2.0/ports") on Neutron; the answer's JSON, null on failure (a
  // test failure, except a DELETE answered 404).
  static nlohmann::json neutron_send(const std::string& cloud, const std::string& method,
                                     const std::string& path, const nlohmann::json& body = {});
  // The ports whose name starts with `prefix`.
  [[nodiscard]] static std::vector<nlohmann::json> ports(const std::string& cloud,
                                                         const std::string& prefix);
  // Deletes the ports whose name starts with `prefix` and the floating IPs whose description
  // names such a port or whose nkd.cluster tag starts with `prefix`.
  static void delete_network_leftovers(const std::string& cloud, const std::string& prefix);
  // Deletes test ports (named nkdt*) that an earlier, interrupted run left on `address`.
  static void free_address(const std::string& cloud, const std::string& address);
  // Runs the openstack client for `cloud` with `arguments`; returns stdout ("" on failure).
  static std::string openstack(const std::string& cloud, const std::vector<std::string>& arguments);

  ~OpenStackControlPlane();

 private:
  OpenStackControlPlane() = default;
  bool started_here_ = false;
};

}  // namespace nkd::testing

// In a test body: skip (or fail, when required) unless the cloud is up.
#define NKD_REQUIRE_OPENSTACK_CLOUD()                                                      \
  do {                                                                                     \
    const std::string nkd_why = ::nkd::testing::OpenStackControlPlane::instance().ensure_running(); \
    if (!nkd_why.empty()) {                                                                \
      if (::nkd::testing::OpenStackControlPlane::required()) FAIL() << nkd_why;            \
      GTEST_SKIP() << nkd_why;                                                             \
    }                                                                                      \
  } while (false)
