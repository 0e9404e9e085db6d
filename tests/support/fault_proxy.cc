#include "tests/support/fault_proxy.h"

#include <httplib.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <set>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "common/crypto.h"

namespace nkd::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Enough workers that stalled requests never starve the others (httplib's default is 8).
constexpr std::size_t kProxyThreads = 48;
constexpr std::size_t kMaxLogLines = 20'000;

// Hop-by-hop headers, httplib's own pseudo-headers, and those httplib sets itself: never copied.
bool skipped_request_header(const std::string& name) {
  static const std::set<std::string> kSkipped = {
      "host", "content-length", "connection", "keep-alive", "transfer-encoding", "expect",
      "accept-encoding", "remote_addr", "remote_port", "local_addr", "local_port"};
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return kSkipped.contains(lower);
}

bool skipped_response_header(const std::string& name) {
  static const std::set<std::string> kSkipped = {"content-length", "connection", "keep-alive",
                                                 "transfer-encoding", "content-type"};
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return kSkipped.contains(lower);
}

void answer(httplib::Response& response, int status, const std::string& message) {
  response.status = status;
  response.headers.clear();
  const nlohmann::json body{{"computeFault", {{"code", status}, {"message", message}}}};
  response.set_content(body.dump(), "application/json");
}

std::string request_key(const httplib::Request& request) {
  return request.method + " " + request.target + " " + sha256_hex(request.body);
}

std::string log_line(std::string_view what, std::string_view phase,
                     const httplib::Request& request) {
  return std::string(what) + " " + std::string(phase) + " " + request.method + " " + request.target;
}

// Our accepted socket: local port is the proxy's, peer port is the client's.
int connection_socket(int local_port, int peer_port) {
  for (int fd = 3; fd < 4096; ++fd) {
    sockaddr_in local{};
    sockaddr_in peer{};
    socklen_t local_size = sizeof(local);
    socklen_t peer_size = sizeof(peer);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_size) != 0 ||
        getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_size) != 0) {
      continue;
    }
    if (local.sin_family == AF_INET && ntohs(local.sin_port) == local_port &&
        ntohs(peer.sin_port) == peer_port) {
      return fd;
    }
  }
  return -1;
}

}  // namespace

std::string_view to_string(FaultKind kind) {
  switch (kind) {
    case FaultKind::kInternalError: return "500";
    case FaultKind::kServiceUnavailable: return "503";
    case FaultKind::kTooManyRequests: return "429";
    case FaultKind::kConnectionReset: return "reset";
    case FaultKind::kStall: return "stall";
  }
  return "unknown";
}

std::vector<FaultKind> all_fault_kinds() {
  return {FaultKind::kInternalError, FaultKind::kServiceUnavailable, FaultKind::kTooManyRequests,
          FaultKind::kConnectionReset, FaultKind::kStall};
}

int FaultCounts::injected_total() const {
  int total = 0;
  for (const auto& [kind, count] : injected) total += count;
  return total;
}

FaultCounts& FaultCounts::operator+=(const FaultCounts& other) {
  requests += other.requests;
  forwarded += other.forwarded;
  for (const auto& [kind, count] : other.injected) injected[kind] += count;
  for (const auto& [kind, count] : other.injected_after_forward) {
    injected_after_forward[kind] += count;
  }
  posts_failed_after_forward += other.posts_failed_after_forward;
  early_retries += other.early_retries;
  return *this;
}

std::string origin_of(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  const auto path = url.find('/', scheme + 3);
  return path == std::string::npos ? url : url.substr(0, path);
}

FaultProxy::FaultProxy(std::string upstream_origin, FaultProxyOptions options)
    : upstream_(std::move(upstream_origin)), options_(std::move(options)),
      server_(std::make_unique<httplib::Server>()), fault_rate_(options_.fault_rate),
      random_(options_.seed) {
  // A reset makes httplib write to a shut-down socket; that must be an EPIPE, not a signal.
  std::signal(SIGPIPE, SIG_IGN);
  // httplib owns (and deletes) the queue it gets from this factory.
  server_->new_task_queue = [] { return new httplib::ThreadPool(kProxyThreads); };
  server_->set_keep_alive_max_count(1000);
  server_->set_payload_max_length(64u << 20);
  auto handler = [this](const httplib::Request& request, httplib::Response& response) {
    handle(request, response);
  };
  server_->Get(".*", handler);
  server_->Post(".*", handler);
  server_->Put(".*", handler);
  server_->Patch(".*", handler);
  server_->Delete(".*", handler);
  server_->Options(".*", handler);
  serving_ = std::make_unique<ServingThread>(*server_, "fault proxy for " + upstream_);
}

