#include "tests/fakes/fake_source.h"

#include <set>
#include <stdexcept>

#include "model/tree_reader.h"

namespace nkd::testing {

namespace {

// The files under clusters/<name>/, by cluster name.
std::map<std::string, FakeSource::Files> by_cluster(const FakeSource::Files& files) {
  constexpr std::string_view kPrefix = "clusters/";
  std::map<std::string, FakeSource::Files> clusters;
  for (const auto& [path, content] : files) {
    if (!path.starts_with(kPrefix)) continue;
    const std::string rest = path.substr(kPrefix.size());
    const auto slash = rest.find('/');
    if (slash == std::string::npos) continue;
    clusters[rest.substr(0, slash)].emplace(path, content);
  }
  return clusters;
}

}  // namespace

void FakeSource::add_commit(const std::string& id, Files files, const std::string& author) {
  std::lock_guard lock(mutex_);
  commits_[id] = Commit{.files = std::move(files),
                        .info = source::CommitInfo{.id = id,
                                                .author = author,
                                                .author_email = author + "@example.org",
                                                .committed_at_unix = 1'795'586'400,
                                                .summary = "commit " + id}};
  head_ = id;
}

void FakeSource::set_signature(const std::string& id, source::CommitSignature signature) {
  std::lock_guard lock(mutex_);
  commits_.at(id).signature = std::move(signature);
}

void FakeSource::fail_reads(bool on) {
  std::lock_guard lock(mutex_);
  fail_reads_ = on;
}

void FakeSource::throw_on_read(bool on) {
  std::lock_guard lock(mutex_);
  throw_on_read_ = on;
}

Result<source::FetchResult> FakeSource::fetch() {
  std::lock_guard lock(mutex_);
  if (head_.empty()) return Error{ErrorCode::kNotFound, "fake source: no commit yet"};
  source::FetchResult result{.commit_id = head_, .moved = head_ != fetched_};
  fetched_ = head_;
  return result;
}

Result<const FakeSource::Commit*> FakeSource::find(const std::string& id) const {
  if (fail_reads_) return Error{ErrorCode::kUnavailable, "fake source: reads fail"};
  const auto found = commits_.find(id);
  if (found == commits_.end()) return Error{ErrorCode::kNotFound, "fake source: no commit " + id};
  return &found->second;
}

Result<std::unique_ptr<model::TreeReader>> FakeSource::tree(const std::string& commit_id) {
  std::lock_guard lock(mutex_);
  if (throw_on_read_) throw std::runtime_error("fake source: thrown on read");
  auto commit = find(commit_id);
  if (!commit) return commit.error();
  return std::unique_ptr<model::TreeReader>(
      std::make_unique<model::MapTreeReader>((*commit)->files));
}

Result<source::CommitInfo> FakeSource::commit_info(const std::string& commit_id) {
  std::lock_guard lock(mutex_);
  auto commit = find(commit_id);
  if (!commit) return commit.error();
  return (*commit)->info;
}

Result<std::vector<std::string>> FakeSource::changed_clusters(const std::string& from_commit,
                                                              const std::string& to_commit) {
  std::lock_guard lock(mutex_);
  auto to = find(to_commit);
  if (!to) return to.error();
  const auto after = by_cluster((*to)->files);
  std::map<std::string, Files> before;
  if (!from_commit.empty()) {
    auto from = find(from_commit);
    if (!from) return from.error();
    before = by_cluster((*from)->files);
  }
  std::set<std::string> names;
  for (const auto& [name, files] : after) names.insert(name);
  for (const auto& [name, files] : before) names.insert(name);
  std::vector<std::string> changed;
  for (const std::string& name : names) {
    const auto old_files = before.find(name);
    const auto new_files = after.find(name);
    const bool same = old_files != before.end() && new_files != after.end() &&
                      old_files->second == new_files->second;
    if (!same) changed.push_back(name);
  }
  return changed;
}

Result<std::optional<source::CommitSignature>> FakeSource::signature(const std::string& commit_id) {
  std::lock_guard lock(mutex_);
  auto commit = find(commit_id);
  if (!commit) return commit.error();
  return (*commit)->signature;
}

Result<std::vector<std::string>> FakeSource::commits_between(const std::string& /*from_commit*/,
                                                             const std::string& to_commit) {
  std::lock_guard lock(mutex_);
  auto to = find(to_commit);
  if (!to) return to.error();
  return std::vector<std::string>{to_commit};
}

}  // namespace nkd::testing
