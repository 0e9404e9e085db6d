// The one mapping from an HTTP answer to an ErrorCode and to what the caller should do next
// (retry_kind.h). Every HTTP client (Kubernetes, Keystone, Nova, Neutron, Glance, the forge, the
// notification sinks) and send_with_retry() use it, so a status means the same everywhere:
//   400, 413, 422 and other 4xx  kInvalidArgument   (Stalled: the request must change)
//   401                          kUnauthenticated   (Stalled: credentials must change)
//   403                          kPermissionDenied  (Stalled; a client that knows the answer names
//                                                    a quota makes it kQuotaExceeded, also Stalled)
//   404, 410                     kNotFound          (Transient)
//   408                          kTimeout           (Transient)
//   409, 412                     kConflict          (Transient)
//   429                          kUnavailable       ("slow down": Waiting for its Retry-After when
//                                                    it has one, else Transient)
//   501                          kInvalidArgument   (the server does not do this at all)
//   other 5xx                    kUnavailable       (Transient; a 503 with Retry-After Waiting)
//   anything else                kInternal          (an answer nkd did not expect)
// Pure functions; thread-safe.
#pragma once

#include <string>

#include "common/http_client.h"
#include "common/result.h"

namespace nkd {

[[nodiscard]] ErrorCode error_code_for_status(int status);
// True for the answers that say "not now" (kUnavailable: 429 and 5xx but 501): send_with_retry
// tries them again, and their Retry-After, when given, is the wait.
[[nodiscard]] bool is_retryable_status(int status);
// What a failed `response` asks for: Waiting for its Retry-After on a 429 or 503 that has one,
// else default_retry() of its code.
[[nodiscard]] Retry retry_for_response(const HttpResponse& response);
// The Error for a failed `response`: its code and retry as above, `message` as given (the
// caller says what failed, on what, and what to do).
[[nodiscard]] Error error_for_response(const HttpResponse& response, std::string message);

}  // namespace nkd
