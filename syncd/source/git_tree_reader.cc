#include "syncd/source/git_tree_reader.h"

#include <filesystem>

namespace nkd::git {

namespace {

CommitInfo describe_commit(const git_commit* commit) {
  const git_signature* author = git_commit_author(commit);
  const char* summary = git_commit_summary(const_cast<git_commit*>(commit));
  return CommitInfo{.id = git_oid_tostr_s(git_commit_id(commit)),
                    .author = author != nullptr && author->name != nullptr ? author->name : "",
                    .author_email =
                        author != nullptr && author->email != nullptr ? author->email : "",
                    .committed_at_unix = static_cast<std::int64_t>(git_commit_time(commit)),
                    .summary = summary != nullptr ? summary : ""};
}

}  // namespace

bool is_repository_root(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ignored;
  if (fs::exists(fs::path(path) / ".git", ignored)) return true;
  return fs::exists(fs::path(path) / "HEAD", ignored) && fs::exists(fs::path(path) / "objects", ignored);
}

Result<std::unique_ptr<GitTreeReader>> GitTreeReader::open(const std::string& repository_path,
                                                           const std::string& revision) {
  ensure_initialized();
  git_repository* raw_repository = nullptr;
  if (git_repository_open_ext(&raw_repository, repository_path.c_str(),
                              GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) != 0) {
    return last_error("opening Git repository " + repository_path, ErrorCode::kNotFound);
  }
  RepositoryPtr repository(raw_repository);
  git_object* raw_object = nullptr;
  if (git_revparse_single(&raw_object, repository.get(), revision.c_str()) != 0) {
    return last_error("resolving revision '" + revision + "' in " + repository_path,
                      ErrorCode::kNotFound);
  }
  ObjectPtr object(raw_object);
  git_object* raw_commit = nullptr;
  if (git_object_peel(&raw_commit, object.get(), GIT_OBJECT_COMMIT) != 0) {
    return last_error("revision '" + revision + "' is not a commit", ErrorCode::kInvalidArgument);
  }
  CommitPtr commit(reinterpret_cast<git_commit*>(raw_commit));
  git_tree* raw_tree = nullptr;
  if (git_commit_tree(&raw_tree, commit.get()) != 0) {
    return last_error("reading the tree of " + revision);
  }
  return std::unique_ptr<GitTreeReader>(
      new GitTreeReader(std::move(repository), TreePtr(raw_tree), describe_commit(commit.get())));
}

Result<std::vector<std::string>> GitTreeReader::list(const std::string& directory) const {
  TreePtr subtree;
  const git_tree* tree = tree_.get();
  std::string trimmed = directory;
  while (!trimmed.empty() && trimmed.back() == '/') trimmed.pop_back();
  if (!trimmed.empty()) {
    git_tree_entry* raw_entry = nullptr;
    if (git_tree_entry_bypath(&raw_entry, tree_.get(), trimmed.c_str()) != 0) {
      return std::vector<std::string>{};
    }
    TreeEntryPtr entry(raw_entry);
    if (git_tree_entry_type(entry.get()) != GIT_OBJECT_TREE) return std::vector<std::string>{};
    git_tree* raw_subtree = nullptr;
    if (git_tree_lookup(&raw_subtree, repository_.get(), git_tree_entry_id(entry.get())) != 0) {
      return last_error("reading directory " + trimmed);
    }
    subtree.reset(raw_subtree);
    tree = subtree.get();
  }
  std::vector<std::string> names;
  const std::size_t count = git_tree_entrycount(tree);
  names.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const git_tree_entry* entry = git_tree_entry_byindex(tree, i);
    std::string name = git_tree_entry_name(entry);
    if (git_tree_entry_type(entry) == GIT_OBJECT_TREE) name += '/';
    names.push_back(std::move(name));
  }
  return names;  // libgit2 keeps tree entries sorted by name
}

Result<std::string> GitTreeReader::read(const std::string& path) const {
  git_tree_entry* raw_entry = nullptr;
  if (git_tree_entry_bypath(&raw_entry, tree_.get(), path.c_str()) != 0) {
    return Error{ErrorCode::kNotFound, path + ": no such file in commit " + commit_.id.substr(0, 12)};
  }
  TreeEntryPtr entry(raw_entry);
  if (git_tree_entry_type(entry.get()) != GIT_OBJECT_BLOB) {
    return Error{ErrorCode::kNotFound, path + ": not a file in commit " + commit_.id.substr(0, 12)};
  }
  git_blob* raw_blob = nullptr;
  if (git_blob_lookup(&raw_blob, repository_.get(), git_tree_entry_id(entry.get())) != 0) {
    return last_error("reading " + path);
  }
  BlobPtr blob(raw_blob);
  return std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                     static_cast<std::size_t>(git_blob_rawsize(blob.get())));
}

std::string GitTreeReader::content_id(const std::string& directory) const {
  std::string trimmed = directory;
  while (!trimmed.empty() && trimmed.back() == '/') trimmed.pop_back();
  if (trimmed.empty()) return git_oid_tostr_s(git_tree_id(tree_.get()));
  git_tree_entry* raw_entry = nullptr;
  if (git_tree_entry_bypath(&raw_entry, tree_.get(), trimmed.c_str()) != 0) return "";
  TreeEntryPtr entry(raw_entry);
  return git_oid_tostr_s(git_tree_entry_id(entry.get()));
}

std::string GitTreeReader::describe() const { return "commit " + commit_.id.substr(0, 12); }

}  // namespace nkd::git
