// AnsweringHttpClient: an HttpClient that answers every request with the one response a fuzz
// input holds, except those a target answers itself (e.g. OpenStack's token request, so that a
// service call gets as far as its own answer). It dials nothing. Thread-safe: it only reads.
#pragma once

#include <functional>
#include <optional>
#include <string_view>
#include <utility>

#include "common/http_client.h"

namespace nkd::fuzz {

// The HTTP statuses a fuzz input's status number picks from, modulo their count: the answers
// the clients read (2xx), and the refusals they map to errors. 429 and 5xx are left out: they
// are retried after a wait, and the targets run each input without retries anyway.
inline constexpr int kFuzzStatuses[] = {200, 201, 202, 204, 400, 401, 403, 404, 409, 413, 422};

inline int fuzz_status(std::string_view number) {
  unsigned value = 0;
  for (char c : number) {
    if (c < '0' || c > '9') break;
    value = value * 10 + static_cast<unsigned>(c - '0');
    if (value > 1'000'000) break;
  }
  for (int status : kFuzzStatuses) {
    if (static_cast<unsigned>(status) == value) return status;
  }
  return kFuzzStatuses[value % std::size(kFuzzStatuses)];
}

class AnsweringHttpClient final : public HttpClient {
 public:
  // `own_answer` may answer a request itself (nullopt: `answer` is sent).
  using OwnAnswer = std::function<std::optional<HttpResponse>(const HttpRequest&)>;
  explicit AnsweringHttpClient(HttpResponse answer, OwnAnswer own_answer = {})
      : answer_(std::move(answer)), own_answer_(std::move(own_answer)) {}

  Result<HttpResponse> send(const HttpRequest& request) override {
    if (own_answer_) {
      if (auto own = own_answer_(request)) return *own;
    }
    return answer_;
  }

 private:
  HttpResponse answer_;
  OwnAnswer own_answer_;
};

}  // namespace nkd::fuzz
