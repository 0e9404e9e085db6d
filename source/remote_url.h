// Classifies a repository URL as the Git transports see it, so the egress guard knows which host
// and port libgit2 is about to dial and the credential callbacks know which kind to offer.
// Pure; thread-safe.
#pragma once

#include <string>

#include "common/result.h"

namespace nkd::source {

enum class Transport { kLocal, kGit, kHttp, kHttps, kSsh };

struct RemoteUrl {
  Transport transport = Transport::kLocal;
  std::string host;      // without brackets for IPv6; empty for kLocal
  int port = 0;          // the default port of the transport when the URL names none
  std::string username;  // from "user@host", if any
};

// Accepts local paths, file://, git://, http(s)://, ssh:// and scp-style user@host:path.
// kInvalidArgument for other schemes or a URL without a host.
[[nodiscard]] Result<RemoteUrl> parse_remote_url(const std::string& url);

const char* transport_name(Transport transport);
// `url` for logs and error messages: over http(s) its whole user part becomes "<redacted>" (a
// token may be the user name), elsewhere any password is removed.
[[nodiscard]] std::string display_url(const std::string& url);
// `text` with `url` shown as display_url shows it and every other occurrence of its user part
// replaced by "<redacted>": libgit2's own messages may quote the URL it was given.
[[nodiscard]] std::string redact_url_credentials(std::string text, const std::string& url);

}  // namespace nkd::source
