// resolve_tree_path on a tree described in memory: links are followed inside the tree, refused
// when they leave it, whichever reader (directory or Git commit) supplies the entries.
#include <gtest/gtest.h>

#include <map>

#include "model/tree_path.h"

namespace nkd::model {
namespace {

// Path -> entry; a path that is absent is missing.
class FakeTree {
 public:
  FakeTree& directory(const std::string& path) {
    entries_[path] = TreeEntryInfo{.kind = TreeEntryKind::kDirectory};
    return *this;
  }
  FakeTree& file(const std::string& path) {
    entries_[path] = TreeEntryInfo{.kind = TreeEntryKind::kFile};
    return *this;
  }
  FakeTree& link(const std::string& path, const std::string& target) {
    entries_[path] = TreeEntryInfo{.kind = TreeEntryKind::kSymbolicLink, .link_target = target};
    return *this;
  }
  Result<std::string> resolve(const std::string& path) const {
    return resolve_tree_path(path, [this](const std::string& relative) -> Result<TreeEntryInfo> {
      const auto found = entries_.find(relative);
      return found == entries_.end() ? TreeEntryInfo{} : found->second;
    });
  }

 private:
  std::map<std::string, TreeEntryInfo> entries_;
};

FakeTree demo_tree() {
  FakeTree tree;
  tree.directory("clusters").directory("clusters/demo").directory("clusters/demo/files");
  tree.directory("shared").file("shared/motd").file("clusters/demo/cluster.yaml");
  return tree;
}

TEST(TreePath, PlainPathResolvesToItself) {
  EXPECT_EQ(demo_tree().resolve("clusters/demo/cluster.yaml").value(), "clusters/demo/cluster.yaml");
  EXPECT_EQ(demo_tree().resolve("").value(), "");
}

TEST(TreePath, LinkInsideTheTreeIsFollowed) {
  FakeTree tree = demo_tree();
  tree.link("clusters/demo/files/motd", "../../../shared/motd");
  EXPECT_EQ(tree.resolve("clusters/demo/files/motd").value(), "shared/motd");
  tree.link("clusters/other", "demo");  // a linked directory on the way
  EXPECT_EQ(tree.resolve("clusters/other/cluster.yaml").value(), "clusters/demo/cluster.yaml");
}

TEST(TreePath, AbsoluteLinkIsRefusedNamingTheFile) {
  FakeTree tree = demo_tree();
  tree.link("clusters/demo/files/motd", "/etc/shadow");
  const auto resolved = tree.resolve("clusters/demo/files/motd");
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(resolved.error().message,
            "clusters/demo/files/motd is a symbolic link to "
            "'/etc/shadow', which is outside the repository; nkd reads only files inside it: copy "
            "the file into the repository or point the link at a file inside");
}

TEST(TreePath, LinkedDirectoryOutOfTheTreeIsNamedWithTheFile) {
  FakeTree tree = demo_tree();
  tree.link("clusters/demo/files", "/etc");
  const std::string message = tree.resolve("clusters/demo/files/shadow").error().message;
  EXPECT_TRUE(message.starts_with("clusters/demo/files/shadow: clusters/demo/files is a symbolic "
                                  "link to '/etc', which is outside the repository"))
      << message;
}

TEST(TreePath, RelativeLinkThatClimbsOutIsRefused) {
  FakeTree tree = demo_tree();
  tree.link("clusters/demo/files/motd", "../../../../etc/shadow");
  EXPECT_EQ(tree.resolve("clusters/demo/files/motd").error().code, ErrorCode::kPermissionDenied);
  tree.link("clusters/demo/up", "../..");  // the root itself is inside; one more ".." is not
  EXPECT_EQ(tree.resolve("clusters/demo/up/shared/motd").value(), "shared/motd");
  EXPECT_EQ(tree.resolve("clusters/demo/up/../x").error().code, ErrorCode::kPermissionDenied);
}

TEST(TreePath, LinkLoopIsRefused) {
  FakeTree tree = demo_tree();
  tree.link("clusters/demo/a", "b").link("clusters/demo/b", "a");
  const auto resolved = tree.resolve("clusters/demo/a");
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(resolved.error().message.find("symbolic links to follow (a loop?)"), std::string::npos);
}

TEST(TreePath, MissingEntryOrFileAsDirectoryIsNotFound) {
  EXPECT_EQ(demo_tree().resolve("clusters/demo/nope").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(demo_tree().resolve("shared/motd/x").error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace nkd::model
