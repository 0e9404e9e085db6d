// GitTreeReader on a repository made by the git command: symbolic links (blobs of mode 120000)
// are followed inside the commit and refused when they lead out of it, blobs are sized before
// they are read, and an author name that is not UTF-8 is repaired rather than refused. (Git
// converts such bytes itself unless told the commit's encoding is another, as old ones were.)
#include <gtest/gtest.h>

#include "source/git_tree_reader.h"
#include "tests/support/test_support.h"

namespace nkd::source {
namespace {

using testing::run_shell;
using testing::ScratchDir;

class GitTreeReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto made = run_shell(
        "git init -q -b main repo && cd repo && mkdir -p clusters/demo/files shared && "
        "echo welcome > shared/motd && ln -s ../../../shared/motd clusters/demo/files/motd && "
        "ln -s /etc/hostname clusters/demo/files/absolute && "
        "ln -s ../../../../outside clusters/demo/files/relative && git add -A && "
        "git -c i18n.commitEncoding=ISO-8859-1 -c user.name=\"$(printf 'J\\366rg')\" "
        "-c user.email=j@example.org commit -qm \"$(printf 'caf\\351')\"",
        scratch_.str());
    ASSERT_EQ(made.exit_code, 0) << made.err;
    auto reader = GitTreeReader::open((scratch_.path() / "repo").string(), "HEAD");
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    reader_ = std::move(reader).value();
  }

  ScratchDir scratch_;
  std::unique_ptr<GitTreeReader> reader_;
};

TEST_F(GitTreeReaderTest, FollowsALinkInsideTheCommit) {
  EXPECT_EQ(reader_->read("clusters/demo/files/motd", 100).value(), "welcome\n");
}

// Before: the link's own text ("/etc/hostname") was returned as the file's contents.
TEST_F(GitTreeReaderTest, RefusesALinkOutOfTheCommit) {
  for (const char* path : {"clusters/demo/files/absolute", "clusters/demo/files/relative"}) {
    SCOPED_TRACE(path);
    const auto contents = reader_->read(path, 100);
    ASSERT_FALSE(contents.ok());
    EXPECT_EQ(contents.error().code, ErrorCode::kPermissionDenied);
    EXPECT_NE(contents.error().message.find("which is outside the repository"), std::string::npos)
        << contents.error().message;
  }
}

TEST_F(GitTreeReaderTest, RefusesABlobLargerThanAsked) {
  const auto contents = reader_->read("shared/motd", 4);
  ASSERT_FALSE(contents.ok());
  EXPECT_EQ(contents.error().code, ErrorCode::kQuotaExceeded);
  EXPECT_EQ(contents.error().message, "shared/motd is 8 bytes, more than the 4 bytes nkd reads of such a file");
}

TEST_F(GitTreeReaderTest, ListsALinkAsAFile) {
  EXPECT_EQ(reader_->list("clusters/demo/files/").value(),
            (std::vector<std::string>{"absolute", "motd", "relative"}));
}

TEST_F(GitTreeReaderTest, AuthorAndSummaryThatAreNotUtf8AreRepaired) {
  EXPECT_EQ(reader_->commit().author, "J\xEF\xBF\xBDrg");
  EXPECT_EQ(reader_->commit().summary, "caf\xEF\xBF\xBD");
}

}  // namespace
}  // namespace nkd::source
