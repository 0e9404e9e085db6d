#include "syncd/http/recent_deliveries.h"

#include <gtest/gtest.h>

namespace nkd::syncd {
namespace {

using namespace std::chrono_literals;
using DeliveryClock = RecentDeliveries::Clock;

const DeliveryClock::time_point kStart{};

TEST(RecentDeliveries, SecondSightingOfADeliveryIsARepeat) {
  RecentDeliveries recent(16, 1h);
  EXPECT_TRUE(recent.first_sighting(WebhookKind::kGithub, {"delivery:a"}, kStart));
  EXPECT_FALSE(recent.first_sighting(WebhookKind::kGithub, {"delivery:a"}, kStart + 1s));
  EXPECT_TRUE(recent.first_sighting(WebhookKind::kGithub, {"delivery:b"}, kStart + 1s));
}

TEST(RecentDeliveries, AnyKnownKeyMakesARepeat) {
  RecentDeliveries recent(16, 1h);
  EXPECT_TRUE(recent.first_sighting(WebhookKind::kGitea, {"delivery:a", "signature:s"}, kStart));
  EXPECT_FALSE(recent.first_sighting(WebhookKind::kGitea, {"delivery:new", "signature:s"}, kStart));
  // The refused sighting recorded nothing.
  EXPECT_TRUE(recent.first_sighting(WebhookKind::kGitea, {"delivery:new"}, kStart));
  EXPECT_TRUE(recent.first_sighting(WebhookKind::kGitea, {"", "signature:t"}, kStart));
}

TEST(RecentDeliveries, ForgesKeepSeparateSets) {
  RecentDeliveries recent(16, 1h);
  EXPECT_TRUE(recent.first_sighting(WebhookKind::kGithub, {"delivery:a"}, kStart));
  EXPECT_TRUE(recent.first_sighting(WebhookKind::kGitea, {"delivery:a"}, kStart));
}

TEST(RecentDeliveries, EntriesExpireAfterTheirTtl) {
  RecentDeliveries recent(16, 10min);
  EXPECT_TRUE(recent.first_sighting(WebhookKind::kGeneric, {"delivery:a"}, kStart));
  EXPECT_FALSE(recent.first_sighting(WebhookKind::kGeneric, {"delivery:a"}, kStart + 9min));
  EXPECT_TRUE(recent.first_sighting(WebhookKind::kGeneric, {"delivery:a"}, kStart + 10min));
  EXPECT_EQ(recent.size(WebhookKind::kGeneric), 1u);
}

TEST(RecentDeliveries, AFloodKeepsMemoryAtTheCapacity) {
  RecentDeliveries recent(100, 1h);
  for (int i = 0; i < 10'000; ++i) {
    ASSERT_TRUE(recent.first_sighting(WebhookKind::kGithub, {"delivery:" + std::to_string(i)},
                                      kStart + std::chrono::milliseconds(i)));
  }
  EXPECT_EQ(recent.size(WebhookKind::kGithub), 100u);
  // The newest are still known; the oldest made room.
  EXPECT_FALSE(recent.first_sighting(WebhookKind::kGithub, {"delivery:9999"}, kStart + 10s));
  EXPECT_TRUE(recent.first_sighting(WebhookKind::kGithub, {"delivery:0"}, kStart + 10s));
}

}  // namespace
}  // namespace nkd::syncd
