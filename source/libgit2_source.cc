#include "source/libgit2_source.h"
#include "source/library_allocations.h"

#include <algorithm>
#include <filesystem>

#include "common/private_files.h"

namespace nkd::source {

namespace {

constexpr std::string_view kSemverPrefix = "semver:";
constexpr std::string_view kTagPrefix = "refs/tags/";
constexpr std::string_view kPeelSuffix = "^{}";

std::string oid_hex(const git_oid& id) { return git_oid_tostr_s(&id); }

Status check_transport_support(const RemoteUrl& remote, const std::string& url) {
  const int features = git_libgit2_features();
  if (remote.transport == Transport::kSsh && (features & GIT_FEATURE_SSH) == 0) {
    return Error{ErrorCode::kUnavailable,
                 "cannot fetch " + display_url(url) +
                     ": this libgit2 was built without SSH support (GIT_FEATURE_SSH missing); use "
                     "an https:// URL or install a libgit2 built with libssh2"};
  }
  if (remote.transport == Transport::kHttps && (features & GIT_FEATURE_HTTPS) == 0) {
    return Error{ErrorCode::kUnavailable,
                 "cannot fetch " + display_url(url) +
                     ": this libgit2 was built without HTTPS support (GIT_FEATURE_HTTPS missing); "
                     "install a libgit2 built with TLS"};
  }
  return ok_status();
}

Result<RepositoryPtr> open_mirror(const std::string& path) {
  git_repository* raw = nullptr;
  std::error_code ignored;
  if (std::filesystem::exists(std::filesystem::path(path) / "HEAD", ignored)) {
    if (git_repository_open_bare(&raw, path.c_str()) != 0) {
      return last_error("opening the Git mirror " + path + " (delete it to start afresh)");
    }
  } else if (git_repository_init(&raw, path.c_str(), /*is_bare=*/1) != 0) {
    return last_error("creating the Git mirror " + path);
  }
  return RepositoryPtr(raw);
}

// A ref the server advertised; a tag's "^{}" entry gives its peeled commit.
struct Advertised {
  std::string name;
  git_oid id{};
};

const Advertised* find_ref(const std::vector<Advertised>& refs, const std::string& name) {
  auto found = std::find_if(refs.begin(), refs.end(), [&](const auto& ref) { return ref.name == name; });
  return found == refs.end() ? nullptr : &*found;
}

// The full ref names a configured ref may mean, most specific first.
std::vector<std::string> candidate_names(const std::string& ref) {
  if (ref.starts_with("refs/") || ref == "HEAD") return {ref};
  return {"refs/heads/" + ref, "refs/tags/" + ref};
}

}  // namespace

Result<std::unique_ptr<LibGit2Source>> LibGit2Source::open(GitSourceOptions options) {
  ensure_initialized();
  NKD_ASSIGN_OR_RETURN(auto remote, parse_remote_url(options.url));
  NKD_RETURN_IF_ERROR(check_transport_support(remote, options.url));
  std::optional<semver::Range> range;
  if (options.ref.starts_with(kSemverPrefix)) {
    NKD_ASSIGN_OR_RETURN_WRAP(
        auto parsed,
        semver::Range::parse(std::string_view(options.ref).substr(kSemverPrefix.size())),
        "repository.ref");
    range = std::move(parsed);
  } else if (options.ref.empty() ||
             (options.ref != "HEAD" && git_reference_is_valid_name(candidate_names(options.ref)[0].c_str()) == 0)) {
    return Error{ErrorCode::kInvalidArgument,
                 "repository.ref '" + options.ref + "' is not a valid ref; use refs/heads/main, a "
                 "branch or tag name, or semver:<range>"};
  }
  if (options.cache_dir.empty()) {
    return Error{ErrorCode::kInvalidArgument, "the Git source needs a cache directory for its mirror"};
  }
  NKD_RETURN_IF_ERROR_WRAP(create_private_directories(options.cache_dir),
                           "creating the Git mirror's cache directory");
  const std::string mirror_path = (std::filesystem::path(options.cache_dir) / "repo.git").string();
  NKD_ASSIGN_OR_RETURN(auto repository, open_mirror(mirror_path));
  git_remote* raw_remote = nullptr;
  int created_rc = 0;
  {
    // libgit2 1.5 applies the url.*.insteadOf rules through a config iterator whose PCRE2 match
    // data it never frees (about 20 KiB a remote; the source makes one remote for its lifetime).
    const LibraryAllocations library_allocations;
    created_rc = git_remote_create_anonymous(&raw_remote, repository.get(), options.url.c_str());
  }
  if (created_rc != 0) {
    Error error = last_error("setting up remote " + display_url(options.url),
                                  ErrorCode::kInvalidArgument);
    error.message = redact_url_credentials(std::move(error.message), options.url);
    return error;
  }
  RemotePtr remote_handle(raw_remote);
  if (!options.auth.ca_file.empty()) {
    // Process-wide in libgit2; the daemon has one repository, so one CA setting.
    git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, options.auth.ca_file.c_str(), nullptr);
  }
  return std::unique_ptr<LibGit2Source>(
      new LibGit2Source(std::move(options), std::move(remote), std::move(repository),
                        std::move(remote_handle), mirror_path, std::move(range)));
}

