// LibGit2Source::fetch and the reads over the mirror (tree, commit info, changed clusters,
// signatures).
#include <algorithm>
#include <filesystem>
#include <set>

#include "source/git_signed_commits.h"
#include "source/git_tree_reader.h"
#include "source/libgit2_source.h"
#include "source/library_allocations.h"
#include "source/remote_callbacks.h"
#include "source/transfer_control.h"

namespace nkd::source {

namespace {

// Disconnects the reused remote when a fetch ends, however it ends.
class ConnectedRemote {
 public:
  explicit ConnectedRemote(git_remote* remote) : remote_(remote) {}
  ~ConnectedRemote() { git_remote_disconnect(remote_); }
  ConnectedRemote(const ConnectedRemote&) = delete;
  ConnectedRemote& operator=(const ConnectedRemote&) = delete;

 private:
  git_remote* remote_;
};

Result<git_oid> parse_oid(const std::string& hex) {
  git_oid id{};
  if (hex.size() != GIT_OID_HEXSZ || git_oid_fromstr(&id, hex.c_str()) != 0) {
    return Error{ErrorCode::kInvalidArgument, "'" + hex + "' is not a full commit id"};
  }
  return id;
}

Result<TreePtr> commit_tree(git_repository* repository, const std::string& commit_hex) {
  NKD_ASSIGN_OR_RETURN(auto id, parse_oid(commit_hex));
  git_commit* raw_commit = nullptr;
  if (git_commit_lookup(&raw_commit, repository, &id) != 0) {
    return last_error("commit " + commit_hex + " is not in the mirror", ErrorCode::kNotFound);
  }
  CommitPtr commit(raw_commit);
  git_tree* raw_tree = nullptr;
  if (git_commit_tree(&raw_tree, commit.get()) != 0) return last_error("reading the tree of " + commit_hex);
  return TreePtr(raw_tree);
}

// "clusters/<name>/..." -> "<name>"; "" for paths outside a cluster directory.
std::string cluster_of(const char* path) {
  if (path == nullptr) return {};
  std::string_view text(path);
  constexpr std::string_view kPrefix = "clusters/";
  if (!text.starts_with(kPrefix)) return {};
  text.remove_prefix(kPrefix.size());
  const auto slash = text.find('/');
  return slash == std::string_view::npos ? std::string() : std::string(text.substr(0, slash));
}

Result<std::vector<std::string>> all_clusters(git_repository* repository, git_tree* tree) {
  git_tree_entry* raw_entry = nullptr;
  if (git_tree_entry_bypath(&raw_entry, tree, "clusters") != 0) return std::vector<std::string>{};
  TreeEntryPtr entry(raw_entry);
  if (git_tree_entry_type(entry.get()) != GIT_OBJECT_TREE) return std::vector<std::string>{};
  git_tree* raw_clusters = nullptr;
  if (git_tree_lookup(&raw_clusters, repository, git_tree_entry_id(entry.get())) != 0) {
    return last_error("reading clusters/");
  }
  TreePtr clusters(raw_clusters);
  std::vector<std::string> names;
  for (std::size_t i = 0; i < git_tree_entrycount(clusters.get()); ++i) {
    const git_tree_entry* child = git_tree_entry_byindex(clusters.get(), i);
    if (git_tree_entry_type(child) == GIT_OBJECT_TREE) names.emplace_back(git_tree_entry_name(child));
  }
  return names;
}

// kNotFound saying what to fix when a local repository URL names no directory.
Status check_local_repository(const std::string& url) {
  constexpr std::string_view kScheme = "file://";
  const std::string path = url.starts_with(kScheme) ? url.substr(kScheme.size()) : url;
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) return ok_status();
  return Error{ErrorCode::kNotFound,
               "repository.url " + path + " is not a directory on this machine: a local URL must " +
                   "name a Git repository (bare, or a work tree's .git); check the path, or use " +
                   "git://, http(s):// or ssh:// for a remote one"};
}

}  // namespace

Result<FetchResult> LibGit2Source::fetch() {
  Result<FetchResult> fetched = fetch_from_remote();
  if (fetched) return fetched;
  Error error = fetched.error();
  error.message = redact_url_credentials(std::move(error.message), options_.url);
  return error;
}

Result<FetchResult> LibGit2Source::fetch_from_remote() {
  const std::string shown_url = display_url(options_.url);
  if (remote_.transport == Transport::kLocal) {
    // libgit2 takes a path that does not exist for a URL of an unknown scheme and says only
    // "unsupported URL protocol".
    NKD_RETURN_IF_ERROR(check_local_repository(options_.url));
  }
  // Declared before the connection, so the remote is disconnected (its sockets closed) while
  // the transfer still owns them. Every socket of the transfer, SSH's included, connects only to
  // an address its dial policy resolved once and allowed; redirects are off below so that no
  // connection can move to an unvetted host.
  const TransferControl::Transfer transfer =
      transfer_.begin(options_.timeout, "repository.fetchTimeout",
                      {.allow = options_.egress, .resolver = options_.resolver});
  RemoteSession session(options_.url, remote_, options_.auth, options_.timeout);
  git_remote_connect_options connect = GIT_REMOTE_CONNECT_OPTIONS_INIT;
  connect.callbacks = session.callbacks();
  connect.follow_redirects = GIT_REMOTE_REDIRECT_NONE;  // a redirect would dodge the egress check
  int connected_rc = 0;
  {
    // libgit2 1.5's SSH transport never frees the known_hosts handle it opens, nor the path
    // strings it builds to find the file (about 100 bytes a connect, whatever the outcome). What
    // the connect leaves allocated and unreachable is that library's; the remote, which nkd
    // owns, is freed by its handle.
    const LibraryAllocations library_allocations;
    connected_rc = git_remote_connect_ext(remote_handle_.get(), GIT_DIRECTION_FETCH, &connect);
  }
  if (connected_rc != 0) return network_failure(session, "connecting to " + shown_url);
  const ConnectedRemote connected(remote_handle_.get());
  return fetch_connected(session);
}

