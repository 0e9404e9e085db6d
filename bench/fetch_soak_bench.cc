// Resident memory of the Git source over many polls: LibGit2Source::fetch() against a real
// `git daemon` on 127.0.0.1 (git://) and against the same repository over file://, with a new
// commit every 50 polls so some polls download a pack. Prints VmRSS after the first 100 polls
// and after the last one, and their ratio: a per-poll leak shows as growth between the two.
// Usage: nkd_fetch_soak_bench [polls]   (default 1000)
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "source/libgit2_source.h"
#include "tests/support/git_servers.h"

namespace {

double resident_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) return std::stod(line.substr(6));
  }
  return 0;
}

struct Soak {
  double after_100_kib = 0;
  double after_all_kib = 0;
  int failures = 0;
};

Soak soak(const std::string& url, nkd::testing::GitRepoFixture& repo, int polls) {
  nkd::testing::ScratchDir cache;
  auto source = nkd::source::LibGit2Source::open(nkd::source::GitSourceOptions{
      .url = url, .cache_dir = cache.str(), .egress = *nkd::CidrAllowList::parse("127.0.0.0/8")});
  if (!source) {
    std::fprintf(stderr, "cannot open the source: %s\n", source.error().message.c_str());
    std::exit(1);
  }
  Soak figures;
  for (int poll = 1; poll <= polls; ++poll) {
    if (poll % 50 == 0) repo.commit({{"clusters/soak/round", std::to_string(poll) + "\n"}}, "soak");
    if (!(*source)->fetch()) ++figures.failures;
    if (poll == 100) figures.after_100_kib = resident_kib();
  }
  figures.after_all_kib = resident_kib();
  return figures;
}

void print_row(const char* transport, int polls, const Soak& figures) {
  std::printf("| %s | %.0f KiB | %.0f KiB | %.3f | %.1f KiB | %d |\n", transport,
              figures.after_100_kib, figures.after_all_kib,
              figures.after_all_kib / figures.after_100_kib,
              (figures.after_all_kib - figures.after_100_kib) / (polls - 100), figures.failures);
}

}  // namespace

int main(int argc, char** argv) {
  const int polls = argc > 1 ? std::max(std::atoi(argv[1]), 101) : 1000;
  nkd::testing::ScratchDir served;
  nkd::testing::GitRepoFixture repo(served.path(), "defs.git");
  repo.commit({{"clusters/soak/cluster.yaml", "name: soak\n"}}, "initial");
  nkd::testing::GitDaemonServer daemon(served.path());
  const Soak over_git = soak(daemon.url("defs.git"), repo, polls);
  const Soak over_file = soak("file://" + repo.bare_path().string(), repo, polls);
  std::printf(
      "| transport | RSS after 100 polls | RSS after %d polls | ratio | growth per poll | "
      "failed polls |\n|---|---:|---:|---:|---:|---:|\n",
      polls);
  print_row("git://", polls, over_git);
  print_row("file://", polls, over_file);
  return 0;
}
