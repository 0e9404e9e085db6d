// Errors as values: Result<T> holds either a T or an Error (a code and a message that says what
// failed, on what, and what to do). Used for every expected failure: network, parse, validation.
// An Error also says what to do next (retry_kind.h): back off, wait a known delay, or stop
// retrying until the input changes.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

#include "common/retry_kind.h"

namespace nkd {

enum class ErrorCode {
  kInvalidArgument,
  kNotFound,
  kIo,
  kParse,
  kNetwork,
  kTimeout,
  kUnauthenticated,
  kPermissionDenied,
  kConflict,
  kUnavailable,
  kEgressDenied,
  kQuotaExceeded,
  kInternal,
};

const char* error_code_name(ErrorCode code);

// What an error of `code` asks for when nothing more is known. Stalled: kInvalidArgument,
// kPermissionDenied, kUnauthenticated (credentials or trust that only a change fixes),
// kEgressDenied (the allow list must change), kQuotaExceeded. Transient: every other code.
[[nodiscard]] Retry default_retry(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  // Set where the call site knows better than the code (a Retry-After, a refusal only a new
  // definition lifts); unset, the code's default_retry() holds.
  std::optional<Retry> retry_override = std::nullopt;

  [[nodiscard]] Retry retry() const { return retry_override.value_or(default_retry(code)); }
  [[nodiscard]] Error with_retry(Retry retry) const {
    return Error{code, message, retry};
  }
  // Prefixes context ("fetching origin: ...") while keeping the code and the retry.
  [[nodiscard]] Error wrap(std::string_view context) const {
    return Error{code, std::string(context) + ": " + message, retry_override};
  }
};

// Thrown when value() is called on a Result that holds an error: a programming mistake, but one
// whose report should say which error was ignored, not only that the variant held another type.
class BadResultAccess : public std::logic_error {
 public:
  explicit BadResultAccess(const Error& error);
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : storage_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  Result(Error error) : storage_(std::move(error)) {}      // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return std::holds_alternative<T>(storage_); }
  explicit operator bool() const { return ok(); }

  T& value() & {
    if (!ok()) throw BadResultAccess(error());
    return std::get<T>(storage_);
  }
  const T& value() const& {
    if (!ok()) throw BadResultAccess(error());
    return std::get<T>(storage_);
  }
  T&& value() && {
    if (!ok()) throw BadResultAccess(error());
    return std::get<T>(std::move(storage_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<Error>(storage_); }

 private:
  std::variant<T, Error> storage_;
};

// Result<void>: success carries nothing.
struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() { return Ok{}; }

// Early returns for errors, so a step reads as the list of calls it makes. Each evaluates `expr`
// (a Result<T> or a Status) exactly once; on error it returns that error from the enclosing
// function, which must return a Result or a Status. The _WRAP forms return
// `error.wrap(context)` instead: the code and any retry override are kept, and `context` (anything
// wrap() takes) is evaluated only on the error path, so it may format freely. An argument that
// holds a comma outside parentheses (a template argument list, a braced list) needs a pair of
// parentheses of its own; `lhs` cannot have them, so spell such a type `auto`.
//
//   NKD_RETURN_IF_ERROR(store.save(node));
//   NKD_RETURN_IF_ERROR_WRAP(fetch(remote), "fetching " + remote);
//   NKD_ASSIGN_OR_RETURN(auto tree, reader.read(revision));
//   NKD_ASSIGN_OR_RETURN_WRAP(const Cluster cluster, parse(text), "parsing " + path);
//
// NKD_RETURN_IF_ERROR is one statement. NKD_ASSIGN_OR_RETURN declares or assigns `lhs` in the
// enclosing scope (`auto x`, `const T x` or an existing variable), so it is a few statements and
// cannot be the unbraced body of an if or a loop. On success the value is moved out of the
// result into `lhs` (move-only types work); an lvalue `expr` is copied first, never moved from.
#define NKD_RETURN_IF_ERROR(expr)                         \
  do {                                                    \
    if (auto&& nkd_status_ = (expr); !nkd_status_.ok()) { \
      return nkd_status_.error();                         \
    }                                                     \
  } while (false)

#define NKD_RETURN_IF_ERROR_WRAP(expr, context)           \
  do {                                                    \
    if (auto&& nkd_status_ = (expr); !nkd_status_.ok()) { \
      return nkd_status_.error().wrap(context);           \
    }                                                     \
  } while (false)

#define NKD_ASSIGN_OR_RETURN(lhs, expr)                                                 \
  NKD_ASSIGN_OR_RETURN_IMPL_(NKD_RESULT_CONCAT_(nkd_result_, __COUNTER__), lhs, (expr), \
                             nkd_result_error_)

#define NKD_ASSIGN_OR_RETURN_WRAP(lhs, expr, context)                                   \
  NKD_ASSIGN_OR_RETURN_IMPL_(NKD_RESULT_CONCAT_(nkd_result_, __COUNTER__), lhs, (expr), \
                             nkd_result_error_.wrap(context))

// Implementation details of the macros above. The temporary's name is unique per use (through
// __COUNTER__), so two uses in one scope do not collide; `on_error` is an expression over
// `nkd_result_error_`, the held error.
#define NKD_RESULT_CONCAT_INNER_(a, b) a##b
#define NKD_RESULT_CONCAT_(a, b) NKD_RESULT_CONCAT_INNER_(a, b)
#define NKD_ASSIGN_OR_RETURN_IMPL_(result, lhs, expr, on_error) \
  auto result = expr;                                           \
  if (!result.ok()) {                                           \
    const ::nkd::Error& nkd_result_error_ = result.error();     \
    return on_error;                                            \
  }                                                             \
  lhs = std::move(result).value()

}  // namespace nkd
