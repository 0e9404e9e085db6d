// DefinitionsRepository: a Git repository of cluster definitions served by a real `git daemon`
// on 127.0.0.1, and the work clone tests commit in. Under the directory it is given: work/ (the
// clone), srv/clusters.git (the bare repository served) and git-daemon.log. The daemon is
// stopped when the object goes; the directory belongs to the caller. Several `nkd syncd`
// processes may fetch from one repository (tests/support/replica_fixture.h).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "tests/support/test_support.h"

namespace nkd::testing {

class DefinitionsRepository {
 public:
  // Two bare-metal clusters, edge-lab (from examples-repo) and lab-two (a copy), plus
  // `extra_clusters` more copies named lab-00, lab-01, ... (each with MACs of its own).
  DefinitionsRepository(std::filesystem::path dir, int extra_clusters);
  // A repository holding exactly `files` (path -> contents), for benchmarks of large repositories.
  DefinitionsRepository(std::filesystem::path dir, const std::map<std::string, std::string>& files);
  ~DefinitionsRepository();
  DefinitionsRepository(const DefinitionsRepository&) = delete;
  DefinitionsRepository& operator=(const DefinitionsRepository&) = delete;

  // Runs `script` in the work clone, commits everything as "Ops", pushes; returns the new head.
  std::string commit(const std::string& script, const std::string& message);
  std::string head();
  [[nodiscard]] std::string url() const;
  [[nodiscard]] std::filesystem::path work_dir() const { return dir_ / "work"; }

 private:
  // Runs `prepare_script` in the work tree, commits it, makes the bare remote and serves it.
  void publish(const std::string& prepare_script);

  std::filesystem::path dir_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> git_daemon_;
};

}  // namespace nkd::testing
