#include "syncd/http/webhooks.h"

#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>

#include "common/cidr.h"
#include "common/crypto.h"

namespace nkd::syncd {

namespace {

bool hmac_matches(std::string_view body, const Secret& secret, std::string_view claimed) {
  if (claimed.starts_with("sha256=")) claimed.remove_prefix(7);
  if (claimed.empty()) return false;
  std::string lowered(claimed);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return constant_time_equal(hmac_sha256_hex(secret.reveal(), body), lowered);
}

std::string generic_signed_text(std::string_view timestamp, std::string_view delivery_id,
                                std::string_view body) {
  std::string text;
  text.reserve(timestamp.size() + delivery_id.size() + body.size() + 2);
  text.append(timestamp).append(".").append(delivery_id).append(".").append(body);
  return text;
}

std::optional<std::int64_t> parse_unix_seconds(std::string_view text) {
  std::int64_t seconds = 0;
  if (text.empty() || text.size() > 12) return std::nullopt;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (error != std::errc{} || end != text.data() + text.size() || seconds < 0) return std::nullopt;
  return seconds;
}

}  // namespace

std::optional<WebhookKind> webhook_kind_from_path(std::string_view kind) {
  if (kind == "github") return WebhookKind::kGithub;
  if (kind == "gitea") return WebhookKind::kGitea;
  if (kind == "gitlab") return WebhookKind::kGitlab;
  if (kind == "generic") return WebhookKind::kGeneric;
  return std::nullopt;
}

const char* to_string(WebhookKind kind) {
  switch (kind) {
    case WebhookKind::kGithub: return "github";
    case WebhookKind::kGitea: return "gitea";
    case WebhookKind::kGitlab: return "gitlab";
    case WebhookKind::kGeneric: return "generic";
  }
  return "generic";
}

const char* delivery_header(WebhookKind kind) {
  switch (kind) {
    case WebhookKind::kGithub:
      return "X-GitHub-Delivery";
    case WebhookKind::kGitea:
      return "X-Gitea-Delivery";
    case WebhookKind::kGitlab:
      return "X-Gitlab-Event-UUID";
    case WebhookKind::kGeneric:
      return "X-Nkd-Delivery";
  }
  return "X-Nkd-Delivery";
}

WebhookRequest webhook_request_of(WebhookKind kind, std::string body, const HeaderLookup& header) {
  return WebhookRequest{.kind = kind,
                        .body = std::move(body),
                        .github_signature = header("X-Hub-Signature-256"),
                        .gitea_signature = header("X-Gitea-Signature"),
                        .gitlab_token = header("X-Gitlab-Token"),
                        .generic_signature = header("X-Nkd-Signature"),
                        .generic_timestamp = header("X-Nkd-Timestamp"),
                        .delivery_id = header(delivery_header(kind))};
}

bool valid_delivery_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(),
                     [](unsigned char c) { return std::isalnum(c) != 0 || c == '-' || c == '_'; });
}

std::string generic_webhook_signature(std::string_view secret, std::string_view timestamp,
                                      std::string_view delivery_id, std::string_view body) {
  return "sha256=" + hmac_sha256_hex(secret, generic_signed_text(timestamp, delivery_id, body));
}

bool verify_webhook(const WebhookRequest& request, const Secret& secret) {
  if (secret.empty()) return false;  // no secret configured: every hook is refused
  switch (request.kind) {
    case WebhookKind::kGithub: return hmac_matches(request.body, secret, request.github_signature);
    case WebhookKind::kGitea: return hmac_matches(request.body, secret, request.gitea_signature);
    case WebhookKind::kGitlab:
      return !request.gitlab_token.empty() &&
             constant_time_equal(request.gitlab_token, secret.reveal());
    case WebhookKind::kGeneric:
      // Without a valid time and ID the signed text would be ambiguous or replayable forever.
      if (!parse_unix_seconds(request.generic_timestamp) ||
          !valid_delivery_id(request.delivery_id)) {
        return false;
      }
      return hmac_matches(
          generic_signed_text(request.generic_timestamp, request.delivery_id, request.body), secret,
          request.generic_signature);
  }
  return false;
}

bool timestamp_is_fresh(const WebhookRequest& request, std::int64_t now_unix_seconds,
                        std::chrono::seconds window) {
  if (request.kind != WebhookKind::kGeneric) return true;
  const auto sent = parse_unix_seconds(request.generic_timestamp);
  if (!sent) return false;
  const std::int64_t skew =
      *sent > now_unix_seconds ? *sent - now_unix_seconds : now_unix_seconds - *sent;
  return skew <= window.count();
}

bool push_concerns_ref(const WebhookRequest& request, const std::string& watched_ref) {
  const auto body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object() || !body.contains("ref") || !body["ref"].is_string()) {
    return request.kind == WebhookKind::kGeneric;
  }
  const std::string ref = body["ref"].get<std::string>();
  if (watched_ref.starts_with("semver:")) return ref.starts_with("refs/tags/");
  if (ref == watched_ref) return true;
  // The config may name a branch or tag by its short name.
  return ref == "refs/heads/" + watched_ref || ref == "refs/tags/" + watched_ref;
}

std::string client_network(std::string_view address, NetworkPrefixes prefixes) {
  auto parsed = parse_ip(address);
  if (!parsed) return std::string(address);
  const IpAddress ip = unmap_ipv4(*parsed);
  return enclosing_block(ip, ip.family == AF_INET ? prefixes.ipv4_bits : prefixes.ipv6_bits)
      .to_string();
}

bool RateLimiter::allow(const std::string& key) {
  const auto now = clock_.steady_now();
  std::lock_guard lock(mutex_);
  if (buckets_.size() > 10'000) buckets_.clear();  // bound memory under address churn
  auto [entry, inserted] = buckets_.try_emplace(key, Bucket{burst_, now});
  Bucket& bucket = entry->second;
  if (!inserted) {
    const double elapsed = std::chrono::duration<double>(now - bucket.refilled).count();
    bucket.tokens = std::min(burst_, bucket.tokens + elapsed * per_second_);
    bucket.refilled = now;
  }
  if (bucket.tokens < 1.0) return false;
  bucket.tokens -= 1.0;
  return true;
}

}  // namespace nkd::syncd
