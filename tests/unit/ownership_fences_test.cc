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

class OwnershipFencesTest : public ::testing::Test {
 protected:
  OwnershipFencesTest() { fences_.enable(); }
  void renew_lease(std::chrono::seconds ttl = 10s) {
    fences_.extend_lease(clock_.steady_now() + ttl);
  }

  FakeClock clock_;
  OwnershipFences fences_{clock_};
};

TEST_F(OwnershipFencesTest, AClaimHoldsOnlyWithinTheLeaseDeadline) {
  fences_.hold("c1", 7);
  EXPECT_FALSE(fences_.revision_of("c1")) << "no renewal yet: the lease may be gone";
  renew_lease(3s);
  EXPECT_EQ(fences_.revision_of("c1"), 7);
  clock_.advance(3s);
  EXPECT_FALSE(fences_.revision_of("c1")) << "past the deadline nothing is held";
  EXPECT_TRUE(fences_.held_at("c1", 7)) << "the claim itself is kept for the next renewal";
  renew_lease(3s);
  EXPECT_EQ(fences_.revision_of("c1"), 7);
}

TEST_F(OwnershipFencesTest, AFailedWriteDropsOnlyTheClaimItWasFencedOn) {
  renew_lease();
  fences_.hold("c1", 7);
  fences_.hold("c1", 9);  // handed back and taken up again while a write fenced on 7 was out
  fences_.drop_if_held_at("c1", 7);
  EXPECT_EQ(fences_.revision_of("c1"), 9);
  fences_.drop_if_held_at("c1", 9);
  EXPECT_FALSE(fences_.revision_of("c1"));
  EXPECT_FALSE(fences_.held_at("c1", 9));
}

TEST_F(OwnershipFencesTest, ALostLeaseDropsEveryClaim) {
  renew_lease();
  fences_.hold("c1", 7);
  fences_.hold("c2", 8);
  fences_.drop_all();
  EXPECT_FALSE(fences_.held_at("c1", 7));
  EXPECT_FALSE(fences_.held_at("c2", 8));
  renew_lease();
  EXPECT_FALSE(fences_.revision_of("c2"));
}

}  // namespace
}  // namespace nkd::state
