// Semantic versions and the ranges of `ref: semver:<range>`.
#include "common/semver.h"

#include <gtest/gtest.h>

namespace nkd::semver {
namespace {

bool in(const std::string& range, const std::string& version) {
  auto parsed = Range::parse(range);
  EXPECT_TRUE(parsed.ok()) << range;
  auto v = Version::parse(version);
  EXPECT_TRUE(v.has_value()) << version;
  return parsed.ok() && v && parsed->matches(*v);
}

TEST(SemVer, ParsesWithOptionalVAndOrdersByPrecedence) {
  ASSERT_TRUE(Version::parse("v1.2.3").has_value());
  EXPECT_EQ(Version::parse("v1.2.3-rc.1+build.7")->to_string(), "1.2.3-rc.1");
  EXPECT_FALSE(Version::parse("1.2").has_value());
  EXPECT_FALSE(Version::parse("01.2.3").has_value());
  EXPECT_FALSE(Version::parse("release-1").has_value());
  EXPECT_LT(*Version::parse("1.2.3-alpha"), *Version::parse("1.2.3"));
  EXPECT_LT(*Version::parse("1.2.3-alpha.2"), *Version::parse("1.2.3-alpha.10"));
  EXPECT_LT(*Version::parse("1.2.3-alpha.9"), *Version::parse("1.2.3-beta"));
  EXPECT_LT(*Version::parse("1.9.0"), *Version::parse("1.10.0"));
}

TEST(SemVerRange, ComparatorSetsAreConjunctions) {
  EXPECT_TRUE(in(">=1.2.0 <2.0.0", "1.2.0"));
  EXPECT_TRUE(in(">=1.2.0 <2.0.0", "1.99.5"));
  EXPECT_FALSE(in(">=1.2.0 <2.0.0", "2.0.0"));
  EXPECT_FALSE(in(">=1.2.0 <2.0.0", "1.1.9"));
  EXPECT_TRUE(in(">= 1.2.0", "1.3.0"));
  EXPECT_FALSE(in(">1.2", "1.2.9"));
  EXPECT_TRUE(in(">1.2", "1.3.0"));
  EXPECT_TRUE(in("<=1.2", "1.2.9"));
  EXPECT_FALSE(in("<=1.2", "1.3.0"));
}

TEST(SemVerRange, CaretKeepsTheLeftmostNonZeroPart) {
  EXPECT_TRUE(in("^1.2", "1.9.0"));
  EXPECT_FALSE(in("^1.2", "2.0.0"));
  EXPECT_FALSE(in("^1.2", "1.1.0"));
  EXPECT_TRUE(in("^0.2.3", "0.2.9"));
  EXPECT_FALSE(in("^0.2.3", "0.3.0"));
  EXPECT_FALSE(in("^0.0.3", "0.0.4"));
}

TEST(SemVerRange, TildeKeepsTheMinor) {
  EXPECT_TRUE(in("~1.2.3", "1.2.9"));
  EXPECT_FALSE(in("~1.2.3", "1.3.0"));
  EXPECT_FALSE(in("~1.2.3", "1.2.2"));
  EXPECT_TRUE(in("~1", "1.9.9"));
}

TEST(SemVerRange, XRangesHyphensAndAlternatives) {
  EXPECT_TRUE(in("1.x", "1.4.0"));
  EXPECT_FALSE(in("1.2.*", "1.3.0"));
  EXPECT_TRUE(in("*", "7.0.0"));
  EXPECT_TRUE(in("1.2 - 1.4", "1.4.7"));
  EXPECT_FALSE(in("1.2 - 1.4", "1.5.0"));
  EXPECT_TRUE(in("^1.0 || ^3.0", "3.1.0"));
  EXPECT_FALSE(in("^1.0 || ^3.0", "2.1.0"));
}

TEST(SemVerRange, PreReleasesMatchOnlyWhenNamedForTheSameRelease) {
  EXPECT_FALSE(in("^1.2", "1.3.0-rc.1"));
  EXPECT_TRUE(in(">=1.3.0-rc.0 <2.0.0", "1.3.0-rc.1"));
  EXPECT_FALSE(in(">=1.3.0-rc.0 <2.0.0", "1.4.0-rc.1"));
}

TEST(SemVerRange, RejectsGarbageWithAClearMessage) {
  auto range = Range::parse(">=banana");
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.error().message.find("banana"), std::string::npos);
  EXPECT_FALSE(Range::parse("^1.2.3.4").ok());
  EXPECT_FALSE(Range::parse("!1.2").ok());
}

TEST(SemVerRange, HighestMatchingTagWins) {
  auto range = Range::parse("^1.2");
  ASSERT_TRUE(range.ok());
  const std::vector<std::string> tags = {"v1.2.0", "v1.10.1", "v1.9.3", "v2.0.0", "v1.11.0-rc.1",
                                         "latest"};
  EXPECT_EQ(highest_match(tags, *range), "v1.10.1");
  auto none = Range::parse(">=3.0.0");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(highest_match(tags, *none).has_value());
}

}  // namespace
}  // namespace nkd::semver