Result<FetchResult> LibGit2Source::fetch_connected(RemoteSession& session) {
  const std::string shown_url = display_url(options_.url);
  NKD_ASSIGN_OR_RETURN(auto target, resolve_target(remote_handle_.get()));
  const std::optional<git_oid> previous = watched_commit();
  FetchResult result{.commit_id = git_oid_tostr_s(&target.commit)};
  if (previous && git_oid_equal(&*previous, &target.commit)) return result;  // nothing moved

  git_odb* raw_odb = nullptr;
  bool have_objects = false;
  if (git_repository_odb(&raw_odb, repository_.get()) == 0) {
    have_objects = git_odb_exists(raw_odb, &target.commit) == 1;
    git_odb_free(raw_odb);
  }
  if (!have_objects) {
    const std::string refspec = "+" + target.remote_ref + ":refs/nkd/incoming";
    char* specs[] = {const_cast<char*>(refspec.c_str())};
    const git_strarray refspecs{specs, 1};
    git_fetch_options fetch = GIT_FETCH_OPTIONS_INIT;
    fetch.callbacks = session.callbacks();
    fetch.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
    fetch.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    fetch.prune = GIT_FETCH_NO_PRUNE;
    if (git_remote_download(remote_handle_.get(), &refspecs, &fetch) != 0) {
      return network_failure(session, "downloading " + target.remote_ref + " from " + shown_url);
    }
    result.received_bytes = git_remote_stats(remote_handle_.get())->received_bytes;
  }
  NKD_ASSIGN_OR_RETURN_WRAP(auto commit, peel_to_commit(target.commit),
                            "after fetching " + target.remote_ref + " from " + shown_url);
  result.commit_id = git_oid_tostr_s(&commit);
  result.moved = !previous || !git_oid_equal(&*previous, &commit);
  if (previous && result.moved) {
    NKD_ASSIGN_OR_RETURN(auto descends, descends_from(commit, *previous));
    result.force_pushed = !descends;
  }
  NKD_RETURN_IF_ERROR(record_watched(commit));
  return result;
}

Error LibGit2Source::network_failure(const RemoteSession& session,
                                     std::string_view doing) const {
  if (auto interruption = transfer_.interruption()) return interruption->wrap(doing);
  // The precise cause (egress refusal, lookup, connect failure) when a connection failed.
  if (auto refused = transfer_.connection_error()) return refused->wrap(doing);
  return session.failure(doing);
}

Result<std::unique_ptr<model::TreeReader>> LibGit2Source::tree(const std::string& commit_id) {
  NKD_ASSIGN_OR_RETURN(auto reader, GitTreeReader::open(mirror_path_, commit_id));
  return std::unique_ptr<model::TreeReader>(std::move(reader));
}

Result<CommitInfo> LibGit2Source::commit_info(const std::string& commit_id) {
  NKD_ASSIGN_OR_RETURN(auto reader, GitTreeReader::open(mirror_path_, commit_id));
  return reader->commit();
}

Result<std::vector<std::string>> LibGit2Source::changed_clusters(const std::string& from_commit,
                                                                 const std::string& to_commit) {
  NKD_ASSIGN_OR_RETURN(auto to_tree, commit_tree(repository_.get(), to_commit));
  if (from_commit.empty()) return all_clusters(repository_.get(), to_tree.get());
  NKD_ASSIGN_OR_RETURN(auto from_tree, commit_tree(repository_.get(), from_commit));
  git_diff_options options = GIT_DIFF_OPTIONS_INIT;
  char pathspec[] = "clusters/";
  char* paths[] = {pathspec};
  options.pathspec = git_strarray{paths, 1};
  git_diff* raw_diff = nullptr;
  if (git_diff_tree_to_tree(&raw_diff, repository_.get(), from_tree.get(), to_tree.get(),
                            &options) != 0) {
    return last_error("comparing " + from_commit.substr(0, 12) + " with " + to_commit.substr(0, 12));
  }
  DiffPtr diff(raw_diff);
  std::set<std::string> names;
  for (std::size_t i = 0; i < git_diff_num_deltas(diff.get()); ++i) {
    const git_diff_delta* delta = git_diff_get_delta(diff.get(), i);
    for (const char* path : {delta->old_file.path, delta->new_file.path}) {
      if (auto name = cluster_of(path); !name.empty()) names.insert(std::move(name));
    }
  }
  return std::vector<std::string>(names.begin(), names.end());
}

Result<std::optional<CommitSignature>> LibGit2Source::signature(const std::string& commit_id) {
  return read_commit_signature(*repository_, commit_id);
}

Result<std::vector<std::string>> LibGit2Source::commits_between(const std::string& from_commit,
                                                                const std::string& to_commit) {
  return list_commits_between(*repository_, from_commit, to_commit);
}

}  // namespace nkd::source
