// OpenStackProvider under injected faults (DESIGN.md §9): with FaultProxy (tests/support/) between
// nkd and every OpenStack API answering 20 % of the requests with a 500, a 503, a 429 with
// Retry-After, a connection reset or a stall past the request timeout (some of them after the
// service acted), a 3 + 5 cluster converges to exactly 8 servers and 8 ports, one per name,
// counted directly against the real API. First, the proxy's own behaviour is checked against a local upstream.
//
// Settings: every request's timeout is capped at 5 s (the provider has no option for it, so the
// test's HttpClient caps it), stalls last 6 s, Retry-After is 1 s; apply() is repeated every
// second, as the reconciler's retries would, for at most kConvergeDeadline.
#include <gtest/gtest.h>
#include <httplib.h>


#include <atomic>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "tests/integration/openstack_provider_fixture.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/serving_thread.h"

namespace nkd::providers::openstack {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FaultCounts;
using testing::FaultKind;
using testing::FaultProxy;
using testing::FaultProxyOptions;
using testing::FaultProxySet;
using testing::OpenStackControlPlane;

constexpr std::int64_t kRequestTimeoutMs = 5'000;
constexpr milliseconds kStall{6'000};
constexpr auto kConvergeDeadline = std::chrono::minutes(8);

// Caps each request's timeout: the provider sends OpenStack calls with its 30 s default, and a
// stall must trip the timeout well within the test's deadline.
class TimeoutCappingHttpClient final : public HttpClient {
 public:
  TimeoutCappingHttpClient(HttpClient& inner, std::int64_t max_timeout_ms)
      : inner_(inner), max_timeout_ms_(max_timeout_ms) {}
  Result<HttpResponse> send(const HttpRequest& request) override {
    HttpRequest capped = request;
    capped.timeout_ms = std::min(capped.timeout_ms, max_timeout_ms_);
    capped.connect_timeout_ms = std::min(capped.connect_timeout_ms, max_timeout_ms_);
    return inner_.send(capped);
  }

 private:
  HttpClient& inner_;
  const std::int64_t max_timeout_ms_;
};

// An upstream for the proxy's own checks: answers every request with its method and target and a
// link to its own origin, and counts what it received.
class LocalUpstream {
 public:
  LocalUpstream() {
    auto handler = [this](const httplib::Request& request, httplib::Response& response) {
      ++received_;
      response.set_header("Location", origin() + request.target);
      response.set_content(R"({"seen": ")" + request.method + " " + request.target +
                               R"(", "self": ")" + origin() + R"(/v2.1", "other": ")" + origin() +
                               R"(7/x"})",
                           "application/json");
    };
    server_.Get(".*", handler);
    server_.Post(".*", handler);
    serving_ = std::make_unique<testing::ServingThread>(server_, "upstream");
  }
  [[nodiscard]] std::string origin() const { return serving_->url(); }
  [[nodiscard]] int received() const { return received_; }

 private:
  std::atomic<int> received_{0};
  httplib::Server server_;
  std::unique_ptr<testing::ServingThread> serving_;
};

