// What the reconciler does after a failed apply, by the error's retry kind (common/retry_kind.h):
// transient errors back off further each time, waiting ones come back after their delay, stalled
// ones (a quota, a refusal) wait for the resync or a new commit. The delay rule is a pure
// function and tested as a table; the reconciler runs against a real SQLite state file and a
// provider that fails as each test says and notes when it was called, on a fake clock that moves
// only while a test waits (run_until): the gaps it measures are the queue's own delays.
#include <gtest/gtest.h>

#include <mutex>
#include <optional>
#include <vector>

#include "reconcile/reconciler.h"
#include "state/sqlite_state_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/state_testing.h"
#include "tests/support/test_support.h"

namespace nkd::reconcile {
namespace {

using namespace std::chrono_literals;

// Fails every apply with the error it is given (none: succeeds); notes when each apply ran.
class FailingProvider final : public providers::InfrastructureProvider {
 public:
  explicit FailingProvider(const Clock& clock) : clock_(clock) {}
  std::string name() const override { return "failing"; }
  Result<providers::ApplyOutcome> apply(const model::Cluster&, const render::ClusterRender&,
                                        const providers::ApplyHooks&) override {
    std::lock_guard lock(mutex_);
    applied_at_.push_back(clock_.steady_now());
    if (failure_) return *failure_;
    return providers::ApplyOutcome{.complete = true, .message = "ok"};
  }
  Result<std::vector<providers::ObservedNode>> observe(const std::string&) override {
    return std::vector<providers::ObservedNode>{};
  }
  Status remove(const std::string&) override { return ok_status(); }

  void fail_with(std::optional<Error> failure) {
    std::lock_guard lock(mutex_);
    failure_ = std::move(failure);
  }
  int applies() {
    std::lock_guard lock(mutex_);
    return static_cast<int>(applied_at_.size());
  }
  // The pauses between consecutive applies.
  std::vector<std::chrono::milliseconds> gaps() {
    std::lock_guard lock(mutex_);
    std::vector<std::chrono::milliseconds> gaps;
    for (std::size_t i = 1; i < applied_at_.size(); ++i) {
      gaps.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(applied_at_[i] -
                                                                           applied_at_[i - 1]));
    }
    return gaps;
  }

 private:
  const Clock& clock_;
  std::mutex mutex_;
  std::optional<Error> failure_;
  std::vector<Clock::TimePoint> applied_at_;
};

DesiredCluster target_at(const std::string& name, const std::string& revision,
                       const std::string& digest) {
  model::Cluster cluster;
  cluster.name = name;
  cluster.platform = model::BareMetalPlatform{};
  auto render = std::make_shared<render::ClusterRender>();
  render->cluster = name;
  render->digest = digest;
  std::shared_ptr<const render::ClusterRender> made = render;
  return DesiredCluster{
      .cluster = cluster,
      .render = [made]() -> Result<std::shared_ptr<const render::ClusterRender>> { return made; },
      .commit = source::CommitInfo{.id = revision, .author = "Ops", .committed_at_unix = 1,
                                   .summary = "s"},
      .fetched_at_ms = 1};
}

ReconcilerOptions retry_options(std::int64_t resync_interval_ms) {
  return ReconcilerOptions{.workers = 1, .retry_base_ms = 20, .retry_cap_ms = 1'000,
                           .resync_interval_ms = resync_interval_ms};
}

class ReconcilerRetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = state::open_sqlite_state_store((scratch_.path() / "state.db").string());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
  }
  std::unique_ptr<Reconciler> make(std::int64_t resync_interval_ms) {
    return std::make_unique<Reconciler>(*store_, provider_, nullptr, metrics_, clock_,
                                        retry_options(resync_interval_ms));
  }
  state::ClusterRecord record(const std::string& name) {
    return store_->get_cluster(name).value().value();
  }
  bool wait_applies(int count) {
    return clock_.run_until([&] { return provider_.applies() >= count; }, 10s);
  }
  // Lets fake time run far past twenty backoff periods (up to 50 ms of it per step for
  // `real_limit`); false when the provider was called again meanwhile.
  bool no_apply_after(int count, std::chrono::milliseconds real_limit) {
    return !clock_.run_until([&] { return provider_.applies() > count; }, real_limit);
  }

  testing::ScratchDir scratch_;
  std::unique_ptr<state::StateStore> store_;
  metrics::Metrics metrics_{"test"};
  testing::FakeClock clock_;
  FailingProvider provider_{clock_};
};

