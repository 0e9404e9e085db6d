// Webhook verification for pushes from GitHub, Gitea, GitLab and generic senders, one secret
// per forge, and a rate limiter keyed by the sender's network. Signatures are compared in
// constant time; the secrets never leave this module.
//
// The generic hook is nkd's own format: X-Nkd-Timestamp (Unix seconds), X-Nkd-Delivery (a unique
// ID) and X-Nkd-Signature, an HMAC-SHA256 over "<timestamp>.<delivery>.<body>", so that neither
// the time nor the ID can be changed without the secret (README.md "Webhooks").
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/secret.h"

namespace nkd::syncd {

enum class WebhookKind { kGithub, kGitea, kGitlab, kGeneric };
inline constexpr std::array<WebhookKind, 4> kWebhookKinds = {
    WebhookKind::kGithub, WebhookKind::kGitea, WebhookKind::kGitlab, WebhookKind::kGeneric};

std::optional<WebhookKind> webhook_kind_from_path(std::string_view kind);
const char* to_string(WebhookKind kind);

// One secret per forge; an empty one refuses every hook of that forge.
class WebhookSecrets {
 public:
  WebhookSecrets() = default;
  // The same secret for every forge (the single `webhooks.secretFile` setting).
  explicit WebhookSecrets(const Secret& shared) { by_kind_.fill(shared); }
  void set(WebhookKind kind, Secret secret) { by_kind_[index(kind)] = std::move(secret); }
  [[nodiscard]] const Secret& of(WebhookKind kind) const { return by_kind_[index(kind)]; }

 private:
  static std::size_t index(WebhookKind kind) { return static_cast<std::size_t>(kind); }
  std::array<Secret, kWebhookKinds.size()> by_kind_;
};

// Header lookups are case-insensitive in the caller (cpp-httplib's get_header_value).
struct WebhookRequest {
  WebhookKind kind = WebhookKind::kGeneric;
  std::string body;
  std::string github_signature;   // X-Hub-Signature-256: "sha256=<hex>"
  std::string gitea_signature;    // X-Gitea-Signature: "<hex>"
  std::string gitlab_token;       // X-Gitlab-Token: the secret itself
  std::string generic_signature;  // X-Nkd-Signature: "sha256=<hex>" or "<hex>"
  std::string generic_timestamp;  // X-Nkd-Timestamp: Unix seconds
  // X-GitHub-Delivery, X-Gitea-Delivery, X-Gitlab-Event-UUID or X-Nkd-Delivery.
  std::string delivery_id;
};

// The header that carries the delivery ID of `kind`.
const char* delivery_header(WebhookKind kind);

// A header's value by its name ("" when the request has none); names match in any case.
using HeaderLookup = std::function<std::string(const char* name)>;

// The request verification reads from a POST /hooks/<kind>: `body` and the headers of every
// forge's signature, timestamp and delivery ID, found through `header`. Pure: the listener and
// the webhook fuzz target (fuzz/webhook_fuzzer.cc) both build requests with it.
[[nodiscard]] WebhookRequest webhook_request_of(WebhookKind kind, std::string body,
                                                const HeaderLookup& header);

// A delivery ID nkd accepts: 1 to 128 of [A-Za-z0-9_-] (GUIDs and UUIDs fit). The generic
// signature covers "<timestamp>.<delivery>.<body>": a '.' in the ID would make it ambiguous.
[[nodiscard]] bool valid_delivery_id(std::string_view id);

// Whether the request is signed with `secret` (for the generic kind: timestamp, delivery ID and
// body together). An empty secret refuses everything.
[[nodiscard]] bool verify_webhook(const WebhookRequest& request, const Secret& secret);

// The generic signature of a delivery, as a sender computes it ("sha256=<hex>").
[[nodiscard]] std::string generic_webhook_signature(std::string_view secret,
                                                    std::string_view timestamp,
                                                    std::string_view delivery_id,
                                                    std::string_view body);

// Whether the generic request's timestamp lies within `window` of `now_unix_seconds`, either
// way (clocks drift both ways). Other kinds carry no signed time and always pass.
[[nodiscard]] bool timestamp_is_fresh(const WebhookRequest& request, std::int64_t now_unix_seconds,
                                      std::chrono::seconds window);

// Whether a verified push concerns the watched ref: the body's "ref" names it (or a tag when the
// daemon follows a semver range). A body without "ref" (a ping, a generic trigger) counts for
// the generic kind only.
[[nodiscard]] bool push_concerns_ref(const WebhookRequest& request, const std::string& watched_ref);

// How much of a client's address names its network for rate limiting: one forge or one
// attacker usually holds a whole IPv4 /24 or IPv6 /64, and per-address limits would let it
// rotate addresses.
struct NetworkPrefixes {
  int ipv4_bits = 24;
  int ipv6_bits = 64;
};

// "203.0.113.0/24" for "203.0.113.7"; an IPv4-mapped IPv6 address counts as IPv4; text that is
// not an address is returned unchanged.
[[nodiscard]] std::string client_network(std::string_view address, NetworkPrefixes prefixes);

// Token bucket per key (a network from client_network, or an address): `burst` requests at
// once, refilled at `per_second` of `clock`'s time. Thread-safe.
class RateLimiter {
 public:
  RateLimiter(double per_second, double burst, const Clock& clock)
      : per_second_(per_second), burst_(burst), clock_(clock) {}
  [[nodiscard]] bool allow(const std::string& key);

 private:
  struct Bucket {
    double tokens = 0;
    Clock::TimePoint refilled;
  };
  double per_second_;
  double burst_;
  const Clock& clock_;
  std::mutex mutex_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace nkd::syncd
