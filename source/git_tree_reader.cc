#include "source/git_tree_reader.h"

#include <filesystem>

#include "common/utf8.h"
#include "model/limits.h"

namespace nkd::source {

namespace {

// Git stores names and messages as bytes, in whatever encoding the committer's machine used.
// They are logged, stored and served as JSON by the status API, so anything that is not UTF-8 is
// repaired here (a commit is never refused for its author's name).
std::string text_of(const char* bytes) {
  return bytes != nullptr ? replace_invalid_utf8(bytes) : std::string();
}

CommitInfo describe_commit(const git_commit* commit) {
  const git_signature* author = git_commit_author(commit);
  return CommitInfo{.id = git_oid_tostr_s(git_commit_id(commit)),
                    .author = author != nullptr ? text_of(author->name) : "",
                    .author_email = author != nullptr ? text_of(author->email) : "",
                    .committed_at_unix = static_cast<std::int64_t>(git_commit_time(commit)),
                    .summary = text_of(git_commit_summary(const_cast<git_commit*>(commit)))};
}

// A link's text is a path; anything longer than the longest path is no link nkd follows.
constexpr std::uint64_t kMaxLinkTargetBytes = 4096;

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

Result<model::TreeEntryInfo> GitTreeReader::lookup(const std::string& path) const {
  using model::TreeEntryKind;
  git_tree_entry* raw_entry = nullptr;
  if (git_tree_entry_bypath(&raw_entry, tree_.get(), path.c_str()) != 0) {
    return model::TreeEntryInfo{.kind = TreeEntryKind::kMissing};
  }
  TreeEntryPtr entry(raw_entry);
  switch (git_tree_entry_filemode(entry.get())) {
    case GIT_FILEMODE_TREE: return model::TreeEntryInfo{.kind = TreeEntryKind::kDirectory};
    case GIT_FILEMODE_BLOB:
    case GIT_FILEMODE_BLOB_EXECUTABLE: return model::TreeEntryInfo{.kind = TreeEntryKind::kFile};
    case GIT_FILEMODE_LINK: break;
    default: return model::TreeEntryInfo{.kind = TreeEntryKind::kOther};  // a submodule
  }
  const git_oid& id = *git_tree_entry_id(entry.get());
  NKD_ASSIGN_OR_RETURN(auto size, blob_size(id, path));
  if (size > kMaxLinkTargetBytes) return model::file_too_large(path, size, kMaxLinkTargetBytes);
  git_blob* raw_blob = nullptr;
  if (git_blob_lookup(&raw_blob, repository_.get(), &id) != 0) {
    return last_error("reading link " + path);
  }
  BlobPtr blob(raw_blob);
  return model::TreeEntryInfo{
      .kind = TreeEntryKind::kSymbolicLink,
      .link_target = std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                                 static_cast<std::size_t>(git_blob_rawsize(blob.get())))};
}

Result<std::string> GitTreeReader::resolve(const std::string& path) const {
  auto resolved = model::resolve_tree_path(
      path, [this](const std::string& relative) { return lookup(relative); });
  if (!resolved && resolved.error().code == ErrorCode::kNotFound) {
    return Error{ErrorCode::kNotFound, path + ": no such file in commit " + commit_.id.substr(0, 12)};
  }
  return resolved;
}

Result<std::uint64_t> GitTreeReader::blob_size(const git_oid& id, const std::string& path) const {
  git_odb* raw_odb = nullptr;
  if (git_repository_odb(&raw_odb, repository_.get()) != 0) {
    return last_error("opening the object database for " + path);
  }
  OdbPtr odb(raw_odb);
  std::size_t size = 0;
  git_object_t type = GIT_OBJECT_INVALID;
  if (git_odb_read_header(&size, &type, odb.get(), &id) != 0) return last_error("reading " + path);
  return static_cast<std::uint64_t>(size);
}

Result<std::vector<std::string>> GitTreeReader::list(const std::string& directory) const {
  TreePtr subtree;
  const git_tree* tree = tree_.get();
  auto resolved = resolve(directory);
  if (!resolved) {
    if (resolved.error().code == ErrorCode::kNotFound) return std::vector<std::string>{};
    return resolved.error();
  }
  if (!resolved->empty()) {
    git_tree_entry* raw_entry = nullptr;
    if (git_tree_entry_bypath(&raw_entry, tree_.get(), resolved->c_str()) != 0) {
      return std::vector<std::string>{};
    }
    TreeEntryPtr entry(raw_entry);
    if (git_tree_entry_type(entry.get()) != GIT_OBJECT_TREE) return std::vector<std::string>{};
    git_tree* raw_subtree = nullptr;
    if (git_tree_lookup(&raw_subtree, repository_.get(), git_tree_entry_id(entry.get())) != 0) {
      return last_error("reading directory " + *resolved);
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

Result<std::string> GitTreeReader::read(const std::string& path, std::uint64_t max_bytes) const {
  NKD_ASSIGN_OR_RETURN(auto resolved, resolve(path));
  git_tree_entry* raw_entry = nullptr;
  if (git_tree_entry_bypath(&raw_entry, tree_.get(), resolved.c_str()) != 0) {
    return Error{ErrorCode::kNotFound, path + ": no such file in commit " + commit_.id.substr(0, 12)};
  }
  TreeEntryPtr entry(raw_entry);
  if (git_tree_entry_type(entry.get()) != GIT_OBJECT_BLOB) {
    return Error{ErrorCode::kNotFound, path + ": not a file in commit " + commit_.id.substr(0, 12)};
  }
  // The header gives the size without inflating a blob that may be gigabytes.
  const git_oid& id = *git_tree_entry_id(entry.get());
  NKD_ASSIGN_OR_RETURN(auto size, blob_size(id, path));
  if (size > max_bytes) return model::file_too_large(path, size, max_bytes);
  git_blob* raw_blob = nullptr;
  if (git_blob_lookup(&raw_blob, repository_.get(), &id) != 0) {
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

}  // namespace nkd::source