FaultProxy::~FaultProxy() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_signal_.notify_all();
  serving_.reset();
}

std::string FaultProxy::url() const { return serving_->url(); }

void FaultProxy::set_fault_rate(double rate) {
  std::lock_guard lock(mutex_);
  fault_rate_ = rate;
}

void FaultProxy::rewrite_in_responses(std::string from, std::string to) {
  std::lock_guard lock(mutex_);
  rewrites_.emplace_back(std::move(from), std::move(to));
}

FaultCounts FaultProxy::counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

std::vector<std::string> FaultProxy::fault_log() const {
  std::lock_guard lock(mutex_);
  return log_;
}

void FaultProxy::handle(const httplib::Request& request, httplib::Response& response) {
  const Plan plan = plan_for(request);
  if (plan.fault && !plan.after_forward) return inject(plan, request, response);
  forward(request, response);
  if (!plan.fault) return;
  if (request.method == "POST") {
    std::lock_guard lock(mutex_);
    ++counts_.posts_failed_after_forward;
  }
  inject(plan, request, response);
}

FaultProxy::Plan FaultProxy::plan_for(const httplib::Request& request) {
  const std::string key = request_key(request);
  std::lock_guard lock(mutex_);
  ++counts_.requests;
  if (auto refused = refused_until_.find(key); refused != refused_until_.end()) {
    if (SteadyClock::now() < refused->second) {
      ++counts_.early_retries;
      if (log_.size() < kMaxLogLines) log_.push_back(log_line("early-retry-after-429", "-", request));
    }
    refused_until_.erase(refused);
  }
  Plan plan;
  if (forced_used_ < options_.forced_after_forward.size() &&
      request.method + " " + request.target == options_.forced_request) {
    return Plan{.fault = true, .kind = options_.forced_after_forward[forced_used_++],
                .after_forward = true};
  }
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  if (options_.kinds.empty() || unit(random_) >= fault_rate_) return plan;
  plan.fault = true;
  std::uniform_int_distribution<std::size_t> pick(0, options_.kinds.size() - 1);
  plan.kind = options_.kinds[pick(random_)];
  const auto& late_kinds = options_.after_forward_kinds;
  plan.after_forward = std::find(late_kinds.begin(), late_kinds.end(), plan.kind) != late_kinds.end() &&
                       unit(random_) < options_.after_forward_share;
  return plan;
}

void FaultProxy::forward(const httplib::Request& request, httplib::Response& response) {
  httplib::Client client(upstream_);
  client.set_url_encode(false);  // the target is passed on exactly as the client sent it
  client.set_keep_alive(false);
  client.set_connection_timeout(5);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(options_.upstream_timeout);
  client.set_read_timeout(seconds.count());
  client.set_write_timeout(seconds.count());
  httplib::Request upstream_request;
  upstream_request.method = request.method;
  upstream_request.path = request.target;
  upstream_request.body = request.body;
  for (const auto& [name, value] : request.headers) {
    if (!skipped_request_header(name)) upstream_request.headers.emplace(name, value);
  }
  if (!request.body.empty() && !request.has_header("Content-Type")) {
    upstream_request.headers.emplace("Content-Type", "application/octet-stream");
  }
  httplib::Result result = client.send(upstream_request);
  {
    std::lock_guard lock(mutex_);
    ++counts_.forwarded;
  }
  if (!result) {
    return answer(response, 502,
                  "fault proxy: upstream " + upstream_ + " failed: " + httplib::to_string(result.error()));
  }
  response.status = result->status;
  for (const auto& [name, value] : result->headers) {
    if (!skipped_response_header(name)) response.headers.emplace(name, rewritten(value));
  }
  const std::string type = result->get_header_value("Content-Type");
  if (!result->body.empty() || !type.empty()) response.set_content(rewritten(result->body), type);
}

