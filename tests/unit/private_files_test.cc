// Private files and folders: created owner-only whatever the umask, existing files narrowed, a
// symlink in the file's place refused rather than written through.
#include "common/private_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/support/test_support.h"

namespace nkd {
namespace {

namespace fs = std::filesystem;

unsigned mode_of(const fs::path& path) {
  struct stat info {};
  EXPECT_EQ(::lstat(path.c_str(), &info), 0) << path;
  return info.st_mode & 0777;
}

// Runs with a umask that would make everything world-readable, and restores it.
class PrivateFilesTest : public ::testing::Test {
 protected:
  PrivateFilesTest() : previous_umask_(::umask(0)) {}
  ~PrivateFilesTest() override { ::umask(previous_umask_); }

  testing::ScratchDir scratch_;
  mode_t previous_umask_;
};

TEST_F(PrivateFilesTest, MissingFoldersAreMadeOwnerOnlyAndExistingOnesLeftAlone) {
  ::chmod(scratch_.path().c_str(), 0755);
  const fs::path deep = scratch_.path() / "a" / "b" / "c";
  ASSERT_TRUE(create_private_directories(deep).ok());
  for (const fs::path& dir : {scratch_.path() / "a", scratch_.path() / "a" / "b", deep}) {
    EXPECT_EQ(mode_of(dir), 0700u) << dir;
  }
  EXPECT_EQ(mode_of(scratch_.path()), 0755u) << "a folder the user chose keeps its mode";
  EXPECT_TRUE(create_private_directories(deep).ok()) << "idempotent";
}

TEST_F(PrivateFilesTest, WrittenFilesAreOwnerOnlyAndAnOldFileIsNarrowed) {
  const fs::path file = scratch_.path() / "node.ign";
  ASSERT_TRUE(write_private_file(file, "first").ok());
  EXPECT_EQ(mode_of(file), 0600u);
  ::chmod(file.c_str(), 0644);
  ASSERT_TRUE(write_private_file(file, "second").ok());
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(testing::read_file(file), "second");
  const fs::path state = scratch_.path() / "state.db";
  testing::write_file(state, "");
  ::chmod(state.c_str(), 0644);
  ASSERT_TRUE(prepare_private_file(state).ok());
  EXPECT_EQ(mode_of(state), 0600u);
}

TEST_F(PrivateFilesTest, ASymlinkInTheFilesPlaceIsRefused) {
  const fs::path target = scratch_.path() / "elsewhere";
  testing::write_file(target, "keep");
  const fs::path link = scratch_.path() / "node.ign";
  fs::create_symlink(target, link);
  const Status written = write_private_file(link, "secret keys");
  ASSERT_FALSE(written.ok());
  EXPECT_NE(written.error().message.find(link.string()), std::string::npos) << written.error().message;
  EXPECT_EQ(testing::read_file(target), "keep");
}

}  // namespace
}  // namespace nkd
