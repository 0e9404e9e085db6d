// The libgit2 callbacks of one remote operation: credentials from the configured files, the SSH
// host key checked against known_hosts, and a deadline enforced from the progress callbacks.
// A callback that refuses records a precise Error here, which the caller reports in preference to
// libgit2's generic message. One RemoteSession per connect; not shared between threads.
#pragma once

#include <git2.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "common/result.h"
#include "source/remote_url.h"
#include "source/source_settings.h"

namespace nkd::source {

class RemoteSession {
 public:
  RemoteSession(std::string url, RemoteUrl remote, const RepositoryAuth& auth,
                std::chrono::milliseconds timeout);

  // Callbacks whose payload is this session; it must outlive the operation.
  [[nodiscard]] git_remote_callbacks callbacks();
  // The callback's own error when one refused, else libgit2's last error, prefixed by `doing`.
  [[nodiscard]] Error failure(std::string_view doing, ErrorCode code = ErrorCode::kNetwork) const;

 private:
  static int on_credentials(git_credential** out, const char* url, const char* username_from_url,
                            unsigned int allowed_types, void* payload);
  static int on_certificate(git_cert* cert, int valid, const char* host, void* payload);
  static int on_transfer(const git_indexer_progress* stats, void* payload);
  static int on_sideband(const char* text, int length, void* payload);

  int credentials(git_credential** out, const char* username_from_url, unsigned int allowed_types);
  int check_host_key(const git_cert_hostkey& cert, const char* host);
  int refuse(Error error, int code);
  int check_deadline();

  std::string url_;
  RemoteUrl remote_;
  RepositoryAuth auth_;
  std::chrono::steady_clock::time_point deadline_;
  std::chrono::milliseconds timeout_;
  std::map<unsigned int, int> attempts_by_type_;
  std::optional<Error> failure_;
};

}  // namespace nkd::source