void FaultProxy::inject(const Plan& plan, const httplib::Request& request,
                        httplib::Response& response) {
  record(plan, request);
  switch (plan.kind) {
    case FaultKind::kInternalError:
      return answer(response, 500, "fault proxy: injected internal error");
    case FaultKind::kServiceUnavailable:
      return answer(response, 503, "fault proxy: injected service unavailable");
    case FaultKind::kTooManyRequests:
      remember_refusal(request);
      answer(response, 429, "fault proxy: injected rate limit");
      response.set_header("Retry-After", std::to_string(options_.retry_after_seconds));
      return;
    case FaultKind::kConnectionReset:
      if (!reset_connection(request)) answer(response, 502, "fault proxy: reset impossible");
      return;
    case FaultKind::kStall:
      wait_stall();
      // After forwarding, the late answer is the real one; before, the upstream never saw it.
      if (!plan.after_forward) answer(response, 504, "fault proxy: stalled request not forwarded");
      return;
  }
}

void FaultProxy::record(const Plan& plan, const httplib::Request& request) {
  std::lock_guard lock(mutex_);
  ++counts_.injected[plan.kind];
  if (plan.after_forward) ++counts_.injected_after_forward[plan.kind];
  if (log_.size() < kMaxLogLines) {
    log_.push_back(log_line(to_string(plan.kind), plan.after_forward ? "after" : "before", request));
  }
}

void FaultProxy::remember_refusal(const httplib::Request& request) {
  const auto until = SteadyClock::now() + std::chrono::seconds(options_.retry_after_seconds);
  std::lock_guard lock(mutex_);
  refused_until_[request_key(request)] = until;
}

std::string FaultProxy::rewritten(std::string text) const {
  std::lock_guard lock(mutex_);
  for (const auto& [from, to] : rewrites_) {
    std::size_t at = 0;
    while ((at = text.find(from, at)) != std::string::npos) {
      const std::size_t end = at + from.size();
      if (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) {
        at = end;  // a longer port that merely starts the same
        continue;
      }
      text.replace(at, from.size(), to);
      at += to.size();
    }
  }
  return text;
}

bool FaultProxy::reset_connection(const httplib::Request& request) {
  const int fd = connection_socket(port(), request.remote_port);
  if (fd < 0) return false;
  const linger abort_on_close{.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof(abort_on_close));
  shutdown(fd, SHUT_RDWR);
  return true;
}

void FaultProxy::wait_stall() {
  std::unique_lock lock(mutex_);
  stop_signal_.wait_for(lock, options_.stall, [this] { return stopping_; });
}

FaultProxySet::FaultProxySet(const std::string& keystone_origin,
                             const std::vector<std::string>& service_origins,
                             FaultProxyOptions options) {
  std::vector<std::string> origins{keystone_origin};
  for (const std::string& origin : service_origins) {
    if (std::find(origins.begin(), origins.end(), origin) == origins.end()) origins.push_back(origin);
  }
  for (const std::string& origin : origins) {
    proxies_.push_back(std::make_unique<FaultProxy>(origin, options));
    ++options.seed;
  }
  for (const auto& proxy : proxies_) {
    for (const auto& sibling : proxies_) proxy->rewrite_in_responses(sibling->upstream(), sibling->url());
  }
}

void FaultProxySet::set_fault_rate(double rate) {
  for (const auto& proxy : proxies_) proxy->set_fault_rate(rate);
}

FaultCounts FaultProxySet::counts() const {
  FaultCounts total;
  for (const auto& proxy : proxies_) total += proxy->counts();
  return total;
}

std::vector<std::string> FaultProxySet::fault_log() const {
  std::vector<std::string> lines;
  for (const auto& proxy : proxies_) {
    for (const std::string& line : proxy->fault_log()) lines.push_back(proxy->upstream() + " " + line);
  }
  return lines;
}

}  // namespace nkd::testing
