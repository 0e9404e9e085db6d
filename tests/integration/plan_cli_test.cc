// `nkd plan` as a pull-request check runs it: the real binary over a series of commits (scale up,
// scale down, version bump, new extra file, new cluster, removed cluster, a virtual IP with a
// floating IP on an OpenStack cluster, invalid head), every
// output form compared with tests/data/plan/golden/, exit codes, secrets kept out of every form,
// and --server planning against what a running daemon reports.
//
// The cluster PKI is made per run, so the comparison first replaces what it makes random:
// 64-hex digests, "<redacted sha256:...>" placeholders and long base64 runs. Commit ids are
// fixed by fixed author, committer and dates. Regenerate after an intended change with:
//   NKD_UPDATE_GOLDEN=1 ./build/tests/integration_tests --gtest_filter='PlanCli*'   (then review `git diff`)
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "render/pki/cluster_pki.h"
#include "tests/support/syncd_fixture.h"
#include "tests/support/test_support.h"

namespace nkd {
namespace {

namespace fs = std::filesystem;
using testing::nkd_binary;
using testing::run_command;
using testing::run_shell;
using testing::ScratchDir;
using testing::source_dir;

constexpr const char* kFixedGit =
    "GIT_AUTHOR_NAME=Ops GIT_AUTHOR_EMAIL=ops@example.org GIT_COMMITTER_NAME=Ops "
    "GIT_COMMITTER_EMAIL=ops@example.org GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' "
    "GIT_COMMITTER_DATE='2026-01-01T00:00:00Z' ";

struct Scenario {
  std::string name;
  std::string change;  // shell run in the repository before the commit
};

const std::vector<Scenario>& scenarios() {
  static const std::vector<Scenario> all = {
      {"scale-up", "sed -i 's/{name: workers, role: worker, replicas: 2}/{name: workers, role: worker, "
                   "replicas: 3}/' clusters/beta/cluster.yaml"},
      {"scale-down", "sed -i 's/replicas: 3}/replicas: 1}/' clusters/beta/cluster.yaml"},
      {"version-bump", "sed -i 's/version: v1.29.1/version: v1.30.2/' clusters/beta/cluster.yaml"},
      {"extra-file", "printf 'Welcome\\n' > clusters/beta/files/issue && sed -i 's|files: \\[{path: "
                     "/etc/motd, mode: 0644, source: files/motd}\\]|files: [{path: /etc/motd, mode: "
                     "0644, source: files/motd}, {path: /etc/issue, mode: 0644, source: files/issue}]|' "
                     "clusters/beta/cluster.yaml"},
      {"new-cluster", "cp -r clusters/beta clusters/gamma && sed -i 's/name: beta/name: gamma/; "
                      "s/api.beta.example.org/api.gamma.example.org/' clusters/gamma/cluster.yaml"},
      {"removed-cluster", "git rm -rq clusters/alpha"},
      {"virtual-ip", "sed -i 's|controlPlaneEndpoint: \"api.beta.example.org\"|&\\n    virtualIP: "
                     "{address: 10.0.0.5}|; s|securityGroups: \\[k8s\\]|&\\n      externalNetwork: "
                     "public|' clusters/beta/cluster.yaml"},
  };
  return all;
}

std::string normalize(std::string text) {
  text = std::regex_replace(text, std::regex("<redacted sha256:[0-9a-f]{12}>"), "<redacted>");
  text = std::regex_replace(text, std::regex("[0-9a-f]{64}"), "<sha256>");
  text = std::regex_replace(text, std::regex("[A-Za-z0-9+/=]{40,}"), "<base64>");
  return text;
}

// Every secret value in the state file: private keys, the bootstrap token, the fetch-token key
// and each node's fetch token.
std::vector<std::string> secrets_in(const fs::path& state, const std::vector<std::string>& nodes) {
  const auto dump = run_shell("sqlite3 " + state.string() + " 'SELECT json FROM pki'");
  std::vector<std::string> secrets = {"$6$plantest$S3cretHashThatMustNeverBePrinted", "PRIVATE KEY"};
  std::istringstream lines(dump.out);
  for (std::string line; std::getline(lines, line);) {
    auto pki = pki::pki_from_json(nlohmann::json::parse(line));
    if (!pki) continue;
    secrets.push_back(pki->bootstrap_token_secret.reveal());
    secrets.push_back(pki->node_token_key.reveal());
    secrets.push_back(pki->ca.key_pem.reveal().substr(40, 40));
    for (const auto& node : nodes) secrets.push_back(pki::node_fetch_token(*pki, node).reveal());
  }
  return secrets;
}

class PlanCli : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_ = scratch_.path() / "repo";
    fs::create_directories(repo_);
    fs::copy(source_dir() + "/tests/data/plan/base", repo_, fs::copy_options::recursive);
    ASSERT_EQ(run_shell(std::string("git init -q -b main . && git add -A && ") + kFixedGit +
                        "git commit -q -m base", repo_.string()).exit_code, 0);
  }

