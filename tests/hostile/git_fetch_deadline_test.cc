// LibGit2Source against servers that stop answering (tests/support/stalling_servers.h): every
// fetch ends with a kTimeout error naming what timed out within repository.fetchTimeout plus a
// small slack, cancel() ends a hung fetch at once, a fetch cut off mid-pack leaves the mirror
// usable, and polls do not grow the process's memory.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <future>
#include <thread>

#include "source/libgit2_source.h"
#include "tests/support/git_servers.h"
#include "tests/support/stalling_servers.h"

namespace nkd::source {
namespace {

using namespace std::chrono_literals;
using testing::ScratchDir;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kFetchTimeout = 1500ms;
// What a timed-out fetch may take beyond its deadline: the watcher's wake-up and the unwinding.
constexpr auto kSlack = 1000ms;

std::unique_ptr<LibGit2Source> open_source(const std::string& url, const std::string& cache_dir,
                                           std::chrono::milliseconds timeout = kFetchTimeout) {
  auto source =
      LibGit2Source::open(GitSourceOptions{.url = url,
                                           .cache_dir = cache_dir,
                                           .timeout = timeout,
                                           .egress = *CidrAllowList::parse("127.0.0.0/8")});
  EXPECT_TRUE(source.ok()) << (source.ok() ? "" : source.error().message);
  return source.ok() ? std::move(source).value() : nullptr;
}

struct TimedFetch {
  Result<FetchResult> result;
  std::chrono::milliseconds took;
};

TimedFetch timed_fetch(LibGit2Source& source) {
  const auto started = SteadyClock::now();
  auto result = source.fetch();
  return {std::move(result),
          std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started)};
}

// The fetch failed with kTimeout after about kFetchTimeout, saying where and which setting.
void expect_timed_out(const TimedFetch& fetched, int port) {
  ::testing::Test::RecordProperty("fetch_ms", static_cast<int>(fetched.took.count()));
  ASSERT_FALSE(fetched.result.ok());
  EXPECT_EQ(fetched.result.error().code, ErrorCode::kTimeout) << fetched.result.error().message;
  EXPECT_GE(fetched.took, kFetchTimeout - 50ms);
  EXPECT_LT(fetched.took, kFetchTimeout + kSlack);
  const std::string& message = fetched.result.error().message;
  EXPECT_NE(message.find("timed out after 1500 ms (repository.fetchTimeout)"), std::string::npos)
      << message;
  EXPECT_NE(message.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << message;
}

TEST(GitFetchDeadline, SilentGitDaemonTimesOut) {
  testing::StallingListener silent;
  ScratchDir cache;
  auto source =
      open_source("git://127.0.0.1:" + std::to_string(silent.port()) + "/defs.git", cache.str());
  ASSERT_NE(source, nullptr);
  const TimedFetch fetched = timed_fetch(*source);
  expect_timed_out(fetched, silent.port());
  EXPECT_NE(fetched.result.error().message.find("connecting to git://"), std::string::npos);
  EXPECT_EQ(silent.accepted(), 1);
}

TEST(GitFetchDeadline, SilentHttpServerTimesOut) {
  testing::StallingListener silent;
  ScratchDir cache;
  auto source = open_source("http://127.0.0.1:" + std::to_string(silent.port()) + "/git/defs.git",
                            cache.str());
  ASSERT_NE(source, nullptr);
  expect_timed_out(timed_fetch(*source), silent.port());
}

TEST(GitFetchDeadline, HttpServerThatStallsAfterAPartialAnswerTimesOut) {
  testing::StallingListener partial(
      "HTTP/1.1 200 OK\r\nContent-Type: application/x-git-upload-pack-advertisement\r\n"
      "Content-Length: 4096\r\n\r\n001e# service=git-upload-pack\n0000");
  ScratchDir cache;
  auto source = open_source("http://127.0.0.1:" + std::to_string(partial.port()) + "/git/defs.git",
                            cache.str());
  ASSERT_NE(source, nullptr);
  expect_timed_out(timed_fetch(*source), partial.port());
}

TEST(GitFetchDeadline, GitDaemonThatStallsAfterAPartialAdvertisementTimesOut) {
  testing::StallingListener partial("00a1");  // announces a 161-byte line and sends none of it
  ScratchDir cache;
  auto source =
      open_source("git://127.0.0.1:" + std::to_string(partial.port()) + "/defs.git", cache.str());
  ASSERT_NE(source, nullptr);
  expect_timed_out(timed_fetch(*source), partial.port());
}

TEST(GitFetchDeadline, CancelEndsAHungFetchAtOnceAndLaterFetchesFail) {
  testing::StallingListener silent;
  ScratchDir cache;
  auto source = open_source("git://127.0.0.1:" + std::to_string(silent.port()) + "/defs.git",
                            cache.str(), 60s);
  ASSERT_NE(source, nullptr);
  auto running = std::async(std::launch::async, [&] { return timed_fetch(*source); });
  ASSERT_TRUE(testing::wait_until([&] { return silent.accepted() == 1; }, 5s));
  std::this_thread::sleep_for(200ms);  // the fetch is now blocked waiting for an answer
  const auto cancelled_at = SteadyClock::now();
  source->cancel();
  ASSERT_EQ(running.wait_for(2s), std::future_status::ready) << "cancel() did not end the fetch";
  EXPECT_LT(SteadyClock::now() - cancelled_at, 500ms);
  const TimedFetch fetched = running.get();
  ASSERT_FALSE(fetched.result.ok());
  EXPECT_EQ(fetched.result.error().code, ErrorCode::kUnavailable) << fetched.result.error().message;
  EXPECT_NE(fetched.result.error().message.find("nkd is stopping"), std::string::npos);

  const TimedFetch later = timed_fetch(*source);
  ASSERT_FALSE(later.result.ok());
  EXPECT_LT(later.took, 500ms);
  EXPECT_EQ(silent.accepted(), 1);  // not even dialled
}

// A repository whose pack is far larger than what the proxy lets through.
struct LargeRepository {
  ScratchDir served;
  testing::GitRepoFixture repo{served.path(), "defs.git"};
  std::string head;
  LargeRepository() {
    testing::run_shell("head -c 400000 /dev/urandom | base64 > noise", repo.work_path().string());
    head = repo.commit({{"clusters/alpha/cluster.yaml", "name: alpha\n"}}, "initial with noise");
  }
};

TEST(GitFetchDeadline, FetchCutOffMidPackLeavesTheMirrorUsable) {
  LargeRepository large;
  testing::GitDaemonServer daemon(large.served.path());
  testing::StallingProxy proxy(daemon.port(), 20'000);
  ScratchDir cache;
  {
    auto stalled =
        open_source("git://127.0.0.1:" + std::to_string(proxy.port()) + "/defs.git", cache.str());
    ASSERT_NE(stalled, nullptr);
    const TimedFetch fetched = timed_fetch(*stalled);
    expect_timed_out(fetched, proxy.port());
    EXPECT_NE(fetched.result.error().message.find("downloading refs/heads/main"), std::string::npos)
        << fetched.result.error().message;
    EXPECT_EQ(proxy.stalled(), 1);
  }
  const auto locks = testing::run_shell("find " + cache.str() + " -name '*.lock'").out;
  EXPECT_EQ(locks, "") << "an aborted fetch left lock files";
  auto direct = open_source(daemon.url("defs.git"), cache.str(), 30s);
  ASSERT_NE(direct, nullptr);
  auto fetched = direct->fetch();
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(fetched->commit_id, large.head);
}

long resident_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  }
  return 0;
}

// libgit2 1.5 leaks about 75 KiB with each anonymous remote it creates; one per poll grew the
// process by some 18 MiB over these 250 polls. The bound is generous; bench/fetch_soak_bench
// measures.
TEST(GitFetchDeadline, PollsDoNotGrowResidentMemory) {
  ScratchDir served;
  testing::GitRepoFixture repo(served.path(), "defs.git");
  repo.commit({{"clusters/alpha/cluster.yaml", "name: alpha\n"}}, "initial");
  testing::GitDaemonServer daemon(served.path());
  ScratchDir cache;
  auto source = open_source(daemon.url("defs.git"), cache.str(), 30s);
  ASSERT_NE(source, nullptr);
  for (int poll = 0; poll < 50; ++poll) ASSERT_TRUE(source->fetch().ok());
  const long before_kib = resident_kib();
  for (int poll = 0; poll < 250; ++poll) ASSERT_TRUE(source->fetch().ok());
  EXPECT_LT(resident_kib() - before_kib, 4 * 1024) << "from " << before_kib << " KiB";
}

}  // namespace
}  // namespace nkd::source
