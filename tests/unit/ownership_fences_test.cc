// OwnershipFences (state/ownership_fences.h): what a replica may write for, and until when.
// A claim is good only within the lease's deadline; a failed write drops only the claim it was
// fenced on, never one the refresh has taken up since at a newer revision.
#include "state/ownership_fences.h"

#include <gtest/gtest.h>

#include <chrono>

#include "tests/fakes/fake_clock.h"

namespace nkd::state {
namespace {

using namespace std::chrono_literals;
using nkd::testing::FakeClock;

TEST(OwnershipFences, AClaimHoldsOnlyWithinTheLeaseDeadline) {
  FakeClock clock;
  OwnershipFences fences(clock);
  fences.enable();
  fences.hold("c1", 7);
  EXPECT_FALSE(fences.revision_of("c1")) << "no renewal yet: the lease may be gone";
  fences.extend_lease(clock.steady_now() + 3s);
  EXPECT_EQ(fences.revision_of("c1"), 7);
  clock.advance(3s);
  EXPECT_FALSE(fences.revision_of("c1")) << "past the deadline nothing is held";
  EXPECT_TRUE(fences.held_at("c1", 7)) << "the claim itself is kept for the next renewal";
  fences.extend_lease(clock.steady_now() + 3s);
  EXPECT_EQ(fences.revision_of("c1"), 7);
}

TEST(OwnershipFences, AFailedWriteDropsOnlyTheClaimItWasFencedOn) {
  FakeClock clock;
  OwnershipFences fences(clock);
  fences.enable();
  fences.extend_lease(clock.steady_now() + 10s);
  fences.hold("c1", 7);
  fences.hold("c1", 9);  // handed back and taken up again while a write fenced on 7 was out
  fences.drop_if_held_at("c1", 7);
  EXPECT_EQ(fences.revision_of("c1"), 9);
  fences.drop_if_held_at("c1", 9);
  EXPECT_FALSE(fences.revision_of("c1"));
  EXPECT_FALSE(fences.held_at("c1", 9));
}

TEST(OwnershipFences, ALostLeaseDropsEveryClaim) {
  FakeClock clock;
  OwnershipFences fences(clock);
  fences.enable();
  fences.extend_lease(clock.steady_now() + 10s);
  fences.hold("c1", 7);
  fences.hold("c2", 8);
  fences.drop_all();
  EXPECT_FALSE(fences.held_at("c1", 7));
  EXPECT_FALSE(fences.held_at("c2", 8));
  fences.extend_lease(clock.steady_now() + 10s);
  EXPECT_FALSE(fences.revision_of("c2"));
}

}  // namespace
}  // namespace nkd::state
