// Fuzz target: what `nkd plan` shows of a rendered config that changed (plan/review/): the
// unified diff of two texts, the first-boot inputs that differ between two Ignition configs, and
// the review form of a config (pretty JSON, contents one line each, secrets redacted).
//
// Input, as text:
//   <before>                  the first text
//   \n=====\n                 the separator (kSeparator)
//   <after>                   the rest; equal to <before> when the input has no separator
// The redactor knows one secret, "s3cr3t-token", as the plan's would know the fetch tokens.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_input.h"
#include "plan/review/ignition_review.h"
#include "plan/review/unified_diff.h"

namespace {
constexpr std::string_view kSeparator = "\n=====\n";
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nkd::fuzz::FuzzInput input(data, size);
  const bool has_separator = input.rest().find(kSeparator) != std::string_view::npos;
  const std::string_view before = input.take_until(kSeparator);
  const std::string_view after = has_separator ? input.rest() : before;
  const nkd::plan::SecretRedactor redactor({"s3cr3t-token"});
  const std::string before_review = nkd::plan::review_ignition(before, redactor);
  const std::string after_review = nkd::plan::review_ignition(after, redactor);
  (void)nkd::plan::unified_diff(before_review, after_review, "before", "after");
  (void)nkd::plan::unified_diff(before, after, "a/node.ign", "b/node.ign", 1);
  (void)nkd::plan::first_boot_changes(before, after);
  return 0;
}
