// FakeForge: a stand-in for the commit-status endpoints of GitHub's REST API ("Create a commit
// status": POST /repos/{owner}/{repo}/statuses/{sha}) and Gitea's API (the same path under
// /api/v1), on 127.0.0.1 at a port it picks. It checks what the real ones check for this call:
// the Authorization header (GitHub: "Bearer <token>" or "token <token>"; Gitea: "token <token>";
// 401 otherwise), a JSON body whose `state` is one the forge knows (422 otherwise; Gitea also
// takes "warning"), a 40-hex commit id (422), and the repository (404 for another); and it
// answers 201 with the created status as JSON. It does not model permissions, rate limits, the
// combined-status endpoint or statuses on commits the repository lacks.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/support/serving_thread.h"

namespace nkd::testing {

struct ForgeStatus {
  std::string commit;
  std::string state;
  std::string description;
  std::string context;
  std::string target_url;
};

class FakeForge {
 public:
  // kind: "github" or "gitea"; repository: "owner/name".
  FakeForge(std::string kind, std::string repository, std::string token);
  ~FakeForge();
  FakeForge(const FakeForge&) = delete;
  FakeForge& operator=(const FakeForge&) = delete;

  // The base URL to put in forge.url (with /api/v1 for Gitea).
  [[nodiscard]] std::string api_url() const;
  [[nodiscard]] std::vector<ForgeStatus> statuses() const;
  // Statuses for one commit, in the order they arrived.
  [[nodiscard]] std::vector<ForgeStatus> statuses_for(const std::string& commit) const;
  // The next `count` requests answer 502, to exercise retries.
  void fail_next(int count) { failures_left_ = count; }
  [[nodiscard]] int requests() const { return requests_; }

 private:
  std::string kind_;
  std::string repository_;
  std::string token_;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<ServingThread> serving_;
  mutable std::mutex mutex_;
  std::vector<ForgeStatus> statuses_;
  std::atomic<int> failures_left_{0};
  std::atomic<int> requests_{0};
};

}  // namespace nkd::testing
