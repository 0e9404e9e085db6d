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

}  // namespace nkd
