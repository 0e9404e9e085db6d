#include "syncd/source/remote_url.h"

#include <charconv>

namespace nkd::git {

namespace {

struct Scheme {
  const char* prefix;
  Transport transport;
  int default_port;
};

constexpr Scheme kSchemes[] = {
    {"git://", Transport::kGit, 9418},     {"http://", Transport::kHttp, 80},
    {"https://", Transport::kHttps, 443},  {"ssh://", Transport::kSsh, 22},
    {"git+ssh://", Transport::kSsh, 22},   {"ssh+git://", Transport::kSsh, 22},
};

Error bad_url(const std::string& url, const std::string& why) {
  return Error{ErrorCode::kInvalidArgument,
               "repository URL '" + url + "' " + why +
                   "; use a path, file://, git://, http(s)://, ssh:// or user@host:path"};
}

// "user@host:port" or "[::1]:port" (the authority part of a URL).
Result<RemoteUrl> parse_authority(std::string authority, RemoteUrl remote, const std::string& url) {
  if (const auto at = authority.rfind('@'); at != std::string::npos) {
    remote.username = authority.substr(0, at);
    if (const auto colon = remote.username.find(':'); colon != std::string::npos) {
      remote.username.resize(colon);  // a password in the URL is never used or logged
    }
    authority = authority.substr(at + 1);
  }
  std::string port_text;
  if (!authority.empty() && authority[0] == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) return bad_url(url, "has an unclosed '['");
    remote.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port_text = authority.substr(close + 2);
  } else if (const auto colon = authority.rfind(':'); colon != std::string::npos) {
    remote.host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
  } else {
    remote.host = authority;
  }
  if (remote.host.empty()) return bad_url(url, "names no host");
  if (!port_text.empty()) {
    int port = 0;
    auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc() || end != port_text.data() + port_text.size() || port <= 0 || port > 65535) {
      return bad_url(url, "has a bad port '" + port_text + "'");
    }
    remote.port = port;
  }
  return remote;
}

}  // namespace

const char* transport_name(Transport transport) {
  switch (transport) {
    case Transport::kLocal: return "local";
    case Transport::kGit: return "git";
    case Transport::kHttp: return "http";
    case Transport::kHttps: return "https";
    case Transport::kSsh: return "ssh";
  }
  return "unknown";
}

std::string display_url(const std::string& url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  const auto authority_start = scheme_end + 3;
  const auto authority_end = url.find('/', authority_start);
  const auto at = url.rfind('@', authority_end);
  if (at == std::string::npos || at < authority_start) return url;
  const auto colon = url.find(':', authority_start);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon) + url.substr(at);
}

Result<RemoteUrl> parse_remote_url(const std::string& url) {
  if (url.empty()) return bad_url(url, "is empty");
  if (url.starts_with("file://") || url[0] == '/' || url[0] == '.') return RemoteUrl{};
  for (const Scheme& scheme : kSchemes) {
    const std::string prefix = scheme.prefix;
    if (!url.starts_with(prefix)) continue;
    const std::string rest = url.substr(prefix.size());
    const std::string authority = rest.substr(0, rest.find('/'));
    return parse_authority(authority, RemoteUrl{.transport = scheme.transport, .port = scheme.default_port}, url);
  }
  if (url.find("://") != std::string::npos) return bad_url(url, "has an unsupported scheme");
  // scp-style "user@host:path": a colon before the first slash.
  const auto colon = url.find(':');
  const auto slash = url.find('/');
  if (colon != std::string::npos && (slash == std::string::npos || colon < slash)) {
    std::string authority = url.substr(0, colon);
    RemoteUrl remote{.transport = Transport::kSsh, .port = 22};
    if (const auto at = authority.rfind('@'); at != std::string::npos) {
      remote.username = authority.substr(0, at);
      authority = authority.substr(at + 1);
    }
    if (authority.size() > 1 && authority.front() == '[' && authority.back() == ']') {
      authority = authority.substr(1, authority.size() - 2);
    }
    remote.host = authority;
    if (remote.host.empty()) return bad_url(url, "names no host");
    return remote;
  }
  return RemoteUrl{};  // a relative path
}

}  // namespace nkd::git
