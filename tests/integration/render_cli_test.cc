// `nkd render` as users run it on examples-repo: every config passes the real ignition-validate,
// renders repeat byte for byte with the same state file, a replica change touches only its
// cluster and nodes, and no private key reaches a worker or the pki/ output.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "tests/support/test_support.h"

namespace nkd {
namespace {

namespace fs = std::filesystem;
using testing::nkd_binary;
using testing::read_file;
using testing::run_command;
using testing::run_shell;
using testing::ScratchDir;

std::map<std::string, std::string> tree_contents(const fs::path& root) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) files[fs::relative(entry.path(), root).string()] = read_file(entry.path());
  }
  return files;
}

class RenderCli : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_ = scratch_.path() / "repo";
    testing::make_example_git_repo(repo_);
  }
  testing::CommandResult render(const fs::path& out) {
    return run_command({nkd_binary(), "render", "--repo", repo_.string(), "--out", out.string(),
                        "--state", (scratch_.path() / "state.db").string()});
  }
  ScratchDir scratch_;
  fs::path repo_;
};

TEST_F(RenderCli, EveryConfigPassesIgnitionValidateWithoutWarnings) {
  const fs::path out = scratch_.path() / "out";
  const auto result = render(out);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  int configs = 0;
  for (const auto& entry : fs::recursive_directory_iterator(out)) {
    if (entry.path().extension() != ".ign") continue;
    ++configs;
    const auto validated = run_command({"ignition-validate", entry.path().string()});
    EXPECT_EQ(validated.exit_code, 0) << entry.path() << validated.err;
    EXPECT_EQ(validated.out + validated.err, "") << entry.path();
  }
  // 3 + 3 OpenStack nodes (the first with a pointer config: calico's bring-up manifests make it
  // larger than user_data allows), 1 + 2 bare-metal nodes.
  EXPECT_EQ(configs, 10);
  for (const char* cluster : {"prod-east", "edge-lab"}) {
    EXPECT_TRUE(fs::exists(out / cluster / "digest"));
    EXPECT_TRUE(fs::exists(out / cluster / "pki/ca.crt"));
    EXPECT_TRUE(fs::exists(out / cluster / "housekeeper/05-controller-daemonset.yaml"));
  }
}

TEST_F(RenderCli, RendersRepeatByteForByteWithTheSameState) {
  ASSERT_EQ(render(scratch_.path() / "first").exit_code, 0);
  ASSERT_EQ(render(scratch_.path() / "second").exit_code, 0);
  EXPECT_EQ(tree_contents(scratch_.path() / "first"), tree_contents(scratch_.path() / "second"));
}

TEST_F(RenderCli, ReplicaChangeTouchesOnlyThatClusterAndItsNewNode) {
  const fs::path before = scratch_.path() / "before";
  ASSERT_EQ(render(before).exit_code, 0);
  ASSERT_EQ(run_shell("sed -i '0,/replicas: 3/! s/replicas: 3/replicas: 4/' clusters/prod-east/cluster.yaml && "
                      "git -c user.name=a -c user.email=a@b commit -qam 'four workers'", repo_.string()).exit_code, 0);
  const fs::path after = scratch_.path() / "after";
  ASSERT_EQ(render(after).exit_code, 0);
  const auto old_files = tree_contents(before);
  const auto new_files = tree_contents(after);
  std::vector<std::string> changed;
  for (const auto& [path, contents] : new_files) {
    auto found = old_files.find(path);
    if (found == old_files.end() || found->second != contents) changed.push_back(path);
  }
  EXPECT_EQ(changed, (std::vector<std::string>{"prod-east/digest", "prod-east/nodes/prod-east-workers-3.ign"}));
  EXPECT_EQ(old_files.size() + 1, new_files.size());
}

