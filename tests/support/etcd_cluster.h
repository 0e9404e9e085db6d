// EtcdCluster: a real etcd cluster of several members (Debian's etcd-server, three by default),
// all on 127.0.0.1 with ports it picks, for tests of what survives a member's death. Members
// start together, each with a data directory of its own; the cluster is ready once every member
// answers with a leader (fails the test, with the members' logs, if not within 20 s). Members
// are ended, and their directories removed, when the object goes. Not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "state/state_settings.h"
#include "tests/support/test_support.h"

namespace nkd::testing {

class EtcdCluster {
 public:
  explicit EtcdCluster(int members = 3);
  ~EtcdCluster();
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  [[nodiscard]] bool ready() const { return ready_; }
  [[nodiscard]] int size() const { return static_cast<int>(members_.size()); }
  // Every member's client URL, killed ones included (clients are expected to fail over).
  [[nodiscard]] std::vector<std::string> endpoints() const;
  // Settings for a store under `prefix` on every member.
  [[nodiscard]] state::EtcdSettings settings(const std::string& prefix) const;
  // Ends member `index` with SIGKILL (no goodbye to its peers) and reaps it.
  void kill_member(int index);
  [[nodiscard]] bool running(int index) const;
  // Every member's log, each under a header naming the member.
  [[nodiscard]] std::string log() const;

 private:
  struct Member {
    std::string name;
    int client_port = 0;
    int peer_port = 0;
    std::unique_ptr<ChildProcess> process;
  };

  [[nodiscard]] std::string client_url(const Member& member) const;

  ScratchDir dir_;
  std::vector<Member> members_;
  bool ready_ = false;
};

}  // namespace nkd::testing
