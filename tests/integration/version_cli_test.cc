// `nkd version`: the commit nkd was built from, so that a bug report or an alert names the exact
// source; the same commit labels nkd_build_info (tests/unit/process_collector_test.cc).
#include <gtest/gtest.h>

#include <regex>

#include "tests/support/test_support.h"

namespace nkd {
namespace {

using testing::nkd_binary;
using testing::run_command;
using testing::run_shell;
using testing::source_dir;

TEST(VersionCli, NamesTheCommitOfTheSourceTree) {
  const auto result = run_command({nkd_binary(), "version"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::smatch found;
  ASSERT_TRUE(std::regex_search(result.out, found,
                                std::regex(R"(^nkd \S+ \(commit ([0-9a-f]{12})(-dirty)?\)\n)")))
      << result.out;
  // The binary may have been built at an earlier commit than the checkout's HEAD: it must be one
  // of this repository's commits all the same.
  EXPECT_EQ(run_shell("git cat-file -e " + found[1].str() + "^{commit}", source_dir()).exit_code, 0)
      << found[1] << " is not a commit of " << source_dir();
  EXPECT_NE(result.out.find("libgit2 "), std::string::npos);
}

}  // namespace
}  // namespace nkd
