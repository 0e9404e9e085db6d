#include "source/remote_url.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>
#include <utility>

namespace nkd::source {

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

namespace {

// Where the user part of `url` is: [begin, end) before the '@' of its authority; nullopt when
// it has none.
std::optional<std::pair<std::size_t, std::size_t>> userinfo_span(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  const std::size_t begin = scheme_end + 3;
  const std::size_t authority_end = std::min(url.find_first_of("/?#", begin), url.size());
  const auto at = url.substr(begin, authority_end - begin).rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  return std::pair{begin, begin + at};
}

}  // namespace

std::string display_url(const std::string& url) {
  const auto span = userinfo_span(url);
  if (!span) return url;
  const auto [begin, end] = *span;
  // Over HTTP a token is as often the user name (https://<token>@host) as the password, so the
  // whole user part goes; elsewhere only a password does (ssh://git@host names no secret).
  if (url.starts_with("http://") || url.starts_with("https://")) {
    return url.substr(0, begin) + "<redacted>" + url.substr(end);
  }
  const auto colon = url.find(':', begin);
  if (colon == std::string::npos || colon > end) return url;
  return url.substr(0, colon) + url.substr(end);
}

std::string redact_url_credentials(std::string text, const std::string& url) {
  const auto span = userinfo_span(url);
  if (!span || span->second == span->first) return text;
  const std::string userinfo = url.substr(span->first, span->second - span->first);
  const std::string shown = display_url(url);
  // The whole URL first (shown as display_url shows it), then the user part wherever it is left.
  for (std::size_t at = text.find(url); at != std::string::npos; at = text.find(url, at + shown.size())) {
    text.replace(at, url.size(), shown);
  }
  const std::string_view kept = "<redacted>";
  for (std::size_t at = text.find(userinfo); at != std::string::npos;
       at = text.find(userinfo, at + kept.size())) {
    text.replace(at, userinfo.size(), kept);
  }
  return text;
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

}  // namespace nkd::source