Result<LibGit2Source::Target> LibGit2Source::resolve_target(git_remote* remote) const {
  const git_remote_head** heads = nullptr;
  std::size_t count = 0;
  if (git_remote_ls(&heads, &count, remote) != 0) return last_error("listing remote refs", ErrorCode::kNetwork);
  std::vector<Advertised> refs;
  for (std::size_t i = 0; i < count; ++i) refs.push_back({heads[i]->name, heads[i]->oid});
  std::string chosen;
  if (range_) {
    std::vector<std::string> tags;
    for (const auto& ref : refs) {
      if (ref.name.starts_with(kTagPrefix) && !ref.name.ends_with(kPeelSuffix)) {
        tags.push_back(ref.name.substr(kTagPrefix.size()));
      }
    }
    auto best = semver::highest_match(tags, *range_);
    if (!best) {
      return Error{ErrorCode::kNotFound,
                   "no tag on " + display_url(options_.url) + " matches " + options_.ref +
                       "; the last applied state is kept until a matching tag is pushed"};
    }
    chosen = std::string(kTagPrefix) + *best;
  } else {
    for (const auto& name : candidate_names(options_.ref)) {
      if (find_ref(refs, name) != nullptr) {
        chosen = name;
        break;
      }
    }
    if (chosen.empty()) {
      return Error{ErrorCode::kNotFound,
                   "ref " + options_.ref + " is gone from " + display_url(options_.url) +
                       " (deleted or never pushed); the last applied state is kept"};
    }
  }
  Target target{.remote_ref = chosen};
  target.advertised = find_ref(refs, chosen)->id;
  const Advertised* peeled = find_ref(refs, chosen + std::string(kPeelSuffix));
  target.commit = peeled != nullptr ? peeled->id : target.advertised;
  return target;
}

std::optional<git_oid> LibGit2Source::watched_commit() const {
  git_oid id{};
  if (git_reference_name_to_id(&id, repository_.get(), kWatchedRef) != 0) return std::nullopt;
  return id;
}

Result<git_oid> LibGit2Source::peel_to_commit(const git_oid& id) const {
  git_object* raw = nullptr;
  if (git_object_lookup(&raw, repository_.get(), &id, GIT_OBJECT_ANY) != 0) {
    return last_error("looking up " + oid_hex(id) + " in the mirror", ErrorCode::kNotFound);
  }
  ObjectPtr object(raw);
  git_object* raw_commit = nullptr;
  if (git_object_peel(&raw_commit, object.get(), GIT_OBJECT_COMMIT) != 0) {
    return last_error(oid_hex(id) + " does not lead to a commit", ErrorCode::kInvalidArgument);
  }
  ObjectPtr commit(raw_commit);
  return *git_object_id(commit.get());
}

Status LibGit2Source::record_watched(const git_oid& commit) {
  git_reference* raw = nullptr;
  if (git_reference_create(&raw, repository_.get(), kWatchedRef, &commit, /*force=*/1,
                           "nkd fetch") != 0) {
    return last_error("recording the fetched commit in " + mirror_path_);
  }
  ReferencePtr owned(raw);
  return ok_status();
}

Result<bool> LibGit2Source::descends_from(const git_oid& commit, const git_oid& ancestor) const {
  const int rc = git_graph_descendant_of(repository_.get(), &commit, &ancestor);
  if (rc < 0) return last_error("checking the history of " + oid_hex(commit));
  return rc == 1;
}

}  // namespace nkd::source
