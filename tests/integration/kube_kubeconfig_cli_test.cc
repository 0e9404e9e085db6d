// `nkd kubeconfig`: the printed kubeconfig carries the cluster CA and the admin certificate from
// the state file, and the certificate verifies against the CA (checked with openssl itself).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "common/crypto.h"
#include "tests/support/test_support.h"

namespace nkd {
namespace {

using testing::ScratchDir;

class KubeconfigCli : public ::testing::Test {
 protected:
  KubeconfigCli() {
    testing::make_example_git_repo(repo_.path());
    const auto rendered = testing::run_command({testing::nkd_binary(), "render", "--repo",
                                                repo_.str(), "--out", work_.str() + "/out",
                                                "--state", state()});
    EXPECT_EQ(rendered.exit_code, 0) << rendered.err;
  }
  std::string state() const { return work_.str() + "/state.db"; }

  ScratchDir repo_;
  ScratchDir work_;
};

TEST_F(KubeconfigCli, PrintsAKubeconfigWhoseCertificateVerifiesAgainstItsCa) {
  const auto result = testing::run_command(
      {testing::nkd_binary(), "kubeconfig", "edge-lab", "--state", state(), "--repo", repo_.str()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const YAML::Node config = YAML::Load(result.out);
  EXPECT_EQ(config["kind"].as<std::string>(), "Config");
  const YAML::Node cluster = config["clusters"][0];
  EXPECT_EQ(cluster["name"].as<std::string>(), "edge-lab");
  EXPECT_EQ(cluster["cluster"]["server"].as<std::string>(), "https://10.0.0.11:6443");
  const YAML::Node user = config["users"][0]["user"];
  const std::string ca = base64_decode(cluster["cluster"]["certificate-authority-data"].as<std::string>());
  const std::string cert = base64_decode(user["client-certificate-data"].as<std::string>());
  const std::string key = base64_decode(user["client-key-data"].as<std::string>());
  ASSERT_NE(ca.find("BEGIN CERTIFICATE"), std::string::npos);
  ASSERT_NE(key.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(config["current-context"].as<std::string>(),
            config["contexts"][0]["name"].as<std::string>());

  testing::write_file(work_.path() / "ca.crt", ca);
  testing::write_file(work_.path() / "admin.crt", cert);
  testing::write_file(work_.path() / "admin.key", key);
  const auto verified = testing::run_command(
      {"openssl", "verify", "-CAfile", work_.str() + "/ca.crt", work_.str() + "/admin.crt"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  const auto subject = testing::run_command(
      {"openssl", "x509", "-noout", "-subject", "-in", work_.str() + "/admin.crt"});
  EXPECT_NE(subject.out.find("system:masters"), std::string::npos) << subject.out;
  // The key belongs to the certificate.
  const auto cert_key = testing::run_command(
      {"openssl", "x509", "-noout", "-pubkey", "-in", work_.str() + "/admin.crt"});
  const auto key_public =
      testing::run_command({"openssl", "pkey", "-pubout", "-in", work_.str() + "/admin.key"});
  EXPECT_EQ(cert_key.out, key_public.out);
  EXPECT_FALSE(cert_key.out.empty());
}

TEST_F(KubeconfigCli, ServerFlagOverridesTheEndpointWithoutARepository) {
  const auto result = testing::run_command({testing::nkd_binary(), "kubeconfig", "prod-east",
                                            "--state", state(), "--server",
                                            "https://127.0.0.1:16443", "--repo", "/nonexistent"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(YAML::Load(result.out)["clusters"][0]["cluster"]["server"].as<std::string>(),
            "https://127.0.0.1:16443");
}

TEST_F(KubeconfigCli, UnknownClusterFailsWithoutPrintingAnything) {
  const auto result = testing::run_command(
      {testing::nkd_binary(), "kubeconfig", "nowhere", "--state", state(), "--server", "https://x"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(result.out.empty());
  EXPECT_NE(result.err.find("no PKI for cluster nowhere"), std::string::npos) << result.err;
}

TEST_F(KubeconfigCli, MissingStateFileIsNotCreated) {
  const std::string missing = work_.str() + "/absent.db";
  const auto result = testing::run_command(
      {testing::nkd_binary(), "kubeconfig", "edge-lab", "--state", missing, "--server", "https://x"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(missing));
}

TEST_F(KubeconfigCli, WithoutStateItGuessesNothing) {
  // A state file left by `nkd render` in the current directory must not be picked up: its PKI is
  // not the one the cluster was built with.
  const auto result = testing::run_command(
      {testing::nkd_binary(), "kubeconfig", "edge-lab", "--server", "https://x"}, work_.str());
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_TRUE(result.out.empty());
  EXPECT_NE(result.err.find("--state is required"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace nkd
