// FakeSource: a Source over commits held in memory (an ID and its files), so the commit step and
// the daemon run without Git. What it models: a head that fetch() reports, each commit's tree
// and info, and which clusters/<name>/ folders differ between two commits. What not: transfers,
// force pushes (a head that moves anywhere is just a new head), cancellation (a no-op), links,
// history (commits_between gives the head alone); commits are unsigned unless given a signature.
// Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "source/source.h"

namespace nkd::testing {

class FakeSource final : public source::Source {
 public:
  using Files = std::map<std::string, std::string>;  // path -> content

  // Adds commit `id` with `files` and makes it the head.
  void add_commit(const std::string& id, Files files, const std::string& author = "dev");
  // While on, tree() and commit_info() fail with kUnavailable (a repository that cannot be read).
  void fail_reads(bool on);
  // While on, tree() throws (a library exception the daemon does not expect).
  void throw_on_read(bool on);

  // Gives commit `id` (added already) a signature.
  void set_signature(const std::string& id, source::CommitSignature signature);

  Result<source::FetchResult> fetch() override;
  void cancel() override {}
  Result<std::unique_ptr<model::TreeReader>> tree(const std::string& commit_id) override;
  Result<source::CommitInfo> commit_info(const std::string& commit_id) override;
  Result<std::vector<std::string>> changed_clusters(const std::string& from_commit,
                                                    const std::string& to_commit) override;
  Result<std::optional<source::CommitSignature>> signature(const std::string& commit_id) override;
  Result<std::vector<std::string>> commits_between(const std::string& from_commit,
                                                   const std::string& to_commit) override;

 private:
  struct Commit {
    Files files;
    source::CommitInfo info;
    std::optional<source::CommitSignature> signature;
  };
  [[nodiscard]] Result<const Commit*> find(const std::string& id) const;

  mutable std::mutex mutex_;
  std::map<std::string, Commit> commits_;
  std::string head_;
  std::string fetched_;
  bool fail_reads_ = false;
  bool throw_on_read_ = false;
};

}  // namespace nkd::testing
