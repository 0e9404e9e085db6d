#include "common/http_status.h"

namespace nkd {

ErrorCode error_code_for_status(int status) {
  switch (status) {
    case 401: return ErrorCode::kUnauthenticated;
    case 403: return ErrorCode::kPermissionDenied;
    case 404:
    case 410: return ErrorCode::kNotFound;
    case 408: return ErrorCode::kTimeout;
    case 409:
    case 412: return ErrorCode::kConflict;
    case 429: return ErrorCode::kUnavailable;
    case 501: return ErrorCode::kInvalidArgument;
    default: break;
  }
  if (status >= 400 && status <= 499) return ErrorCode::kInvalidArgument;
  if (status >= 500 && status <= 599) return ErrorCode::kUnavailable;
  return ErrorCode::kInternal;
}

bool is_retryable_status(int status) {
  return error_code_for_status(status) == ErrorCode::kUnavailable;
}

Retry retry_for_response(const HttpResponse& response) {
  if (response.status == 429 || response.status == 503) {
    if (const std::int64_t delay_ms = retry_after_ms(response); delay_ms >= 0) {
      return Retry::waiting(delay_ms);
    }
  }
  return default_retry(error_code_for_status(response.status));
}

Error error_for_response(const HttpResponse& response, std::string message) {
  return Error{error_code_for_status(response.status), std::move(message),
               retry_for_response(response)};
}

}  // namespace nkd
