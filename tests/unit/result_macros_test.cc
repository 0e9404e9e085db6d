#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "common/result.h"

namespace nkd {
namespace {
// Its own namespace: unit tests are compiled in unity batches, where a helper named `outcome` or
// `context` in another file's anonymous namespace would collide.
namespace result_macros_test {

// Counts how often the expression handed to a macro is evaluated, and how often its context is.
struct Calls {
  int expression = 0;
  int context = 0;
};

Error slow_down() {
  return Error{ErrorCode::kUnavailable, "HTTP 429"}.with_retry(Retry::waiting(30'000));
}

Status outcome(Calls& calls, bool succeed) {
  ++calls.expression;
  if (succeed) return ok_status();
  return slow_down();
}

Result<std::unique_ptr<int>> boxed(Calls& calls, bool succeed, int value) {
  ++calls.expression;
  if (succeed) return std::make_unique<int>(value);
  return slow_down();
}

std::string context(Calls& calls) {
  ++calls.context;
  return "creating server a-cp-0";
}

Status return_if_error(Calls& calls, bool succeed, bool& went_on) {
  NKD_RETURN_IF_ERROR(outcome(calls, succeed));
  went_on = true;
  return ok_status();
}

TEST(ReturnIfError, ReturnsTheErrorUnchangedAndGoesOnAfterSuccess) {
  Calls calls;
  bool went_on = false;
  const Status failed = return_if_error(calls, false, went_on);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(failed.error().message, "HTTP 429");
  EXPECT_EQ(failed.error().retry(), Retry::waiting(30'000));
  EXPECT_FALSE(went_on);
  EXPECT_EQ(calls.expression, 1);

  EXPECT_TRUE(return_if_error(calls, true, went_on).ok());
  EXPECT_TRUE(went_on);
  EXPECT_EQ(calls.expression, 2) << "the expression is evaluated once per use";
}

Status return_if_error_wrap(Calls& calls, bool succeed) {
  NKD_RETURN_IF_ERROR_WRAP(outcome(calls, succeed), context(calls));
  return ok_status();
}

TEST(ReturnIfError, WrapAddsContextKeepingCodeAndRetryAndBuildsItOnlyOnError) {
  Calls calls;
  EXPECT_TRUE(return_if_error_wrap(calls, true).ok());
  EXPECT_EQ(calls.expression, 1);
  EXPECT_EQ(calls.context, 0) << "no context is built on success";

  const Status failed = return_if_error_wrap(calls, false);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "creating server a-cp-0: HTTP 429");
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(failed.error().retry(), Retry::waiting(30'000));
  EXPECT_EQ(calls.expression, 2);
  EXPECT_EQ(calls.context, 1);
}

// Two uses in one scope, a move-only value, a const declaration and an existing variable.
Result<int> sum_of_boxes(Calls& calls, bool second_succeeds) {
  NKD_ASSIGN_OR_RETURN(auto first, boxed(calls, true, 40));
  NKD_ASSIGN_OR_RETURN(const std::unique_ptr<int> second, boxed(calls, second_succeeds, 2));
  std::unique_ptr<int> third;
  NKD_ASSIGN_OR_RETURN(third, boxed(calls, true, 0));
  return *first + *second + *third;
}

TEST(AssignOrReturn, MovesTheValueOutAndReturnsTheErrorUnchanged) {
  Calls calls;
  const Result<int> sum = sum_of_boxes(calls, true);
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(*sum, 42);
  EXPECT_EQ(calls.expression, 3) << "each expression is evaluated once";

  const Result<int> failed = sum_of_boxes(calls, false);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "HTTP 429");
  EXPECT_EQ(failed.error().retry(), Retry::waiting(30'000));
  EXPECT_EQ(calls.expression, 5) << "nothing runs after the failed step";
}

Result<std::string> boxed_text(Calls& calls, bool succeed) {
  NKD_ASSIGN_OR_RETURN_WRAP(auto value, boxed(calls, succeed, 7), context(calls));
  return std::to_string(*value);
}

TEST(AssignOrReturn, WrapAddsContextKeepingCodeAndRetryAndBuildsItOnlyOnError) {
  Calls calls;
  const Result<std::string> text = boxed_text(calls, true);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "7");
  EXPECT_EQ(calls.context, 0) << "no context is built on success";

  const Result<std::string> failed = boxed_text(calls, false);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "creating server a-cp-0: HTTP 429");
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(failed.error().retry(), Retry::waiting(30'000));
  EXPECT_EQ(calls.expression, 2);
  EXPECT_EQ(calls.context, 1);
}

// An lvalue result is copied, not moved from: the caller still holds its value afterwards.
Result<std::size_t> length_of(const Result<std::string>& held, Result<std::string>& mutable_held) {
  NKD_ASSIGN_OR_RETURN(const std::string copy, held);
  NKD_ASSIGN_OR_RETURN(std::string other, mutable_held);
  return copy.size() + other.size();
}

TEST(AssignOrReturn, AnLvalueResultIsCopiedNotMovedFrom) {
  const Result<std::string> held = std::string("kept");
  Result<std::string> mutable_held = std::string("also kept");
  EXPECT_EQ(*length_of(held, mutable_held), 13U);
  EXPECT_EQ(*held, "kept");
  EXPECT_EQ(*mutable_held, "also kept");
}

// NKD_RETURN_IF_ERROR is one statement: as the unbraced branch of an if, the else still pairs.
Status first_failing(Calls& calls, bool check, bool succeed) {
  if (check)
    NKD_RETURN_IF_ERROR_WRAP(outcome(calls, succeed), "checking");
  else
    return Error{ErrorCode::kInvalidArgument, "not checked"};
  return ok_status();
}

TEST(ReturnIfError, IsOneStatement) {
  Calls calls;
  EXPECT_TRUE(first_failing(calls, true, true).ok());
  EXPECT_EQ(first_failing(calls, true, false).error().message, "checking: HTTP 429");
  EXPECT_EQ(first_failing(calls, false, true).error().message, "not checked");
  EXPECT_EQ(calls.expression, 2);
}

}  // namespace result_macros_test
}  // namespace
}  // namespace nkd
