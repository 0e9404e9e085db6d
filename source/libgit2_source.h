// LibGit2Source: the Source over libgit2. Keeps a bare mirror at <cache_dir>/repo.git; each
// fetch() lists the remote's refs, resolves the watched ref (a full ref, a branch or tag short
// name, or `semver:<range>` over tags) and downloads a pack only when the resolved commit is not
// already in the mirror. The mirror's refs/nkd/watched records the last fetched commit, so a
// restart does not re-download. Network remotes are vetted by the egress allow list before
// libgit2 dials them: every connection (git://, http(s)://, ssh://) goes to an address that was
// resolved once and checked (transfer_control.h); SSH host keys must be in the configured
// known_hosts file. A fetch ends with a kTimeout error once it has taken `timeout` (connecting,
// waiting for an answer or downloading), and cancel() ends it at once.
// Not thread-safe: call from one thread (the daemon's source thread). tree() readers are
// independent and may be used on other threads.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/cidr.h"
#include "common/semver.h"
#include "source/git_handles.h"
#include "source/remote_url.h"
#include "source/source.h"
#include "source/source_settings.h"
#include "source/transfer_control.h"

namespace nkd::source {

class RemoteSession;

struct GitSourceOptions {
  std::string url;
  std::string ref = "refs/heads/main";  // refs/..., a short name, or semver:<range>
  RepositoryAuth auth;
  std::string cache_dir;                // the mirror lives in <cache_dir>/repo.git
  std::chrono::milliseconds timeout{120'000};
  CidrAllowList egress;
  // Resolves the remote's host for the egress check and the connection; empty: getaddrinfo.
  std::function<Result<std::vector<IpAddress>>(const std::string& host, int port)> resolver;
};

class LibGit2Source final : public Source {
 public:
  // Opens (or creates) the mirror and checks the URL, the ref syntax and that this libgit2 can
  // speak the URL's transport. Connects to nothing.
  static Result<std::unique_ptr<LibGit2Source>> open(GitSourceOptions options);

  Result<FetchResult> fetch() override;
  void cancel() override { transfer_.cancel(); }
  Result<std::unique_ptr<model::TreeReader>> tree(const std::string& commit_id) override;
  Result<CommitInfo> commit_info(const std::string& commit_id) override;
  Result<std::vector<std::string>> changed_clusters(const std::string& from_commit,
                                                    const std::string& to_commit) override;
  Result<std::optional<CommitSignature>> signature(const std::string& commit_id) override;
  Result<std::vector<std::string>> commits_between(const std::string& from_commit,
                                                   const std::string& to_commit) override;

  [[nodiscard]] const std::string& mirror_path() const { return mirror_path_; }
  // The local ref holding the last fetched commit.
  static constexpr const char* kWatchedRef = "refs/nkd/watched";

 private:
  // fetch() without the scrubbing of credentials from its errors.
  Result<FetchResult> fetch_from_remote();

  struct Target {
    std::string remote_ref;  // e.g. refs/tags/v1.2.0
    git_oid commit{};        // peeled to a commit when the server advertised the peel
    git_oid advertised{};
  };

  LibGit2Source(GitSourceOptions options, RemoteUrl remote, RepositoryPtr repository,
                RemotePtr remote_handle, std::string mirror_path,
                std::optional<semver::Range> range)
      : options_(std::move(options)),
        remote_(std::move(remote)),
        repository_(std::move(repository)),
        remote_handle_(std::move(remote_handle)),
        mirror_path_(std::move(mirror_path)),
        range_(std::move(range)) {}

  // fetch_from_remote() with the remote connected: list, resolve, download what is missing.
  Result<FetchResult> fetch_connected(RemoteSession& session);
  // The reason a network step failed: the transfer's deadline or stop when it was cut off,
  // else what the callbacks or libgit2 said.
  [[nodiscard]] Error network_failure(const RemoteSession& session,
                                      std::string_view doing) const;

  Result<Target> resolve_target(git_remote* remote) const;
  [[nodiscard]] std::optional<git_oid> watched_commit() const;
  Result<git_oid> peel_to_commit(const git_oid& id) const;
  Status record_watched(const git_oid& commit);
  Result<bool> descends_from(const git_oid& commit, const git_oid& ancestor) const;

  GitSourceOptions options_;
  RemoteUrl remote_;
  RepositoryPtr repository_;
  // Made once and reused by every fetch: libgit2 1.5 leaks about 75 KiB with each
  // git_remote_create_anonymous. Anonymous, so the URL (and any credential in it) is not
  // written into the mirror's config.
  RemotePtr remote_handle_;
  std::string mirror_path_;
  std::optional<semver::Range> range_;
  TransferControl transfer_;
};

}  // namespace nkd::source
