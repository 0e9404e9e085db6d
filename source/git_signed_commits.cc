#include "source/git_signed_commits.h"

namespace nkd::source {

namespace {

constexpr std::size_t kMaxCommitsBetween = 10'000;

using RevwalkPtr = std::unique_ptr<git_revwalk, Deleter<git_revwalk, git_revwalk_free>>;

// A git_buf that frees what libgit2 put in it.
struct OwnedBuffer {
  git_buf buffer = GIT_BUF_INIT;
  OwnedBuffer() = default;
  OwnedBuffer(const OwnedBuffer&) = delete;
  OwnedBuffer& operator=(const OwnedBuffer&) = delete;
  ~OwnedBuffer() { git_buf_dispose(&buffer); }
  [[nodiscard]] std::string text() const { return std::string(buffer.ptr, buffer.size); }
};

Result<git_oid> commit_oid(const std::string& commit_id) {
  git_oid id;
  if (git_oid_fromstr(&id, commit_id.c_str()) != 0) {
    return Error{ErrorCode::kInvalidArgument, "'" + commit_id + "' is not a commit id"};
  }
  return id;
}

}  // namespace

Result<std::optional<CommitSignature>> read_commit_signature(git_repository& repository,
                                                             const std::string& commit_id) {
  auto id = commit_oid(commit_id);
  if (!id) return id.error();
  OwnedBuffer signature;
  OwnedBuffer signed_data;
  const int status = git_commit_extract_signature(&signature.buffer, &signed_data.buffer,
                                                  &repository, &*id, nullptr);
  if (status == GIT_ENOTFOUND) {
    // Either no gpgsig header or no such commit: tell them apart.
    git_commit* raw = nullptr;
    if (git_commit_lookup(&raw, &repository, &*id) != 0) {
      return last_error("reading commit " + commit_id, ErrorCode::kNotFound);
    }
    const CommitPtr commit(raw);
    return std::optional<CommitSignature>();
  }
  if (status != 0) return last_error("reading the signature of commit " + commit_id);
  return std::optional<CommitSignature>(CommitSignature{signature.text(), signed_data.text()});
}

Result<std::vector<std::string>> list_commits_between(git_repository& repository,
                                                      const std::string& from_commit,
                                                      const std::string& to_commit) {
  auto to = commit_oid(to_commit);
  if (!to) return to.error();
  if (from_commit.empty()) return std::vector<std::string>{to_commit};
  auto from = commit_oid(from_commit);
  if (!from) return from.error();
  git_revwalk* raw = nullptr;
  if (git_revwalk_new(&raw, &repository) != 0) return last_error("walking commits");
  RevwalkPtr walk(raw);
  git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL);
  if (git_revwalk_push(walk.get(), &*to) != 0) return last_error("walking from " + to_commit);
  if (git_revwalk_hide(walk.get(), &*from) != 0)
    return last_error("walking down to " + from_commit);
  std::vector<std::string> commits;
  git_oid next;
  while (git_revwalk_next(&next, walk.get()) == 0) {
    if (commits.size() == kMaxCommitsBetween) {
      return Error{ErrorCode::kQuotaExceeded,
                   "more than " + std::to_string(kMaxCommitsBetween) + " commits lie between " +
                       from_commit.substr(0, 12) + " and " + to_commit.substr(0, 12)};
    }
    commits.emplace_back(git_oid_tostr_s(&next));
  }
  return commits;
}

Result<std::unique_ptr<LocalSignedCommits>> LocalSignedCommits::open(const std::string& path) {
  ensure_initialized();
  git_repository* raw = nullptr;
  if (git_repository_open_ext(&raw, path.c_str(), 0, nullptr) != 0) {
    return last_error("opening the Git repository at " + path, ErrorCode::kInvalidArgument);
  }
  return std::make_unique<LocalSignedCommits>(RepositoryPtr(raw));
}

Result<std::string> LocalSignedCommits::resolve(const std::string& revision) {
  git_object* raw = nullptr;
  if (git_revparse_single(&raw, repository_.get(), (revision + "^{commit}").c_str()) != 0) {
    return last_error("resolving " + revision, ErrorCode::kInvalidArgument);
  }
  const ObjectPtr object(raw);
  return std::string(git_oid_tostr_s(git_object_id(object.get())));
}

}  // namespace nkd::source
