#include "tests/support/etcd_cluster.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>

#include "tests/support/etcd_process.h"

namespace nkd::testing {

EtcdCluster::EtcdCluster(int members) {
  std::string initial_cluster;
  for (int i = 0; i < members; ++i) {
    Member member{.name = "member-" + std::to_string(i),
                  .client_port = free_port(),
                  .peer_port = free_port()};
    initial_cluster += (i > 0 ? "," : "") + member.name + "=" + etcd_peer_url(member.peer_port);
    members_.push_back(std::move(member));
  }
  for (Member& member : members_) {
    // A tenth of etcd's defaults: a leader's death costs about half a second of elections, and
    // heartbeats still have slack on a machine busy with other tests.
    member.process =
        std::make_unique<ChildProcess>(etcd_command({.name = member.name,
                                                     .data_dir = dir_.path() / member.name,
                                                     .client_url = client_url(member),
                                                     .peer_port = member.peer_port,
                                                     .initial_cluster = initial_cluster,
                                                     .heartbeat_ms = 50,
                                                     .election_timeout_ms = 500}),
                                       (dir_.path() / (member.name + ".log")).string());
  }
  ready_ = wait_until(
      [&] {
        return std::all_of(members_.begin(), members_.end(), [&](Member& member) {
          return !member.process->running() || etcd_answers(client_url(member));
        });
      },
      std::chrono::seconds(20));
  ready_ = ready_ && std::all_of(members_.begin(), members_.end(),
                                 [](Member& member) { return member.process->running(); });
  EXPECT_TRUE(ready_) << "the etcd cluster did not start:\n" << log();
}

EtcdCluster::~EtcdCluster() {
  for (Member& member : members_) member.process->stop(SIGTERM, std::chrono::seconds(5));
}

std::string EtcdCluster::client_url(const Member& member) const {
  return "http://127.0.0.1:" + std::to_string(member.client_port);
}

std::vector<std::string> EtcdCluster::endpoints() const {
  std::vector<std::string> urls;
  for (const Member& member : members_) urls.push_back(client_url(member));
  return urls;
}

state::EtcdSettings EtcdCluster::settings(const std::string& prefix) const {
  return state::EtcdSettings{.endpoints = endpoints(), .prefix = prefix, .timeout_ms = 5'000};
}

void EtcdCluster::kill_member(int index) {
  members_.at(static_cast<std::size_t>(index)).process->stop(SIGKILL, std::chrono::seconds(5));
}

bool EtcdCluster::running(int index) const {
  return members_.at(static_cast<std::size_t>(index)).process->running();
}

std::string EtcdCluster::log() const {
  std::string logs;
  for (const Member& member : members_) {
    logs += "--- " + member.name + "\n" + read_file(dir_.path() / (member.name + ".log"));
  }
  return logs;
}

}  // namespace nkd::testing
