// Every Ignition config the renderer produces passes the real
// `ignition-validate` (Debian's `ignition` package) with exit status 0 and no
// output at all: warnings count as failures. Covers an OpenStack cluster
// (containerd, then CRI-O), a bare-metal cluster (isulad, fixed addresses) with
// placeholder and with real PKI, and pointer configs of an oversized cluster.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "render/pki/listener_pki.h"
#include "render/render.h"
#include "tests/support/render_fixtures.h"
#include "tests/support/test_support.h"

namespace nkd {
namespace {

constexpr const char* kValidator = "/usr/bin/ignition-validate";

// Writes every .ign artifact of `rendered` under `dir` and validates each;
// returns how many.
int validate_all(const render::ClusterRender& rendered, const std::filesystem::path& dir) {
  int validated = 0;
  for (const auto& artifact : rendered.artifacts) {
    if (!artifact.path.ends_with(".ign")) continue;
    const auto path = dir / rendered.cluster / artifact.path;
    std::filesystem::create_directories(path.parent_path());
    testing::write_file(path, artifact.content);
    const auto result = testing::run_command({kValidator, path.string()});
    EXPECT_EQ(result.exit_code, 0) << artifact.path << "\n" << result.out << result.err;
    EXPECT_EQ(result.out + result.err, "") << artifact.path;
    ++validated;
  }
  return validated;
}

class IgnitionValidate : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kValidator)) {
      GTEST_SKIP() << kValidator << " is not installed (Debian package `ignition`)";
    }
  }
  testing::ScratchDir scratch_;
};

TEST_F(IgnitionValidate, OpenStackClusterConfigsHaveNoErrorsOrWarnings) {
  const auto cluster = testing::openstack_cluster();
  const auto rendered = render::render_cluster(cluster, testing::placeholder_pki(cluster), {});
  EXPECT_EQ(validate_all(rendered, scratch_.path()), 6 + 1);  // + the first node's pointer
}

TEST_F(IgnitionValidate, CrioClusterConfigsHaveNoErrorsOrWarnings) {
  auto cluster = testing::openstack_cluster("crio-cluster");
  cluster.kubernetes.container_runtime = model::ContainerRuntime::kCrio;
  const auto rendered = render::render_cluster(cluster, testing::placeholder_pki(cluster), {});
  EXPECT_EQ(validate_all(rendered, scratch_.path()), 6 + 1);  // + the first node's pointer
}

TEST_F(IgnitionValidate, BareMetalClusterConfigsHaveNoErrorsOrWarnings) {
  const auto cluster = testing::bare_metal_cluster();
  const auto rendered = render::render_cluster(cluster, testing::placeholder_pki(cluster), {});
  EXPECT_EQ(validate_all(rendered, scratch_.path()), 3 + 1);  // + the first node's pointer
}

TEST_F(IgnitionValidate, ConfigsWithARealClusterPkiHaveNoErrorsOrWarnings) {
  const auto cluster = testing::bare_metal_cluster("real-pki");
  const auto pki = pki::ensure_pki(cluster, std::nullopt, 1'700'000'000);
  ASSERT_TRUE(pki.ok()) << pki.error().message;
  const auto rendered = render::render_cluster(cluster, *pki, {});
  EXPECT_EQ(validate_all(rendered, scratch_.path()), 3 + 1);  // + the first node's pointer
}

TEST_F(IgnitionValidate, PointerConfigsHaveNoErrorsOrWarnings) {
  auto cluster = testing::openstack_cluster("big");
  cluster.ignition.files.push_back(model::ExtraFile{.path = "/opt/blob",
                                                    .mode = 0644,
                                                    .source = "files/blob",
                                                    .contents = std::string(60000, 'q')});
  const auto rendered = render::render_cluster(cluster, testing::placeholder_pki(cluster), {});
  int pointers = 0;
  for (const auto& node : rendered.nodes) pointers += node.needs_pointer ? 1 : 0;
  EXPECT_EQ(pointers, 6);
  // Six full configs and six pointers.
  EXPECT_EQ(validate_all(rendered, scratch_.path()), 12);
}

TEST_F(IgnitionValidate, PointerConfigsThatPinTheListenerCaHaveNoErrorsOrWarnings) {
  auto cluster = testing::openstack_cluster("pinned");
  cluster.ignition.files.push_back(model::ExtraFile{.path = "/opt/blob",
                                                    .mode = 0644,
                                                    .source = "files/blob",
                                                    .contents = std::string(60000, 'q')});
  const auto listener = pki::ensure_listener_pki(std::nullopt, {"nkd.lab.example"}, 1'700'000'000);
  ASSERT_TRUE(listener.ok()) << listener.error().message;
  const auto rendered = render::render_cluster(cluster, testing::placeholder_pki(cluster),
                                               {.ignition_base_url = "https://nkd.lab.example:9480",
                                                .ignition_ca_pem = listener->ca.cert_pem});
  for (const auto& node : rendered.nodes) {
    ASSERT_TRUE(node.needs_pointer) << node.node.name;
    const auto pointer = nlohmann::json::parse(node.pointer_ignition);
    EXPECT_EQ(pointer["ignition"]["security"]["tls"]["certificateAuthorities"].size(), 1u);
    EXPECT_TRUE(
        std::string(pointer["ignition"]["config"]["replace"]["source"]).starts_with("https://"));
  }
  EXPECT_EQ(validate_all(rendered, scratch_.path()), 12);
}

// Guards the check above: the validator does report warnings on stdout/stderr
// while exiting 0, so "no output" is what tells a clean config from one with
// warnings.
TEST_F(IgnitionValidate, ValidatorReportsWarningsThatTheChecksWouldCatch) {
  const auto path = scratch_.path() / "warning.ign";
  testing::write_file(path,
                      R"({"ignition":{"version":"3.3.0"},"systemd":{"units":[{"name":"a.service",)"
                      R"("enabled":true,"contents":"[Service]\nExecStart=/bin/true\n"}]}})");
  const auto result = testing::run_command({kValidator, path.string()});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE((result.out + result.err).find("warning"), std::string::npos);
}

}  // namespace
}  // namespace nkd