FaultProxyOptions only(FaultKind kind, double after_forward_share) {
  return FaultProxyOptions{.fault_rate = 1.0, .after_forward_share = after_forward_share,
                           .stall = milliseconds(1'500), .kinds = {kind}};
}

class FaultProxyBehaviour : public ::testing::Test {
 protected:
  Result<HttpResponse> get(const FaultProxy& proxy, const std::string& target,
                           std::int64_t timeout_ms = 3'000) {
    return http_.send(HttpRequest{.url = proxy.url() + target, .timeout_ms = timeout_ms});
  }
  LocalUpstream upstream_;
  CurlHttpClient http_{testing::loopback_only()};
};

TEST_F(FaultProxyBehaviour, ForwardsUnchangedWhenNoFaultIsDrawnAndRewritesOrigins) {
  FaultProxy proxy(upstream_.origin(), FaultProxyOptions{.fault_rate = 0.0});
  proxy.rewrite_in_responses(upstream_.origin(), "http://127.0.0.1:1");
  Result<HttpResponse> response = get(proxy, "/v2.1/servers?name=%5Efaults-&limit=5");
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_NE(response->body.find("GET /v2.1/servers?name=%5Efaults-&limit=5"), std::string::npos)
      << "the target reaches the upstream as sent: " << response->body;
  EXPECT_NE(response->body.find(R"("self": "http://127.0.0.1:1/v2.1")"), std::string::npos);
  EXPECT_NE(response->body.find(upstream_.origin() + "7/x"), std::string::npos)
      << "an origin with a longer port is not rewritten";
  // httplib's client percent-decodes header values, so only the rewritten origin is compared.
  EXPECT_TRUE(response->header("location").starts_with("http://127.0.0.1:1/v2.1/servers?name="))
      << response->header("location");
  EXPECT_EQ(proxy.counts().forwarded, 1);
  EXPECT_EQ(proxy.counts().injected_total(), 0);
}

TEST_F(FaultProxyBehaviour, ResetBeforeForwardingIsATransportErrorTheUpstreamNeverSees) {
  FaultProxy proxy(upstream_.origin(), only(FaultKind::kConnectionReset, 0.0));
  Result<HttpResponse> response = get(proxy, "/reset");
  ASSERT_FALSE(response.ok()) << "got HTTP " << response->status;
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable) << response.error().message;
  EXPECT_EQ(upstream_.received(), 0);
  EXPECT_EQ(proxy.counts().injected.at(FaultKind::kConnectionReset), 1);
}

TEST_F(FaultProxyBehaviour, FaultAfterForwardingHidesAnActionTheUpstreamTook) {
  FaultProxy proxy(upstream_.origin(), only(FaultKind::kConnectionReset, 1.0));
  Result<HttpResponse> created =
      http_.send(HttpRequest{.method = "POST", .url = proxy.url() + "/servers", .body = "{}"});
  EXPECT_FALSE(created.ok());
  EXPECT_EQ(upstream_.received(), 1);
  EXPECT_EQ(proxy.counts().posts_failed_after_forward, 1);
  EXPECT_EQ(proxy.counts().injected_after_forward.at(FaultKind::kConnectionReset), 1);
}

TEST_F(FaultProxyBehaviour, StallOutlastsTheClientTimeout) {
  FaultProxy proxy(upstream_.origin(), only(FaultKind::kStall, 0.0));
  Result<HttpResponse> response = get(proxy, "/stall", 500);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, ErrorCode::kTimeout) << response.error().message;
  EXPECT_EQ(upstream_.received(), 0);
}

TEST_F(FaultProxyBehaviour, TooManyRequestsCarriesRetryAfterAndCountsEarlyRepeats) {
  FaultProxy proxy(upstream_.origin(), only(FaultKind::kTooManyRequests, 1.0));
  Result<HttpResponse> first = get(proxy, "/limited");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->status, 429);
  EXPECT_EQ(first->header("retry-after"), "1");
  EXPECT_EQ(upstream_.received(), 0) << "a rate limit refuses before the service acts";
  ASSERT_TRUE(get(proxy, "/limited").ok());  // at once: too early
  std::this_thread::sleep_for(milliseconds(1'100));
  ASSERT_TRUE(get(proxy, "/limited").ok());  // after Retry-After: fine
  EXPECT_EQ(proxy.counts().early_retries, 1);
}

TEST_F(FaultProxyBehaviour, SpreadsTheConfiguredRateOverEveryKind) {
  FaultProxyOptions options{.fault_rate = 0.2, .seed = 7, .stall = milliseconds(300)};
  FaultProxy proxy(upstream_.origin(), options);
  constexpr int kRequests = 400;
  for (int i = 0; i < kRequests; ++i) (void)get(proxy, "/r" + std::to_string(i), 200);
  const FaultCounts counts = proxy.counts();
  EXPECT_EQ(counts.requests, kRequests);
  EXPECT_GT(counts.injected_total(), kRequests / 10);
  EXPECT_LT(counts.injected_total(), kRequests * 3 / 10);
  for (FaultKind kind : testing::all_fault_kinds()) {
    EXPECT_GT(counts.injected.count(kind) ? counts.injected.at(kind) : 0, 0) << to_string(kind);
  }
}

// --- The provider against the real cloud, through the proxies --------------------------------

// Name -> number of servers of that name, as the openstack client lists them (no proxy).
std::map<std::string, int> servers_by_name(const std::string& prefix) {
  std::istringstream lines(OpenStackControlPlane::openstack(
      OpenStackControlPlane::kDemoCloud,
      {"server", "list", "--name", "^" + prefix, "-f", "value", "-c", "ID", "-c", "Name"}));
  std::map<std::string, int> names;
  std::string id, name;
  while (lines >> id >> name) {
    if (name.starts_with(prefix)) ++names[name];
  }
  return names;
}

std::string joined(const std::vector<std::string>& lines, std::size_t last = 40) {
  std::string text;
  const std::size_t from = lines.size() > last ? lines.size() - last : 0;
  for (std::size_t i = from; i < lines.size(); ++i) text += "\n  " + lines[i];
  return text;
}

std::vector<std::string> lines_containing(const std::vector<std::string>& lines,
                                          std::string_view word) {
  std::vector<std::string> found;
  for (const std::string& line : lines) {
    if (line.find(word) != std::string::npos) found.push_back(line);
  }
  return found;
}

// The provider fixture's cluster name, state file, clouds and cleanup, plus the catalog's origins.
class OpenStackFaults : public OpenStackProviderContract {
 protected:
  // Every origin in the demo project's catalog, read directly from Keystone.
  std::vector<std::string> catalog_origins() {
    Keystone keystone(find_cloud(clouds_, OpenStackControlPlane::kDemoCloud).value(), http_, clock_,
                      nullptr);
    Result<Token> token = keystone.token();
    EXPECT_TRUE(token.ok()) << token.error().message;
    std::vector<std::string> origins;
    if (!token) return origins;
    for (const CatalogEndpoint& endpoint : token->catalog) origins.push_back(testing::origin_of(endpoint.url));
    return origins;
  }
};

TEST_F(OpenStackFaults, ClusterConvergesToExactlyEightServersWithTwentyPercentFaults) {
  const std::string keystone_origin = testing::origin_of(
      find_cloud(clouds_, OpenStackControlPlane::kDemoCloud).value().auth.auth_url);
  FaultProxySet proxies(keystone_origin, catalog_origins(),
                        FaultProxyOptions{.fault_rate = 0.2, .seed = 2026, .stall = kStall,
                                          .forced_request = "POST /v2.1/servers",
                                          .forced_after_forward = {FaultKind::kInternalError,
                                                                   FaultKind::kConnectionReset,
                                                                   FaultKind::kStall}});
  clouds_[OpenStackControlPlane::kDemoCloud].auth.auth_url = proxies.keystone_url() + "/v3";
  TimeoutCappingHttpClient capped(http_, kRequestTimeoutMs);
  OpenStackProviderOptions options;
  options.active_timeout = std::chrono::minutes(4);
  options.delete_timeout = std::chrono::minutes(2);
  options.recreate_backoff = milliseconds(500);
  OpenStackProvider provider(clouds_, capped, clock_, *state_, &metrics_, options);

  model::Cluster cluster = make_cluster(cluster_, OpenStackControlPlane::kDemoCloud, 5);
  cluster.pools[0].replicas = 3;  // 3 + 5
  const render::ClusterRender render = make_render(cluster);
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::string> failures;
  bool converged = false;
  int applies = 0;
  while (!converged && std::chrono::steady_clock::now() - started < kConvergeDeadline) {
    ++applies;
    Result<ApplyOutcome> outcome = provider.apply(cluster, render, {});
    converged = outcome.ok() && outcome->complete;
    if (!converged) {
      failures.push_back(outcome.ok() ? "incomplete: " + outcome->message : outcome.error().message);
      std::this_thread::sleep_for(seconds(1));
    }
  }
  const auto elapsed = std::chrono::duration_cast<seconds>(std::chrono::steady_clock::now() - started);
  const FaultCounts counts = proxies.counts();
  proxies.set_fault_rate(0.0);
  std::cout << "converged=" << converged << " after " << applies << " applies in " << elapsed.count()
            << " s; " << counts.requests << " requests, " << counts.forwarded << " forwarded, "
            << counts.injected_total() << " faults, " << counts.posts_failed_after_forward
            << " POSTs failed after the service acted\n";
  ASSERT_TRUE(converged) << "no convergence within the deadline; apply failures:" << joined(failures)
                         << "\nlast faults:" << joined(proxies.fault_log());

  // Counted directly against the API, not through the proxies.
  const std::map<std::string, int> names = servers_by_name(cluster_ + "-");
  std::map<std::string, int> expected;
  for (const render::NodeRender& node : render.nodes) expected[node.node.name] = 1;
  EXPECT_EQ(names, expected) << "duplicates or missing servers; faults injected:"
                             << joined(proxies.fault_log(), 400);
  EXPECT_EQ(OpenStackControlPlane::server_ids(OpenStackControlPlane::kDemoCloud, cluster_ + "-").size(),
            8u);
  std::map<std::string, int> ports;
  for (const auto& [name, found] : ports_by_name()) ports[name] = static_cast<int>(found.size());
  EXPECT_EQ(ports, expected) << "duplicate or missing ports (each server boots on one made first)";
  for (FaultKind kind : testing::all_fault_kinds()) {
    EXPECT_GT(counts.injected.count(kind) ? counts.injected.at(kind) : 0, 0)
        << "no " << to_string(kind) << " fault was injected";
  }
  EXPECT_GE(counts.posts_failed_after_forward, 3) << "server creates that Nova acted on but whose "
                                                     "answer was lost";
  EXPECT_GT(counts.injected_total() * 10, counts.requests) << "about 20 % of requests get a fault";
  EXPECT_EQ(counts.early_retries, 0)
      << "requests repeated before their 429's Retry-After passed:"
      << joined(lines_containing(proxies.fault_log(), "early-retry"));
  EXPECT_TRUE(state_->pending_intents(cluster_).value().empty());
}

}  // namespace
}  // namespace nkd::providers::openstack
