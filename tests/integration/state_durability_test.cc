// Crash durability of the SQLite state store: a child process writes attempts as fast as it can
// and is SIGKILLed at random moments; after each kill the file must open cleanly, pass SQLite's
// integrity check, keep the history rules, and still hold every write the child acknowledged.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "state/sqlite_state_store.h"
#include "tests/support/state_testing.h"
#include "tests/support/test_support.h"

namespace nkd::state {
namespace {

namespace fs = std::filesystem;
using nkd::testing::ScratchDir;

constexpr int kKills = 20;
constexpr int kClusters = 3;
constexpr int kDigests = 3;
// The child's first acknowledged write, on a disk shared with other tests' fsyncs.
constexpr int kFirstWriteTimeoutMs = 60000;
constexpr int kMaxChildIterations = 200000;  // far more than a child lives; bounds the loop

// One acknowledged finish, as the child wrote it: the row that holds the outcome afterwards.
struct Ack {
  std::int64_t id = 0;
  std::string cluster;
  std::string digest;
  std::string outcome;
  std::int64_t finished_at_ms = 0;
};

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Appends one line with a single write and syncs it: once the line is in the file, the write it
// reports was committed before.
bool append_line(int fd, const std::string& line) {
  const ssize_t written = ::write(fd, line.data(), line.size());
  return written == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
}

std::vector<NodeRecord> nodes_for(const std::string& cluster, const std::string& digest,
                                  int count) {
  std::vector<NodeRecord> nodes;
  for (int i = 0; i < count; ++i) {
    NodeRecord node;
    node.cluster = cluster;
    node.name = cluster + "-n" + std::to_string(i);
    node.config_digest = digest;
    node.state = nkd::state::NodeState::kReady;
    nodes.push_back(node);
  }
  return nodes;
}

// The child's whole life: never returns, never touches gtest (it is a fork of the test process).
// Writes one byte to `ready_fd` once its first write is acknowledged: every round then has one,
// and the kill lands among the next ones however slow the disk is.
[[noreturn]] void hammer(const std::string& db_path, const std::string& ack_path,
                         std::uint32_t seed, int ready_fd) {
  auto store = SqliteStateStore::open(db_path);
  if (!store) {
    std::fprintf(stderr, "child: %s\n", store.error().message.c_str());
    _exit(2);
  }
  const int ack_fd = ::open(ack_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (ack_fd < 0) _exit(3);
  bool ready_sent = false;
  std::mt19937 random(seed);
  for (int i = 0; i < kMaxChildIterations; ++i) {
    const std::string cluster = "c" + std::to_string(random() % kClusters);
    const std::string digest = "d" + std::to_string(random() % kDigests);
    const Outcome outcome = random() % 2 == 0 ? Outcome::kApplied : Outcome::kFailed;
    const int node_count = 1 + static_cast<int>(random() % 3);
    HistoryRow row;
    row.cluster = cluster;
    row.revision = "rev-" + std::to_string(seed) + "-" + std::to_string(i);
    row.render_digest = digest;
    row.started_at_ms = wall_ms();
    auto begun = (*store)->begin_attempt(row);
    if (!begun) _exit(4);
    ClusterRecord record;
    record.name = cluster;
    record.render_digest = digest;
    record.applied_revision = "nodes=" + std::to_string(node_count);
    const std::int64_t finished_at_ms = wall_ms();
    auto finished =
        (*store)->finish_attempt(begun->id, outcome, "seed " + std::to_string(seed), finished_at_ms,
                                 record, nodes_for(cluster, digest, node_count));
    if (!finished) _exit(5);
    // Only this process writes, so the newest row is the one that now holds this outcome (the
    // attempt's own row, or the earlier row it was folded into).
    auto newest = (*store)->history(cluster, 1);
    if (!newest || newest->empty()) _exit(6);
    const HistoryRow& kept = newest->front();
    std::ostringstream line;
    line << kept.id << ' ' << cluster << ' ' << digest << ' ' << to_string(outcome) << ' '
         << finished_at_ms << '\n';
    if (!append_line(ack_fd, line.str())) _exit(7);
    if (!ready_sent && ::write(ready_fd, "r", 1) != 1) _exit(3);
    ready_sent = true;
  }
  _exit(0);
}

// Kills and reaps the child if a failed assertion leaves the test early.
class ForkedChild {
 public:
  explicit ForkedChild(pid_t pid) : pid_(pid) {}
  ~ForkedChild() {
    if (pid_ > 0) kill_and_reap();
  }
  ForkedChild(const ForkedChild&) = delete;
  ForkedChild& operator=(const ForkedChild&) = delete;
  int kill_and_reap() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_;
};

bool wait_readable(int fd, int timeout_ms) {
  pollfd entry{.fd = fd, .events = POLLIN, .revents = 0};
  char byte = 0;
  return ::poll(&entry, 1, timeout_ms) == 1 && ::read(fd, &byte, 1) == 1;
}

std::vector<Ack> read_acks(const fs::path& path) {
  std::vector<Ack> acks;
  std::istringstream input(nkd::testing::read_file(path));
  std::string line;
  // A line without its newline was cut by the kill: its write is not acknowledged.
  while (std::getline(input, line) && !input.eof()) {
    Ack ack;
    std::istringstream fields(line);
    fields >> ack.id >> ack.cluster >> ack.digest >> ack.outcome >> ack.finished_at_ms;
    if (fields) acks.push_back(ack);
  }
  return acks;
}

void expect_history_rules(SqliteStateStore& store, const std::string& cluster) {
  auto rows = store.history(cluster, 0);
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    const HistoryRow& row = (*rows)[i];
    if (row.outcome == Outcome::kPending) {
      EXPECT_EQ(i, 0u) << cluster << ": pending row " << row.id << " is not the newest";
      continue;
    }
    if (i + 1 >= rows->size()) continue;
    const HistoryRow& older = (*rows)[i + 1];
    EXPECT_FALSE(older.render_digest == row.render_digest && older.outcome == row.outcome)
        << cluster << ": rows " << older.id << " and " << row.id << " repeat digest "
        << row.render_digest << " with outcome " << to_string(row.outcome);
  }
}

// The cluster record and its nodes are written in one transaction: they must always agree.
void expect_nodes_match_cluster(SqliteStateStore& store, const std::string& cluster) {
  auto record = store.get_cluster(cluster);
  ASSERT_TRUE(record.ok()) << record.error().message;
  auto nodes = store.nodes(cluster);
  ASSERT_TRUE(nodes.ok()) << nodes.error().message;
  if (!record->has_value()) {
    EXPECT_TRUE(nodes->empty()) << cluster;
    return;
  }
  EXPECT_EQ((*record)->applied_revision, "nodes=" + std::to_string(nodes->size())) << cluster;
  for (const NodeRecord& node : *nodes) {
    EXPECT_EQ(node.config_digest, (*record)->render_digest) << cluster << "/" << node.name;
  }
}

void expect_acks_present(SqliteStateStore& store, const std::vector<Ack>& acks) {
  std::map<std::string, std::map<std::int64_t, HistoryRow>> rows_by_cluster;
  for (int c = 0; c < kClusters; ++c) {
    const std::string cluster = "c" + std::to_string(c);
    auto rows = store.history(cluster, 0);
    ASSERT_TRUE(rows.ok()) << rows.error().message;
    for (const HistoryRow& row : *rows) rows_by_cluster[cluster][row.id] = row;
  }
  for (const Ack& ack : acks) {
    const auto& rows = rows_by_cluster[ack.cluster];
    const auto found = rows.find(ack.id);
    ASSERT_NE(found, rows.end()) << "acknowledged row " << ack.id << " of " << ack.cluster
                                 << " is gone";
    EXPECT_EQ(found->second.render_digest, ack.digest) << "row " << ack.id;
    EXPECT_EQ(to_string(found->second.outcome), ack.outcome) << "row " << ack.id;
    // A later repeat of the same outcome may move the finished time forward, never back.
    EXPECT_GE(found->second.finished_at_ms, ack.finished_at_ms) << "row " << ack.id;
  }
}

TEST(StateDurabilityTest, SurvivesRandomKillsWithoutLosingAcknowledgedWrites) {
  ScratchDir scratch;
  const fs::path db_path = scratch.path() / "state" / "state.db";
  const fs::path ack_path = scratch.path() / "acks.txt";
  const std::uint32_t seed = std::random_device{}();
  SCOPED_TRACE("random seed " + std::to_string(seed));
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> delay_ms(5, 80);

  std::size_t acks_seen = 0;
  for (int round = 0; round < kKills; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) hammer(db_path.string(), ack_path.string(), seed + round, ready[1]);
    ForkedChild child(pid);
    ::close(ready[1]);
    const bool wrote = wait_readable(ready[0], kFirstWriteTimeoutMs);
    ::close(ready[0]);
    ASSERT_TRUE(wrote) << "the writer acknowledged no write within " << kFirstWriteTimeoutMs
                       << " ms";
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
    const int status = child.kill_and_reap();
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped on its own with exit code "
                                     << (WIFEXITED(status) ? WEXITSTATUS(status) : -1);

    auto store = SqliteStateStore::open(db_path.string());
    ASSERT_TRUE(store.ok()) << store.error().message;
    auto integrity = (*store)->integrity_check();
    ASSERT_TRUE(integrity.ok()) << integrity.error().message;
    EXPECT_EQ(*integrity, "ok");
    for (int c = 0; c < kClusters; ++c) {
      expect_history_rules(**store, "c" + std::to_string(c));
      expect_nodes_match_cluster(**store, "c" + std::to_string(c));
    }
    const auto acks = fs::exists(ack_path) ? read_acks(ack_path) : std::vector<Ack>{};
    expect_acks_present(**store, acks);
    acks_seen = acks.size();
  }
  // Every round acknowledged a write before its kill (a healthy disk sees hundreds in all).
  EXPECT_GE(acks_seen, static_cast<std::size_t>(kKills));
  RecordProperty("acknowledged_writes", static_cast<int>(acks_seen));
}

}  // namespace
}  // namespace nkd::state
