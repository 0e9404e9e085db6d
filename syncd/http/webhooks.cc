#include "syncd/http/webhooks.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "common/crypto.h"

namespace nkd::syncd {

namespace {

bool hmac_matches(const std::string& body, const Secret& secret, std::string_view claimed) {
  if (claimed.starts_with("sha256=")) claimed.remove_prefix(7);
  if (claimed.empty()) return false;
  std::string lowered(claimed);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return constant_time_equal(hmac_sha256_hex(secret.reveal(), body), lowered);
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

bool verify_webhook(const WebhookRequest& request, const Secret& secret) {
  if (secret.empty()) return false;  // no secret configured: every hook is refused
  switch (request.kind) {
    case WebhookKind::kGithub: return hmac_matches(request.body, secret, request.github_signature);
    case WebhookKind::kGitea: return hmac_matches(request.body, secret, request.gitea_signature);
    case WebhookKind::kGitlab:
      return !request.gitlab_token.empty() &&
             constant_time_equal(request.gitlab_token, secret.reveal());
    case WebhookKind::kGeneric: return hmac_matches(request.body, secret, request.generic_signature);
  }
  return false;
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

bool RateLimiter::allow(const std::string& address) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  if (buckets_.size() > 10'000) buckets_.clear();  // bound memory under address churn
  auto [entry, inserted] = buckets_.try_emplace(address, Bucket{burst_, now});
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
