// Semantic versions (semver.org 2.0) and the npm-style ranges the `semver:` ref uses to pick a
// tag: comparators (>=1.2.0 <2.0.0), caret (^1.2), tilde (~1.2.3), x-ranges (1.x, 1.2.*),
// hyphen ranges (1.2 - 1.4) and alternatives (a || b). Tags may carry a leading "v".
// Pre-release versions match only a comparator set that names a pre-release of the same
// major.minor.patch (as npm does), so "^1.2" never picks 1.3.0-rc.1. Pure values; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace nkd::semver {

struct Version {
  long major = 0;
  long minor = 0;
  long patch = 0;
  std::vector<std::string> prerelease;  // dot-separated identifiers; empty = a release

  // "1.2.3", "v1.2.3-rc.1+build.5" (build metadata is ignored).
  static std::optional<Version> parse(std::string_view text);
  [[nodiscard]] std::string to_string() const;
};

// <0, 0, >0 by semver precedence.
int compare(const Version& left, const Version& right);
inline bool operator<(const Version& left, const Version& right) { return compare(left, right) < 0; }
inline bool operator==(const Version& left, const Version& right) { return compare(left, right) == 0; }

class Range {
 public:
  // kParse error naming the bad part on malformed text.
  static Result<Range> parse(std::string_view text);
  [[nodiscard]] bool matches(const Version& version) const;
  [[nodiscard]] const std::string& text() const { return text_; }

  enum class Op { kLess, kLessEqual, kGreater, kGreaterEqual, kEqual };
  struct Comparator {
    Op op = Op::kEqual;
    Version version;
  };

 private:
  std::string text_;
  std::vector<std::vector<Comparator>> alternatives_;  // OR of ANDs
};

// The highest-precedence name in `names` (tag names, "v" allowed) that `range` matches.
std::optional<std::string> highest_match(const std::vector<std::string>& names, const Range& range);

}  // namespace nkd::semver
