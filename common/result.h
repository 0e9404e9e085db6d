// Errors as values: Result<T> holds either a T or an Error (a code and a message that says what
// failed, on what, and what to do). Used for every expected failure: network, parse, validation.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

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

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  // Prefixes context ("fetching origin: ...") while keeping the code.
  [[nodiscard]] Error wrap(std::string_view context) const {
    return Error{code, std::string(context) + ": " + message};
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
