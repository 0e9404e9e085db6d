// Webhook verification for pushes from GitHub, Gitea, GitLab and generic senders, and a
// per-address rate limiter. Signatures are compared in constant time; the secret never leaves
// this module.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/secret.h"

namespace nkd::syncd {

enum class WebhookKind { kGithub, kGitea, kGitlab, kGeneric };

std::optional<WebhookKind> webhook_kind_from_path(std::string_view kind);
const char* to_string(WebhookKind kind);

// Header lookups are case-insensitive in the caller (cpp-httplib's get_header_value).
struct WebhookRequest {
  WebhookKind kind = WebhookKind::kGeneric;
  std::string body;
  std::string github_signature;   // X-Hub-Signature-256: "sha256=<hex>"
  std::string gitea_signature;    // X-Gitea-Signature: "<hex>"
  std::string gitlab_token;       // X-Gitlab-Token: the secret itself
  std::string generic_signature;  // X-Nkd-Signature: "sha256=<hex>" or "<hex>"
};

[[nodiscard]] bool verify_webhook(const WebhookRequest& request, const Secret& secret);

// Whether a verified push concerns the watched ref: the body's "ref" names it (or a tag when the
// daemon follows a semver range). A body without "ref" (a ping, a generic trigger) counts for
// the generic kind only.
[[nodiscard]] bool push_concerns_ref(const WebhookRequest& request, const std::string& watched_ref);

// Token bucket per source address: `burst` requests at once, refilled at `per_second`.
class RateLimiter {
 public:
  RateLimiter(double per_second, double burst) : per_second_(per_second), burst_(burst) {}
  [[nodiscard]] bool allow(const std::string& address);

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point refilled;
  };
  double per_second_;
  double burst_;
  std::mutex mutex_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace nkd::syncd