  std::string commit(const Scenario& scenario) {
    const auto result = run_shell(scenario.change + " && git add -A && " + kFixedGit +
                                  "git commit -q -m '" + scenario.name + "' && git rev-parse HEAD",
                                  repo_.string());
    EXPECT_EQ(result.exit_code, 0) << scenario.name << ": " << result.err;
    return result.out.substr(0, 40);
  }

  testing::CommandResult plan(const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {nkd_binary(), "plan", "--repo", repo_.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_command(argv);
  }

  ScratchDir scratch_;
  fs::path repo_;
};

TEST_F(PlanCli, EveryScenarioMatchesItsGoldenOutputsAndHidesSecrets) {
  const bool update = std::getenv("NKD_UPDATE_GOLDEN") != nullptr;
  const fs::path golden = fs::path(source_dir()) / "tests/data/plan/golden";
  const fs::path state = scratch_.path() / "state.db";
  ASSERT_EQ(run_command({nkd_binary(), "render", "--repo", repo_.string(), "--out",
                         (scratch_.path() / "out").string(), "--state", state.string()}).exit_code, 0);
  const std::vector<std::string> nodes = {"alpha-cp-0", "alpha-worker-0", "beta-control-plane-0",
                                          "beta-workers-0", "beta-workers-1", "beta-workers-2"};
  const auto secrets = secrets_in(state, nodes);
  ASSERT_GE(secrets.size(), 10u);
  const std::string state_before = testing::read_file(state);
  for (const auto& scenario : scenarios()) {
    SCOPED_TRACE(scenario.name);
    commit(scenario);
    for (const auto& [format, extension] :
         std::vector<std::pair<std::string, std::string>>{{"text", "txt"}, {"markdown", "md"}, {"json", "json"}}) {
      const auto result = plan({"--base", "HEAD~1", "--head", "HEAD", "--format", format, "--state",
                                state.string(), "--detailed-exitcode"});
      EXPECT_EQ(result.exit_code, 3) << format << ": " << result.err;
      for (const auto& secret : secrets) {
        EXPECT_EQ(result.out.find(secret), std::string::npos) << format << " shows a secret";
      }
      const fs::path expected = golden / (scenario.name + "." + extension);
      if (update) testing::write_file(expected, normalize(result.out));
      EXPECT_EQ(normalize(result.out), testing::read_file(expected)) << format;
    }
  }
  EXPECT_EQ(testing::read_file(state), state_before) << "plan --state only reads the state file";
}

TEST_F(PlanCli, InvalidHeadExitsOneWithDiagnostics) {
  commit({"invalid-head", "sed -i 's/replicas: 2}/replcas: 2}/' clusters/beta/cluster.yaml"});
  const auto result = plan({"--base", "HEAD~1"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("clusters/beta/cluster.yaml:"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("did you mean 'replicas'?"), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.empty());
}

// The daemon rejects an invalid commit and keeps the last good one applied: a plan whose base is
// such a commit is made against that last good revision, not against nothing.
TEST_F(PlanCli, BaseTheDaemonRejectedIsPlannedFromItsLastValidRevision) {
  const std::string good = commit({"good", "echo notes > notes.txt"});
  commit({"typo", "sed -i 's/replicas: 2}/replcas: 2}/' clusters/beta/cluster.yaml"});
  commit({"fixed", "sed -i 's/replcas: 2}/replicas: 3}/' clusters/beta/cluster.yaml"});
  const auto result = plan({"--base", "HEAD~1", "--format", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json planned = nlohmann::json::parse(result.out);
  bool found = false;
  for (const auto& cluster : planned["clusters"]) {
    if (cluster["name"] != "beta") continue;
    found = true;
    int creates = 0;
    for (const auto& node : cluster["nodes"]) creates += node["action"] == "create" ? 1 : 0;
    EXPECT_EQ(creates, 1) << cluster.dump(2);  // one more worker, not every node anew
    EXPECT_NE(cluster.dump().find("planned against " + good.substr(0, 12)), std::string::npos)
        << cluster.dump(2);
  }
  EXPECT_TRUE(found) << result.out;
}

// kubeadm upgrades one minor at a time: a head two minors past the base is as invalid as a typo,
// in every output form.
TEST_F(PlanCli, HeadSkippingAMinorVersionExitsOneAtTheVersionLine) {
  commit({"skip-minor", "sed -i 's/version: v1.29.1/version: v1.31.0/' clusters/beta/cluster.yaml"});
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--base", "HEAD~1"},
        std::vector<std::string>{"--base", "HEAD~1", "--format", "json"}}) {
    const auto result = plan(extra);
    EXPECT_EQ(result.exit_code, 1) << result.out;
    EXPECT_NE(result.err.find("clusters/beta/cluster.yaml:18:14: error: spec.kubernetes.version "
                              "v1.31.0 skips v1.30 from the base v1.29.1"),
              std::string::npos)
        << result.err;
    EXPECT_NE(result.err.find("go to v1.30.x first"), std::string::npos) << result.err;
    EXPECT_TRUE(result.out.empty()) << result.out;
  }
}

TEST_F(PlanCli, HeadDowngradingAMinorVersionExitsOneButOneMinorUpPlans) {
  commit({"downgrade", "sed -i 's/version: v1.29.1/version: v1.28.9/' clusters/beta/cluster.yaml"});
  const auto downgrade = plan({"--base", "HEAD~1"});
  EXPECT_EQ(downgrade.exit_code, 1);
  EXPECT_NE(downgrade.err.find("clusters/beta/cluster.yaml:18:14: error: spec.kubernetes.version "
                               "v1.28.9 downgrades the base v1.29.1"),
            std::string::npos)
      << downgrade.err;
  ASSERT_EQ(run_shell("sed -i 's/version: v1.28.9/version: v1.30.0/' clusters/beta/cluster.yaml",
                      repo_.string()).exit_code, 0);
  const auto one_minor = plan({"--base", "HEAD~1", "--worktree"});
  EXPECT_EQ(one_minor.exit_code, 0) << one_minor.err;
  EXPECT_NE(one_minor.out.find("v1.30.0"), std::string::npos) << one_minor.out;
}

TEST_F(PlanCli, UsageErrorsExitTwoAndNoChangeExitsZero) {
  EXPECT_EQ(plan({}).exit_code, 2) << "--base is required";
  EXPECT_EQ(plan({"--base", "no-such-revision"}).exit_code, 2);
  EXPECT_EQ(plan({"--base", "HEAD", "--format", "yaml"}).exit_code, 2);
  const auto unchanged = plan({"--base", "HEAD", "--detailed-exitcode"});
  EXPECT_EQ(unchanged.exit_code, 0) << unchanged.err;
  EXPECT_NE(unchanged.out.find("unchanged (2): alpha beta"), std::string::npos) << unchanged.out;
  const auto help = run_command({nkd_binary(), "plan", "--help"});
  for (const char* flag : {"--base", "--head", "--format", "--server", "--state", "--detailed-exitcode"}) {
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
  }
}

TEST_F(PlanCli, WorktreePlansUncommittedFiles) {
  ASSERT_EQ(run_shell("sed -i 's/replicas: 2}/replicas: 4}/' clusters/beta/cluster.yaml", repo_.string()).exit_code, 0);
  const auto result = plan({"--base", "HEAD", "--worktree", "--format", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["head"], "worktree");
  EXPECT_EQ(json["clusters"][1]["nodes"].size(), 2u);
}

// examples-repo/ci/nkd-plan.yaml: its Validate and Plan steps, run as a runner would run them
// (bash, the step's env, nkd on PATH) in a clone with origin/main, write the Markdown plan.
TEST_F(PlanCli, ExampleWorkflowStepsValidateAndWriteTheMarkdownPlan) {
  const YAML::Node workflow = YAML::LoadFile(source_dir() + "/examples-repo/ci/nkd-plan.yaml");
  std::map<std::string, std::string> scripts;
  for (const auto& step : workflow["jobs"]["plan"]["steps"]) {
    if (step["run"]) scripts[step["name"].as<std::string>()] = step["run"].as<std::string>();
  }
  ASSERT_TRUE(scripts.contains("Validate") && scripts.contains("Plan"));
  ASSERT_NE(scripts["Comment the plan on the pull request"].find("/issues/${NUMBER}/comments"), std::string::npos);
  const fs::path clone = scratch_.path() / "clone";
  ASSERT_EQ(run_shell("git clone -q " + repo_.string() + " " + clone.string() + " && cd " + clone.string() +
                      " && git checkout -q -b change && sed -i 's/replicas: 2}/replicas: 3}/' "
                      "clusters/beta/cluster.yaml && git -c user.name=a -c user.email=a@b commit -qam more")
                .exit_code, 0);
  const std::string environment = "PATH=" + fs::path(nkd_binary()).parent_path().string() +
                                  ":$PATH BASE_REF=main GITHUB_STEP_SUMMARY=summary.md ";
  for (const char* step : {"Validate", "Plan"}) {
    testing::write_file(clone / "step.sh", scripts[step]);
    const auto result = run_shell(environment + "bash -e step.sh", clone.string());
    ASSERT_EQ(result.exit_code, 0) << step << ": " << result.err;
  }
  const std::string plan = testing::read_file(clone / "plan.md");
  EXPECT_TRUE(plan.starts_with("### nkd plan:")) << plan;
  EXPECT_NE(plan.find("| beta | changed | 1 | 0 | 0 |"), std::string::npos) << plan;
  EXPECT_EQ(testing::read_file(clone / "summary.md"), plan);
}

// A daemon that has applied the base: a commit it has not seen yet plans against its nodes, and
// --server shows a node it lacks even when --base and --head are the same commit.
TEST(PlanCliServer, PlansAgainstTheNodesARunningDaemonReports) {
  testing::SyncdFixture fixture;
  fixture.start_daemon("1h");  // no poll during the test: the daemon keeps the first commit
  const std::string applied = fixture.head();
  ASSERT_TRUE(fixture.wait_applied("edge-lab", applied, std::chrono::seconds(60))) << fixture.log();
  fixture.commit("sed -i 's/^\\(        - {name: edge-lab-worker-1.*\\)$/\\1\\n        - {name: "
                 "edge-lab-worker-9, pool: workers, mac: \"52:54:00:00:00:09\", ip: 10.0.0.29}/; "
                 "0,/replicas: 2/s//replicas: 3/' clusters/edge-lab/cluster.yaml",
                 "add a worker to edge-lab");
  const std::string work = (fixture.dir() / "work").string();
  const auto result = run_command({nkd_binary(), "plan", "--repo", work, "--base", "HEAD", "--head",
                                   "HEAD", "--server", fixture.url(), "--format", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  bool planned_create = false;
  for (const auto& cluster : json["clusters"]) {
    if (cluster["name"] != "edge-lab") continue;
    ASSERT_EQ(cluster["nodes"].size(), 1u) << cluster.dump(2);
    EXPECT_EQ(cluster["nodes"][0]["action"], "create");
    planned_create = cluster["nodes"][0]["name"] == "edge-lab-worker-9";
  }
  EXPECT_TRUE(planned_create) << result.out;
  const auto without_server = run_command(
      {nkd_binary(), "plan", "--repo", work, "--base", "HEAD", "--head", "HEAD", "--detailed-exitcode"});
  EXPECT_EQ(without_server.exit_code, 0) << without_server.out;
}

}  // namespace
}  // namespace nkd
