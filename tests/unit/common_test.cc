#include <gtest/gtest.h>

#include <sys/socket.h>

#include "common/cidr.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/duration.h"
#include "common/http_status.h"
#include "common/result.h"
#include "common/utf8.h"

namespace nkd {
namespace {

TEST(Cidr, ParsesAndDetectsOverlap) {
  const auto pods = parse_cidr("10.244.0.0/16");
  const auto services = parse_cidr("10.96.0.0/12");
  ASSERT_TRUE(pods && services);
  EXPECT_FALSE(pods->overlaps(*services));
  EXPECT_TRUE(pods->overlaps(*parse_cidr("10.244.128.0/17")));
  EXPECT_FALSE(parse_cidr("10.96.0.1/12").has_value());            // host bits set
  EXPECT_TRUE(parse_cidr("10.96.0.1/12", /*strict=*/false).has_value());
  EXPECT_FALSE(parse_cidr("10.0.0.0/33").has_value());
  EXPECT_FALSE(parse_cidr("fd00::/64")->overlaps(*pods));           // other family
  EXPECT_EQ(services->network.plus(1).to_string(), "10.96.0.1");
  EXPECT_EQ(services->network.plus(10).to_string(), "10.96.0.10");
}

TEST(Cidr, ProblemSaysWhatIsWrongAndHowToFixIt) {
  EXPECT_EQ(cidr_problem("10.244.0.0/16"), "");
  EXPECT_EQ(cidr_problem("fd00::/64"), "");
  EXPECT_EQ(cidr_problem("10.244.0.0/33"), "the prefix length must be a number from 0 to 32");
  EXPECT_EQ(cidr_problem("fd00::/129"), "the prefix length must be a number from 0 to 128");
  EXPECT_EQ(cidr_problem("10.244.0.0/"), "the prefix length must be a number from 0 to 32");
  EXPECT_EQ(cidr_problem("10.96.0.1/12"), "host bits are set: did you mean 10.96.0.0/12?");
  EXPECT_EQ(cidr_problem("10.300.0.0/16"), "'10.300.0.0' is not an IPv4 or IPv6 address");
}

TEST(Cidr, AllowListEmptyAllowsAllAndParsesEnvironmentForm) {
  EXPECT_TRUE(CidrAllowList().allows(*parse_ip("203.0.113.1")));
  const auto list = CidrAllowList::parse("127.0.0.0/8, ::1/128");
  ASSERT_TRUE(list.has_value());
  EXPECT_TRUE(list->allows(*parse_ip("127.1.2.3")));
  EXPECT_FALSE(list->allows(*parse_ip("192.0.2.1")));
  EXPECT_FALSE(CidrAllowList::parse("127.0.0.0/8,nonsense").has_value());
}

TEST(Utf8, FindsTheFirstInvalidSequence) {
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("Gr\xC3\xBC\xC3\x9F \xE2\x82\xAC \xF0\x9F\x99\x82"));  // ü ß € emoji
  EXPECT_EQ(first_invalid_utf8("ab\xFF"), 2u);
  EXPECT_EQ(first_invalid_utf8("caf\xE9"), 3u);            // Latin-1 é
  EXPECT_EQ(first_invalid_utf8("\xC0\xAF"), 0u);           // overlong '/'
  EXPECT_EQ(first_invalid_utf8("x\xED\xA0\x80"), 1u);      // a UTF-16 surrogate
  EXPECT_EQ(first_invalid_utf8("\xF4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(first_invalid_utf8("\xE2\x82"), 0u);           // truncated at the end
}

TEST(Utf8, ReplacesEachInvalidByteAndKeepsValidText) {
  EXPECT_EQ(replace_invalid_utf8("J\xF6rg"), "J\xEF\xBF\xBDrg");
  EXPECT_EQ(replace_invalid_utf8("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(replace_invalid_utf8("J\xC3\xB6rg"), "J\xC3\xB6rg");
  EXPECT_TRUE(is_valid_utf8(replace_invalid_utf8("\x80\xFF\xC0\xAF ok")));
}

TEST(Duration, ParsesGoStyleDurations) {
  EXPECT_EQ(parse_duration_ms("90s"), 90'000);
  EXPECT_EQ(parse_duration_ms("1h30m"), 5'400'000);
  EXPECT_EQ(parse_duration_ms("250ms"), 250);
  EXPECT_FALSE(parse_duration_ms("10").has_value());
  EXPECT_FALSE(parse_duration_ms("soon").has_value());
  EXPECT_EQ(format_duration_ms(600'000), "10m0s");
}

TEST(Crypto, KnownDigestsAndConstantTimeCompare) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(base64_encode("hello"), "aGVsbG8=");
  EXPECT_EQ(base64_decode("aGVsbG8="), "hello");
  EXPECT_EQ(base64_decode("aGk="), "hi");
  EXPECT_EQ(base64_decode("not base64"), "");
  EXPECT_TRUE(constant_time_equal("same", "same"));
  EXPECT_FALSE(constant_time_equal("same", "sane"));
  EXPECT_FALSE(constant_time_equal("same", "same!"));
}

TEST(Clock, FormatsRfc3339Utc) {
  EXPECT_EQ(format_rfc3339_ms(1'700'000'000'123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(format_rfc3339_ms(0), "");
}

}  // namespace
}  // namespace nkd

namespace nkd {
namespace {

TEST(ErrorRetry, TheCodeChoosesWhatToDoNextUnlessTheCallSiteKnowsBetter) {
  struct Row { ErrorCode code; RetryKind kind; };
  for (const Row& row : {Row{ErrorCode::kUnavailable, RetryKind::kTransient},
                         Row{ErrorCode::kTimeout, RetryKind::kTransient},
                         Row{ErrorCode::kConflict, RetryKind::kTransient},
                         Row{ErrorCode::kNetwork, RetryKind::kTransient},
                         Row{ErrorCode::kQuotaExceeded, RetryKind::kStalled},
                         Row{ErrorCode::kInvalidArgument, RetryKind::kStalled},
                         Row{ErrorCode::kPermissionDenied, RetryKind::kStalled},
                         Row{ErrorCode::kUnauthenticated, RetryKind::kStalled},
                         Row{ErrorCode::kEgressDenied, RetryKind::kStalled}}) {
    EXPECT_EQ((Error{row.code, "x"}.retry().kind), row.kind) << error_code_name(row.code);
  }
  const Error slow_down =
      Error{ErrorCode::kUnavailable, "HTTP 429"}.with_retry(Retry::waiting(30'000));
  EXPECT_EQ(slow_down.retry(), Retry::waiting(30'000));
  const Error wrapped = slow_down.wrap("creating server a-cp-0");
  EXPECT_EQ(wrapped.retry(), Retry::waiting(30'000)) << "context keeps what to do next";
  EXPECT_EQ(wrapped.code, ErrorCode::kUnavailable);
  EXPECT_EQ(wrapped.message, "creating server a-cp-0: HTTP 429");
}

}  // namespace
}  // namespace nkd

namespace nkd {
namespace {

HttpResponse answer(int status, std::string retry_after = "") {
  HttpResponse response{.status = status};
  if (!retry_after.empty()) response.headers["retry-after"] = std::move(retry_after);
  return response;
}

TEST(HttpStatus, OneMappingFromStatusToCodeAndWhatToDoNext) {
  struct Row { int status; ErrorCode code; RetryKind kind; };
  for (const Row& row : {Row{400, ErrorCode::kInvalidArgument, RetryKind::kStalled},
                         Row{401, ErrorCode::kUnauthenticated, RetryKind::kStalled},
                         Row{403, ErrorCode::kPermissionDenied, RetryKind::kStalled},
                         Row{404, ErrorCode::kNotFound, RetryKind::kTransient},
                         Row{408, ErrorCode::kTimeout, RetryKind::kTransient},
                         Row{409, ErrorCode::kConflict, RetryKind::kTransient},
                         Row{413, ErrorCode::kInvalidArgument, RetryKind::kStalled},
                         Row{422, ErrorCode::kInvalidArgument, RetryKind::kStalled},
                         Row{429, ErrorCode::kUnavailable, RetryKind::kTransient},
                         Row{500, ErrorCode::kUnavailable, RetryKind::kTransient},
                         Row{501, ErrorCode::kInvalidArgument, RetryKind::kStalled},
                         Row{503, ErrorCode::kUnavailable, RetryKind::kTransient},
                         Row{302, ErrorCode::kInternal, RetryKind::kTransient}}) {
    const Error error = error_for_response(answer(row.status), "x");
    EXPECT_EQ(error.code, row.code) << row.status;
    EXPECT_EQ(error.retry().kind, row.kind) << row.status;
    EXPECT_EQ(is_retryable_status(row.status), row.code == ErrorCode::kUnavailable) << row.status;
  }
}

TEST(HttpStatus, ASlowDownWithRetryAfterWaitsThatLong) {
  EXPECT_EQ(retry_for_response(answer(429, "30")), Retry::waiting(30'000));
  EXPECT_EQ(retry_for_response(answer(503, "2")), Retry::waiting(2'000));
  EXPECT_EQ(retry_for_response(answer(429)), Retry::transient()) << "no Retry-After: back off";
  EXPECT_EQ(retry_for_response(answer(500, "30")), Retry::transient())
      << "a 500's Retry-After is not a promise";
}

}  // namespace
}  // namespace nkd
