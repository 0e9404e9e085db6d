#include "tests/support/definitions_repository.h"

#include <cstdio>
#include <stdexcept>

namespace nkd::testing {

namespace fs = std::filesystem;

namespace {

void check(const CommandResult& result, const std::string& what) {
  if (result.exit_code != 0) throw std::runtime_error(what + " failed: " + result.err + result.out);
}

}  // namespace

DefinitionsRepository::DefinitionsRepository(fs::path dir, int extra_clusters)
    : dir_(std::move(dir)) {
  const fs::path work = work_dir();
  fs::create_directories(work / "clusters");
  fs::copy(source_dir() + "/examples-repo/clusters/edge-lab", work / "clusters/edge-lab",
           fs::copy_options::recursive);
  fs::copy(source_dir() + "/examples-repo/clusters/edge-lab", work / "clusters/lab-two",
           fs::copy_options::recursive);
  std::string copies;
  for (int i = 0; i < extra_clusters; ++i) {
    const std::string name = (i < 10 ? "lab-0" : "lab-") + std::to_string(i);
    // Each copy's machines get MACs of their own: a MAC names one node in the whole repository.
    char mac_byte[8];
    std::snprintf(mac_byte, sizeof(mac_byte), "%02x", (i + 2) & 0xff);
    copies += "cp -R clusters/lab-two clusters/" + name + " && sed -i 's/lab-two/" + name +
              "/g; s/52:54:00:00:01:/52:54:00:" + mac_byte + ":01:/' clusters/" + name +
              "/cluster.yaml && ";
  }
  publish(
      "sed -i 's/edge-lab/lab-two/g; s/52:54:00:00:00:0/52:54:00:00:01:0/' "
      "clusters/lab-two/cluster.yaml && " +
      copies);
}

DefinitionsRepository::DefinitionsRepository(fs::path dir,
                                             const std::map<std::string, std::string>& files)
    : dir_(std::move(dir)) {
  for (const auto& [path, contents] : files) {
    fs::create_directories((work_dir() / path).parent_path());
    write_file(work_dir() / path, contents);
  }
  publish("true && ");
}

DefinitionsRepository::~DefinitionsRepository() = default;

void DefinitionsRepository::publish(const std::string& prepare_script) {
  check(
      run_shell(prepare_script +
                    "git init -q -b main . && git add -A && "
                    "git -c user.name=Ops -c user.email=ops@example.org commit -q -m 'clusters' && "
                    "git clone -q --bare . ../srv/clusters.git && "
                    "git remote add origin ../srv/clusters.git",
                work_dir().string()),
      "creating the repository");
  port_ = free_port();
  git_daemon_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{
          "git", "daemon", "--reuseaddr", "--listen=127.0.0.1", "--port=" + std::to_string(port_),
          "--base-path=" + (dir_ / "srv").string(), "--export-all", (dir_ / "srv").string()},
      (dir_ / "git-daemon.log").string());
  const bool serving = wait_until(
      [&] {
        return run_command({"git", "ls-remote", url()}, "", "", std::chrono::seconds(5))
                   .exit_code == 0;
      },
      std::chrono::seconds(10));
  if (!serving) {
    throw std::runtime_error("git daemon did not start: " + read_file(dir_ / "git-daemon.log"));
  }
}

std::string DefinitionsRepository::url() const {
  return "git://127.0.0.1:" + std::to_string(port_) + "/clusters.git";
}

std::string DefinitionsRepository::commit(const std::string& script, const std::string& message) {
  check(run_shell(script +
                      " && git add -A && git -c user.name=Ops -c user.email=ops@example.org "
                      "commit -q -m '" +
                      message + "' && git push -q origin main",
                  work_dir().string()),
        "committing '" + message + "'");
  return head();
}

std::string DefinitionsRepository::head() {
  auto result = run_shell("git rev-parse HEAD", work_dir().string());
  check(result, "git rev-parse");
  return result.out.substr(0, 40);
}

}  // namespace nkd::testing
