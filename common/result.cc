#include "common/result.h"

namespace nkd {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kParse: return "parse";
    case ErrorCode::kNetwork: return "network";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kUnauthenticated: return "unauthenticated";
    case ErrorCode::kPermissionDenied: return "permission_denied";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kEgressDenied: return "egress_denied";
    case ErrorCode::kQuotaExceeded: return "quota_exceeded";
    case ErrorCode::kInternal: return "internal";
  }
  return "unknown";
}

Retry default_retry(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kUnauthenticated:
    case ErrorCode::kEgressDenied:
    case ErrorCode::kQuotaExceeded: return Retry::stalled();
    case ErrorCode::kNotFound:
    case ErrorCode::kIo:
    case ErrorCode::kParse:
    case ErrorCode::kNetwork:
    case ErrorCode::kTimeout:
    case ErrorCode::kConflict:
    case ErrorCode::kUnavailable:
    case ErrorCode::kInternal: return Retry::transient();
  }
  return Retry::transient();
}

const char* retry_kind_name(RetryKind kind) {
  switch (kind) {
    case RetryKind::kTransient: return "transient";
    case RetryKind::kWaiting: return "waiting";
    case RetryKind::kStalled: return "stalled";
  }
  return "transient";
}

BadResultAccess::BadResultAccess(const Error& error)
    : std::logic_error(std::string("value() of a Result that holds an error (") +
                       error_code_name(error.code) + "): " + error.message) {}

}  // namespace nkd
