#include "common/dial_destination.h"

#include <curl/curl.h>
#include <sys/socket.h>

#include <charconv>
#include <memory>
#include <optional>
#include <string_view>

namespace nkd {

namespace {

using UrlPtr = std::unique_ptr<CURLU, decltype(&curl_url_cleanup)>;

std::string without_brackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::string(host);
}

std::optional<int> parse_port(std::string_view text) {
  int port = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (error != std::errc{} || end != text.data() + text.size() || port < 1 || port > 65535) {
    return std::nullopt;
  }
  return port;
}

// One host field of a connect-to string, from `position` to the next ':' outside brackets.
std::optional<std::string_view> next_host(std::string_view text, std::size_t& position) {
  std::size_t end = position;
  if (end < text.size() && text[end] == '[') {
    end = text.find(']', end);
    if (end == std::string_view::npos) return std::nullopt;
    ++end;
  }
  end = text.find(':', end);
  if (end == std::string_view::npos) return std::nullopt;
  const std::string_view host = text.substr(position, end - position);
  position = end + 1;
  return host;
}

Result<DialDestination> url_destination(const std::string& url) {
  UrlPtr parsed(curl_url(), curl_url_cleanup);
  if (!parsed) return Error{ErrorCode::kInternal, "creating a URL parser failed (out of memory?)"};
  char* host = nullptr;
  char* port = nullptr;
  if (curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK ||
      curl_url_get(parsed.get(), CURLUPART_HOST, &host, 0) != CURLUE_OK) {
    return Error{ErrorCode::kInvalidArgument, "'" + url + "' is not a URL with a host"};
  }
  DialDestination destination{.host = without_brackets(host)};
  curl_free(host);
  if (curl_url_get(parsed.get(), CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
    return Error{ErrorCode::kInvalidArgument, "'" + url + "' has no port and no known scheme"};
  }
  const auto number = parse_port(port);
  curl_free(port);
  if (!number) return Error{ErrorCode::kInvalidArgument, "'" + url + "' has an invalid port"};
  destination.port = *number;
  return destination;
}

}  // namespace

Result<DialDestination> dial_destination(const std::string& url, const std::string& connect_to) {
  auto destination = url_destination(url);
  if (!destination || connect_to.empty()) return destination;
  const std::string_view text(connect_to);
  const auto invalid = [&] {
    return Error{ErrorCode::kInvalidArgument,
                 "connect-to '" + connect_to +
                     "' is not HOST:PORT:CONNECT-HOST:CONNECT-PORT (IPv6 in brackets)"};
  };
  std::size_t position = 0;
  if (!next_host(text, position)) return invalid();
  const std::size_t port_end = text.find(':', position);
  if (port_end == std::string_view::npos) return invalid();
  position = port_end + 1;
  const auto target_host = next_host(text, position);
  if (!target_host) return invalid();
  const std::string_view target_port = text.substr(position);
  if (!target_host->empty()) destination->host = without_brackets(*target_host);
  if (!target_port.empty()) {
    const auto port = parse_port(target_port);
    if (!port) return invalid();
    destination->port = *port;
  }
  return destination;
}

std::string pinned_resolve_entry(const DialDestination& destination,
                                 const std::vector<IpAddress>& addresses) {
  std::string entry = destination.host + ":" + std::to_string(destination.port) + ":";
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    if (i > 0) entry += ",";
    const std::string text = addresses[i].to_string();
    entry += addresses[i].family == AF_INET6 ? "[" + text + "]" : text;
  }
  return entry;
}

}  // namespace nkd
