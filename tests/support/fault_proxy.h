// FaultProxy: a reverse HTTP proxy on 127.0.0.1 in front of one upstream origin that injects the
// failures real clouds show, for tests of nkd's retry and idempotency rules (DESIGN.md §9).
//
// A share `fault_rate` of the requests, picked by a PRNG seeded from the options (the same seed
// gives the same choices for the same order of requests), gets one fault, spread evenly over the
// enabled kinds:
//   kInternalError       500 with an OpenStack-shaped error body
//   kServiceUnavailable  503 with an OpenStack-shaped error body
//   kTooManyRequests     429 with `Retry-After: <retry_after_seconds>`
//   kConnectionReset     the connection is torn down (TCP RST) without a response byte
//   kStall               no answer for `stall` (longer than the client's timeout), then one
// The kinds in `after_forward_kinds` (by default 500, reset and stall) are injected, with
// probability `after_forward_share`, AFTER the upstream has acted on the request: the service
// did the work and the client sees an error. That is the case that makes a careless client
// create duplicates. 429 and 503 are injected before forwarding by default, because they say
// "refused, not processed" (RFC 9110 §15.5.20 and §15.6.4; rate limiters, load balancers with no
// healthy backend and auth middleware send them before the service acts) and clients may resend
// a POST on them; add them to `after_forward_kinds` to model a gateway that breaks that rule.
// Before forwarding, a stalled request is never forwarded (it ends with a 504 after the stall), so
// "before" always means "the service did not see it".
//
// Connection resets: cpp-httplib has no call to drop a connection from a handler, so the handler
// finds its own accepted socket (the one whose local and peer ports are the request's), sets
// SO_LINGER to zero and shuts it down; httplib's response write then fails, and its close sends a
// RST. No HTTP is parsed or written by hand. SIGPIPE is ignored process-wide for that reason.
//
// Response bodies and headers can be rewritten (rewrite_in_responses): FaultProxySet uses it to
// turn the origins in Keystone's service catalog into its sibling proxies' URLs, so a client that
// authenticates through the proxy reaches every service through a proxy too.
//
// Thread-safe. The destructor ends stalls at once and stops the server before returning.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/support/serving_thread.h"

namespace nkd::testing {

enum class FaultKind { kInternalError, kServiceUnavailable, kTooManyRequests, kConnectionReset, kStall };

[[nodiscard]] std::string_view to_string(FaultKind kind);
[[nodiscard]] std::vector<FaultKind> all_fault_kinds();

struct FaultProxyOptions {
  double fault_rate = 0.2;
  std::uint64_t seed = 1;
  double after_forward_share = 0.5;  // of the faults whose kind is in after_forward_kinds
  std::vector<FaultKind> after_forward_kinds = {FaultKind::kInternalError,
                                                FaultKind::kConnectionReset, FaultKind::kStall};
  std::chrono::milliseconds stall{6'000};
  int retry_after_seconds = 1;
  std::vector<FaultKind> kinds = all_fault_kinds();
  std::chrono::milliseconds upstream_timeout{120'000};
  // The first requests whose "METHOD target" equals `forced_request` get these faults, in order,
  // AFTER the upstream acted (on top of the random ones): a test's guarantee that the case that
  // makes duplicates happens at least once per kind listed, whatever the PRNG draws.
  std::string forced_request;
  std::vector<FaultKind> forced_after_forward;
};

struct FaultCounts {
  int requests = 0;   // requests received
  int forwarded = 0;  // requests the upstream received
  std::map<FaultKind, int> injected;                // per kind, before or after forwarding
  std::map<FaultKind, int> injected_after_forward;  // per kind, after the upstream acted
  int posts_failed_after_forward = 0;  // POSTs the upstream acted on whose answer was a fault
  // Repeats of a request (same method, target and body) that was answered 429, sent before its
  // Retry-After had passed.
  int early_retries = 0;

  [[nodiscard]] int injected_total() const;
  FaultCounts& operator+=(const FaultCounts& other);
};

class FaultProxy {
 public:
  // `upstream_origin` is "http://127.0.0.1:<port>" (no path). Binds 127.0.0.1 on a free port and
  // serves at once; throws std::runtime_error when it cannot bind (test setup, not a value path).
  explicit FaultProxy(std::string upstream_origin, FaultProxyOptions options = {});
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  [[nodiscard]] std::string url() const;  // "http://127.0.0.1:<port>"
  [[nodiscard]] int port() const { return serving_->port(); }
  [[nodiscard]] const std::string& upstream() const { return upstream_; }
  // From now on, a share `rate` of the requests gets a fault (0 turns faults off).
  void set_fault_rate(double rate);
  // In every response body and header value from now on, `from` (an origin such as
  // "http://127.0.0.1:8774", where the next character is not a digit) becomes `to`.
  void rewrite_in_responses(std::string from, std::string to);
  [[nodiscard]] FaultCounts counts() const;
  // One line per injected fault and per early retry: "<kind> <phase> <METHOD> <target>".
  [[nodiscard]] std::vector<std::string> fault_log() const;

 private:
  struct Plan {
    bool fault = false;
    FaultKind kind = FaultKind::kInternalError;
    bool after_forward = false;
  };

  void handle(const httplib::Request& request, httplib::Response& response);
  Plan plan_for(const httplib::Request& request);
  void forward(const httplib::Request& request, httplib::Response& response);
  void inject(const Plan& plan, const httplib::Request& request, httplib::Response& response);
  void record(const Plan& plan, const httplib::Request& request);
  void remember_refusal(const httplib::Request& request);
  std::string rewritten(std::string text) const;
  bool reset_connection(const httplib::Request& request);
  void wait_stall();

  const std::string upstream_;
  const FaultProxyOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<ServingThread> serving_;

  mutable std::mutex mutex_;
  std::condition_variable stop_signal_;
  bool stopping_ = false;
  double fault_rate_;
  std::size_t forced_used_ = 0;
  std::mt19937_64 random_;
  std::vector<std::pair<std::string, std::string>> rewrites_;
  FaultCounts counts_;
  std::vector<std::string> log_;
  // Request key -> until when a repeat of a request refused with 429 is too early.
  std::map<std::string, std::chrono::steady_clock::time_point> refused_until_;
};

// One FaultProxy in front of Keystone and one in front of each other origin its catalog names,
// each rewriting every origin of the set to the matching proxy's URL. Clients point auth_url at
// keystone_url() and from then on reach every service through a proxy. Seeds are `seed`,
// `seed + 1`, ... in the order of `origins`.
class FaultProxySet {
 public:
  // `keystone_origin` and `service_origins` are "http://127.0.0.1:<port>" each.
  FaultProxySet(const std::string& keystone_origin, const std::vector<std::string>& service_origins,
                FaultProxyOptions options);
  [[nodiscard]] std::string keystone_url() const { return proxies_.front()->url(); }
  [[nodiscard]] const std::vector<std::unique_ptr<FaultProxy>>& proxies() const { return proxies_; }
  void set_fault_rate(double rate);
  [[nodiscard]] FaultCounts counts() const;  // summed over the proxies
  [[nodiscard]] std::vector<std::string> fault_log() const;  // each line prefixed by its upstream

 private:
  std::vector<std::unique_ptr<FaultProxy>> proxies_;
};

// "http://127.0.0.1:8774" from "http://127.0.0.1:8774/v2.1"; "" when `url` has no scheme.
[[nodiscard]] std::string origin_of(const std::string& url);

}  // namespace nkd::testing