TEST_F(RenderCli, NoPrivateKeyInWorkerConfigsOrPkiOutput) {
  const fs::path out = scratch_.path() / "out";
  ASSERT_EQ(render(out).exit_code, 0);
  for (const auto& entry : fs::recursive_directory_iterator(out)) {
    const std::string name = entry.path().filename().string();
    const bool worker = name.find("worker") != std::string::npos && entry.path().extension() == ".ign";
    const bool pki = entry.path().parent_path().filename() == "pki";
    if (!worker && !pki) continue;
    // Configs carry files as base64 data URLs: decode every one before looking.
    const auto decoded = run_shell("{ grep -o 'base64,[A-Za-z0-9+/=]*' '" + entry.path().string() +
                                   "' || true; } | cut -d, -f2 | while read -r b; do echo \"$b\" | base64 -d; done; cat '" +
                                   entry.path().string() + "'");
    ASSERT_EQ(decoded.exit_code, 0);
    EXPECT_EQ(decoded.out.find("PRIVATE KEY"), std::string::npos) << entry.path();
  }
}

TEST_F(RenderCli, SingleClusterAndInvalidDefinitions) {
  const fs::path out = scratch_.path() / "out";
  const auto one = run_command({nkd_binary(), "render", "--repo", repo_.string(), "--cluster", "edge-lab",
                                "--out", out.string(), "--state", (scratch_.path() / "s.db").string()});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_TRUE(fs::exists(out / "edge-lab/digest"));
  EXPECT_FALSE(fs::exists(out / "prod-east"));
  EXPECT_EQ(run_command({nkd_binary(), "render", "--repo", repo_.string(), "--cluster", "nope", "--out",
                         out.string(), "--state", (scratch_.path() / "s.db").string()}).exit_code, 2);
  ASSERT_EQ(run_shell("sed -i 's/v1.29.1/v1.29/' clusters/edge-lab/cluster.yaml && "
                      "git -c user.name=a -c user.email=a@b commit -qam broken", repo_.string()).exit_code, 0);
  const auto broken = run_command({nkd_binary(), "render", "--repo", repo_.string(), "--out",
                                   (scratch_.path() / "o2").string(), "--state", (scratch_.path() / "s.db").string()});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.err.find("clusters/edge-lab/cluster.yaml:"), std::string::npos);
  EXPECT_FALSE(fs::exists(scratch_.path() / "o2"));
}

TEST_F(RenderCli, DefaultStateLivesOutsideTheWorkTreeAndANamedOneInsideIsWarnedAbout) {
  const fs::path home = scratch_.path() / "home";
  fs::create_directories(home);
  const fs::path out = scratch_.path() / "out";
  // Run from inside the definitions' work tree, as users do.
  const auto by_default = run_command({"env", "-u", "XDG_STATE_HOME", "HOME=" + home.string(),
                                       nkd_binary(), "render", "--repo", ".", "--out", out.string()},
                                      repo_.string());
  ASSERT_EQ(by_default.exit_code, 0) << by_default.err;
  EXPECT_TRUE(fs::exists(home / ".local/state/nkd/render-state.db"));
  EXPECT_EQ(by_default.err.find("warning"), std::string::npos) << by_default.err;
  EXPECT_EQ(run_shell("git status --porcelain --ignored", repo_.string()).out, "")
      << "nothing lands in the work tree";

  const auto xdg = run_command({"env", "XDG_STATE_HOME=" + (scratch_.path() / "xdg").string(),
                                nkd_binary(), "render", "--repo", ".", "--out", out.string()},
                               repo_.string());
  ASSERT_EQ(xdg.exit_code, 0) << xdg.err;
  EXPECT_TRUE(fs::exists(scratch_.path() / "xdg/nkd/render-state.db"));

  const auto inside = run_command({nkd_binary(), "render", "--repo", ".", "--out", out.string(),
                                   "--state", "keys/state.db"},
                                  repo_.string());
  ASSERT_EQ(inside.exit_code, 0) << inside.err;
  EXPECT_NE(inside.err.find("nkd render: warning: the state file keys/state.db is inside the Git "
                            "work tree " + repo_.string()),
            std::string::npos)
      << inside.err;
}

}  // namespace
}  // namespace nkd
