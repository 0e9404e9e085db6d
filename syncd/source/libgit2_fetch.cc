// LibGit2Source::fetch and the reads over the mirror (tree, commit info, changed clusters).
#include <algorithm>
#include <set>

#include "common/egress.h"
#include "syncd/source/libgit2_source.h"
#include "syncd/source/pinned_git_stream.h"
#include "syncd/source/remote_callbacks.h"

namespace nkd::syncd {

namespace {

using RemoteConnection = std::unique_ptr<git_remote, void (*)(git_remote*)>;

void disconnect_and_free(git_remote* remote) {
  if (remote == nullptr) return;
  git_remote_disconnect(remote);
  git_remote_free(remote);
}

Result<git_oid> parse_oid(const std::string& hex) {
  git_oid id{};
  if (hex.size() != GIT_OID_HEXSZ || git_oid_fromstr(&id, hex.c_str()) != 0) {
    return Error{ErrorCode::kInvalidArgument, "'" + hex + "' is not a full commit id"};
  }
  return id;
}

Result<git::TreePtr> commit_tree(git_repository* repository, const std::string& commit_hex) {
  auto id = parse_oid(commit_hex);
  if (!id) return id.error();
  git_commit* raw_commit = nullptr;
  if (git_commit_lookup(&raw_commit, repository, &*id) != 0) {
    return git::last_error("commit " + commit_hex + " is not in the mirror", ErrorCode::kNotFound);
  }
  git::CommitPtr commit(raw_commit);
  git_tree* raw_tree = nullptr;
  if (git_commit_tree(&raw_tree, commit.get()) != 0) return git::last_error("reading the tree of " + commit_hex);
  return git::TreePtr(raw_tree);
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
  git::TreeEntryPtr entry(raw_entry);
  if (git_tree_entry_type(entry.get()) != GIT_OBJECT_TREE) return std::vector<std::string>{};
  git_tree* raw_clusters = nullptr;
  if (git_tree_lookup(&raw_clusters, repository, git_tree_entry_id(entry.get())) != 0) {
    return git::last_error("reading clusters/");
  }
  git::TreePtr clusters(raw_clusters);
  std::vector<std::string> names;
  for (std::size_t i = 0; i < git_tree_entrycount(clusters.get()); ++i) {
    const git_tree_entry* child = git_tree_entry_byindex(clusters.get(), i);
    if (git_tree_entry_type(child) == GIT_OBJECT_TREE) names.emplace_back(git_tree_entry_name(child));
  }
  return names;
}

}  // namespace

Result<FetchResult> LibGit2Source::fetch() {
  Result<FetchResult> fetched = fetch_from_remote();
  if (fetched) return fetched;
  Error error = fetched.error();
  error.message = git::redact_url_credentials(std::move(error.message), options_.url);
  return error;
}

Result<FetchResult> LibGit2Source::fetch_from_remote() {
  const std::string shown_url = git::display_url(options_.url);
  // libgit2's SSH transport needs its own socket type and cannot be pinned: its destination is
  // checked here, just before libgit2 resolves it again. Redirects are off below so that no
  // connection can move to an unvetted host.
  const bool ssh = remote_.transport == git::Transport::kSsh;
  if (ssh) {
    if (auto status = check_destination(remote_.host, remote_.port, options_.egress); !status) {
      return status.error().wrap("fetching " + shown_url);
    }
  }
  git::PinnedGitConnections connections(options_.egress, options_.timeout,
                                        /*pin=*/remote_.transport != git::Transport::kLocal && !ssh,
                                        options_.resolver);
  if (connections.connection_error()) {
    return connections.connection_error()->wrap("fetching " + shown_url);
  }
  git_remote* raw_remote = nullptr;
  if (git_remote_create_anonymous(&raw_remote, repository_.get(), options_.url.c_str()) != 0) {
    return git::last_error("setting up remote " + shown_url, ErrorCode::kInvalidArgument);
  }
  RemoteConnection remote(raw_remote, disconnect_and_free);
  git::RemoteSession session(options_.url, remote_, options_.auth, options_.timeout);
  // The precise cause (egress refusal, lookup, connect timeout) when a connection failed.
  const auto failure = [&](const std::string& doing) {
    if (connections.connection_error()) return connections.connection_error()->wrap(doing);
    return session.failure(doing);
  };
  git_remote_connect_options connect = GIT_REMOTE_CONNECT_OPTIONS_INIT;
  connect.callbacks = session.callbacks();
  connect.follow_redirects = GIT_REMOTE_REDIRECT_NONE;  // a redirect would dodge the egress check
  if (git_remote_connect_ext(remote.get(), GIT_DIRECTION_FETCH, &connect) != 0) {
    return failure("connecting to " + shown_url);
  }
  auto target = resolve_target(remote.get());
  if (!target) return target.error();
  const std::optional<git_oid> previous = watched_commit();
  FetchResult result{.commit_id = git_oid_tostr_s(&target->commit)};
  if (previous && git_oid_equal(&*previous, &target->commit)) return result;  // nothing moved

  git_odb* raw_odb = nullptr;
  bool have_objects = false;
  if (git_repository_odb(&raw_odb, repository_.get()) == 0) {
    have_objects = git_odb_exists(raw_odb, &target->commit) == 1;
    git_odb_free(raw_odb);
  }
  if (!have_objects) {
    const std::string refspec = "+" + target->remote_ref + ":refs/nkd/incoming";
    char* specs[] = {const_cast<char*>(refspec.c_str())};
    const git_strarray refspecs{specs, 1};
    git_fetch_options fetch = GIT_FETCH_OPTIONS_INIT;
    fetch.callbacks = session.callbacks();
    fetch.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
    fetch.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    fetch.prune = GIT_FETCH_NO_PRUNE;
    if (git_remote_download(remote.get(), &refspecs, &fetch) != 0) {
      return failure("downloading " + target->remote_ref + " from " + shown_url);
    }
    result.received_bytes = git_remote_stats(remote.get())->received_bytes;
  }
  auto commit = peel_to_commit(target->commit);
  if (!commit) return commit.error().wrap("after fetching " + target->remote_ref + " from " + shown_url);
  result.commit_id = git_oid_tostr_s(&*commit);
  result.moved = !previous || !git_oid_equal(&*previous, &*commit);
  if (previous && result.moved) {
    auto descends = descends_from(*commit, *previous);
    if (!descends) return descends.error();
    result.force_pushed = !*descends;
  }
  if (auto status = record_watched(*commit); !status) return status.error();
  return result;
}

Result<std::unique_ptr<model::TreeReader>> LibGit2Source::tree(const std::string& commit_id) {
  auto reader = git::GitTreeReader::open(mirror_path_, commit_id);
  if (!reader) return reader.error();
  return std::unique_ptr<model::TreeReader>(std::move(reader).value());
}

Result<git::CommitInfo> LibGit2Source::commit_info(const std::string& commit_id) {
  auto reader = git::GitTreeReader::open(mirror_path_, commit_id);
  if (!reader) return reader.error();
  return (*reader)->commit();
}

Result<std::vector<std::string>> LibGit2Source::changed_clusters(const std::string& from_commit,
                                                                 const std::string& to_commit) {
  auto to_tree = commit_tree(repository_.get(), to_commit);
  if (!to_tree) return to_tree.error();
  if (from_commit.empty()) return all_clusters(repository_.get(), to_tree->get());
  auto from_tree = commit_tree(repository_.get(), from_commit);
  if (!from_tree) return from_tree.error();
  git_diff_options options = GIT_DIFF_OPTIONS_INIT;
  char pathspec[] = "clusters/";
  char* paths[] = {pathspec};
  options.pathspec = git_strarray{paths, 1};
  git_diff* raw_diff = nullptr;
  if (git_diff_tree_to_tree(&raw_diff, repository_.get(), from_tree->get(), to_tree->get(), &options) != 0) {
    return git::last_error("comparing " + from_commit.substr(0, 12) + " with " + to_commit.substr(0, 12));
  }
  git::DiffPtr diff(raw_diff);
  std::set<std::string> names;
  for (std::size_t i = 0; i < git_diff_num_deltas(diff.get()); ++i) {
    const git_diff_delta* delta = git_diff_get_delta(diff.get(), i);
    for (const char* path : {delta->old_file.path, delta->new_file.path}) {
      if (auto name = cluster_of(path); !name.empty()) names.insert(std::move(name));
    }
  }
  return std::vector<std::string>(names.begin(), names.end());
}

}  // namespace nkd::syncd