TEST(RetryDelay, TransientBacksOffExponentiallyWithJitterUpToTheCap) {
  const ReconcilerOptions timing{.retry_base_ms = 1'000, .retry_cap_ms = 8'000,
                                 .resync_interval_ms = 600'000};
  struct Row { int failures; double jitter; std::int64_t expected_ms; };
  for (const Row& row : {Row{1, 0.0, 500}, Row{1, 1.0, 1'000}, Row{2, 0.0, 1'000},
                         Row{3, 0.5, 3'000}, Row{4, 1.0, 8'000}, Row{9, 0.0, 4'000},
                         Row{60, 1.0, 8'000}}) {
    EXPECT_EQ(retry_delay_ms(Retry::transient(), row.failures, timing, row.jitter), row.expected_ms)
        << "failure " << row.failures << ", jitter " << row.jitter;
  }
}

TEST(RetryDelay, WaitingTakesItsDelayWithinBaseAndResync) {
  const ReconcilerOptions timing{.retry_base_ms = 1'000, .retry_cap_ms = 8'000,
                                 .resync_interval_ms = 600'000};
  EXPECT_EQ(retry_delay_ms(Retry::waiting(30'000), 0, timing, 0.7), 30'000);
  EXPECT_EQ(retry_delay_ms(Retry::waiting(0), 0, timing, 0.7), 1'000) << "never a tight loop";
  EXPECT_EQ(retry_delay_ms(Retry::waiting(86'400'000), 0, timing, 0.7), 600'000)
      << "never past the resync";
}

TEST(RetryDelay, StalledWaitsForTheResync) {
  const ReconcilerOptions timing{.retry_base_ms = 1'000, .retry_cap_ms = 8'000,
                                 .resync_interval_ms = 600'000};
  EXPECT_EQ(retry_delay_ms(Retry::stalled(), 7, timing, 1.0), 600'000);
}

TEST_F(ReconcilerRetryTest, ATransientFailureRetriesWithGrowingDelays) {
  provider_.fail_with(Error{ErrorCode::kUnavailable, "Nova answered HTTP 503"});
  auto reconciler = make(600'000);
  reconciler->start();
  reconciler->submit(target_at("alpha", "rev1", "digest1"));
  ASSERT_TRUE(wait_applies(5));
  reconciler->stop();
  const auto gaps = provider_.gaps();
  ASSERT_GE(gaps.size(), 4u);
  // Base 20 ms, doubled per failure, jittered within the upper half: at least 10, 20, 40, 80 ms.
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_GE(gaps[i], std::chrono::milliseconds(10 << i)) << "retry " << i + 1;
  }
  EXPECT_EQ(record("alpha").phase, nkd::state::ClusterPhase::kFailed);
  EXPECT_EQ(record("alpha").phase_message, "") << "a transient failure is not stalled";
}

// README: "a quota failure fails it naming the quota and waits for the slow resync".
TEST_F(ReconcilerRetryTest, AQuotaFailureWaitsForANewCommitNotAFastRetry) {
  provider_.fail_with(Error{ErrorCode::kQuotaExceeded, "quota exceeded for instances"});
  auto reconciler = make(600'000);
  reconciler->start();
  reconciler->submit(target_at("beta", "rev1", "digest1"));
  ASSERT_TRUE(wait_applies(1));
  // Many backoff periods pass: a transient failure would have been retried several times.
  const Clock::TimePoint failed_at = clock_.steady_now();
  EXPECT_TRUE(no_apply_after(1, 400ms)) << "a stalled cluster is not retried before the resync";
  EXPECT_GT(clock_.steady_now() - failed_at, 20 * 20ms) << "twenty backoff periods passed";
  const state::ClusterRecord stalled = record("beta");
  EXPECT_EQ(stalled.phase, nkd::state::ClusterPhase::kFailed);
  EXPECT_NE(stalled.last_error.find("quota exceeded for instances"), std::string::npos);
  EXPECT_NE(stalled.phase_message.find("stalled"), std::string::npos) << stalled.phase_message;
  EXPECT_NE(stalled.phase_message.find("next commit"), std::string::npos) << stalled.phase_message;

  provider_.fail_with(std::nullopt);  // the quota was raised and the replicas lowered in Git
  reconciler->submit(target_at("beta", "rev2", "digest2"));
  ASSERT_TRUE(testing::wait_until(
      [&] { return record("beta").phase == nkd::state::ClusterPhase::kWaitingForCluster; }, 10s));
  reconciler->stop();
  EXPECT_EQ(provider_.applies(), 2);
  EXPECT_EQ(record("beta").phase_message, "");
}

TEST_F(ReconcilerRetryTest, AStalledFailureIsTriedAgainAtTheResync) {
  provider_.fail_with(
      Error{ErrorCode::kPermissionDenied, "the project's role cannot create ports"});
  auto reconciler = make(300);
  reconciler->start();
  reconciler->submit(target_at("gamma", "rev1", "digest1"));
  ASSERT_TRUE(wait_applies(3));
  reconciler->stop();
  for (const auto gap : provider_.gaps()) EXPECT_GE(gap, 300ms) << "every try waits for the resync";
}

TEST_F(ReconcilerRetryTest, ACallSiteCanStallAnErrorWhoseCodeIsTransient) {
  provider_.fail_with(Error{ErrorCode::kConflict, "control-plane node(s) refused"}.with_retry(
      Retry::stalled()));
  auto reconciler = make(600'000);
  reconciler->start();
  reconciler->submit(target_at("delta", "rev1", "digest1"));
  ASSERT_TRUE(wait_applies(1));
  EXPECT_TRUE(no_apply_after(1, 300ms));
  reconciler->stop();
  EXPECT_EQ(provider_.applies(), 1);
  EXPECT_NE(record("delta").phase_message.find("stalled"), std::string::npos);
}

TEST_F(ReconcilerRetryTest, AWaitingFailureRetriesAfterItsDelay) {
  provider_.fail_with(Error{ErrorCode::kUnavailable, "Nova answered HTTP 429"}.with_retry(
      Retry::waiting(250)));
  auto reconciler = make(600'000);
  reconciler->start();
  reconciler->submit(target_at("epsilon", "rev1", "digest1"));
  ASSERT_TRUE(wait_applies(3));
  reconciler->stop();
  for (const auto gap : provider_.gaps()) EXPECT_GE(gap, 250ms) << "each retry waits the delay";
  EXPECT_NE(record("epsilon").phase_message.find("asked to wait"), std::string::npos)
      << record("epsilon").phase_message;
}

}  // namespace
}  // namespace nkd::reconcile
