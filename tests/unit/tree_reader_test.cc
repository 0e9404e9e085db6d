// DirectoryTreeReader on a real directory: symbolic links stay inside it, sizes are bounded
// before a file is read, links are listed as files (as in Git).
#include <gtest/gtest.h>

#include <filesystem>

#include "model/tree_reader.h"
#include "tests/support/test_support.h"

namespace nkd::model {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;
using testing::write_file;

class DirectoryTreeReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(root() / "clusters/demo/files");
    fs::create_directories(root() / "shared");
    write_file(root() / "clusters/demo/cluster.yaml", "kind: Cluster\n");
    write_file(root() / "shared/motd", "welcome\n");
    write_file(scratch_.path() / "secret", "outside\n");
  }
  fs::path root() const { return scratch_.path() / "repo"; }
  DirectoryTreeReader reader() const { return DirectoryTreeReader(root().string()); }

  ScratchDir scratch_;
};

TEST_F(DirectoryTreeReaderTest, ReadsAFileAndFollowsALinkInsideTheTree) {
  EXPECT_EQ(reader().read("clusters/demo/cluster.yaml", 100).value(), "kind: Cluster\n");
  fs::create_symlink("../../../shared/motd", root() / "clusters/demo/files/motd");
  EXPECT_EQ(reader().read("clusters/demo/files/motd", 100).value(), "welcome\n");
}

// Before: files/motd -> /etc/shadow (or any file of the machine) was read and rendered.
TEST_F(DirectoryTreeReaderTest, RefusesALinkOutOfTheTree) {
  fs::create_symlink(scratch_.path() / "secret", root() / "clusters/demo/files/absolute");
  fs::create_symlink("../../../../secret", root() / "clusters/demo/files/relative");
  fs::create_directory_symlink(scratch_.path(), root() / "clusters/demo/outside");
  for (const char* path : {"clusters/demo/files/absolute", "clusters/demo/files/relative",
                           "clusters/demo/outside/secret"}) {
    SCOPED_TRACE(path);
    const auto contents = reader().read(path, 100);
    ASSERT_FALSE(contents.ok());
    EXPECT_EQ(contents.error().code, ErrorCode::kPermissionDenied);
    EXPECT_NE(contents.error().message.find("which is outside the repository"), std::string::npos)
        << contents.error().message;
  }
}

TEST_F(DirectoryTreeReaderTest, RefusesAFileLargerThanAsked) {
  const auto contents = reader().read("clusters/demo/cluster.yaml", 4);
  ASSERT_FALSE(contents.ok());
  EXPECT_EQ(contents.error().code, ErrorCode::kQuotaExceeded);
  EXPECT_EQ(contents.error().message,
            "clusters/demo/cluster.yaml is 14 bytes, more than the 4 bytes nkd reads of such a file");
}

TEST_F(DirectoryTreeReaderTest, ListsLinksAsFilesAndDirectoriesWithASlash) {
  fs::create_directory_symlink(scratch_.path(), root() / "clusters/elsewhere");
  EXPECT_EQ(reader().list("clusters/").value(), (std::vector<std::string>{"demo/", "elsewhere"}));
  EXPECT_EQ(reader().list("clusters/elsewhere/").error().code, ErrorCode::kPermissionDenied);
}

TEST_F(DirectoryTreeReaderTest, MissingFileAndDirectoryAreNotErrorsOfTheTree) {
  EXPECT_EQ(reader().read("clusters/demo/nope", 100).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(reader().read("clusters/demo/files", 100).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(reader().list("nowhere/").value().empty());
}

TEST(DescribeSize, BytesAndBinaryUnits) {
  EXPECT_EQ(describe_size(512), "512 bytes");
  EXPECT_EQ(describe_size(1536), "1.5 KiB");
  EXPECT_EQ(describe_size(64 * 1024 * 1024), "64 MiB");
}

}  // namespace
}  // namespace nkd::model
