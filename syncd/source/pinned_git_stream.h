// PinnedGitConnections: while one lives, libgit2 opens its plain TCP streams through nkd (git://
// directly, https:// underneath its TLS layer, which still verifies the certificate against the
// URL's host name). nkd resolves the host once, checks every address against the egress allow
// list, and connects to a checked address within a connect timeout, with the same timeout on
// each read and write; libgit2 never resolves the name itself, so a DNS answer that changes
// after the check (rebinding) cannot move the connection.
//
// libgit2 1.5 keeps its stream registry process-wide, so one scope exists at a time (others
// wait on a process-wide lock). SSH cannot be pinned this way: libgit2's SSH transport takes
// the socket out of its own stream type, so for SSH remotes the scope only takes the lock and
// the caller checks the destination beforehand (a second lookup remains; docs/DESIGN.md §4).
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/cidr.h"
#include "common/result.h"

namespace nkd::git {

class PinnedGitConnections {
 public:
  using Resolver = std::function<Result<std::vector<IpAddress>>(const std::string& host, int port)>;

  // `pin`: register the stream (false for SSH remotes). `resolver` defaults to getaddrinfo.
  PinnedGitConnections(const CidrAllowList& allow, std::chrono::milliseconds timeout, bool pin,
                       Resolver resolver = {});
  ~PinnedGitConnections();
  PinnedGitConnections(const PinnedGitConnections&) = delete;
  PinnedGitConnections& operator=(const PinnedGitConnections&) = delete;

  // Why the last connection in this scope failed (egress refusal, lookup or connect failure),
  // with its error code; libgit2 reports it only as text.
  [[nodiscard]] const std::optional<Error>& connection_error() const { return connection_error_; }

  // For the stream callbacks: the scope in force on this process, or null.
  static PinnedGitConnections* active();
  // Resolves, checks and connects; a connected socket or the error (also kept for
  // connection_error()).
  Result<int> connect(const std::string& host, const std::string& port);
  [[nodiscard]] std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  std::unique_lock<std::mutex> lock_;
  const CidrAllowList& allow_;
  std::chrono::milliseconds timeout_;
  bool pinned_ = false;
  Resolver resolver_;
  std::optional<Error> connection_error_;
};

}  // namespace nkd::git
