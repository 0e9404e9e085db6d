// Fuzz target: a POST /hooks/<kind> through the listener's own checks (syncd/http/webhooks.h):
// the request built from its headers and body, its signature, the generic hook's timestamp and
// delivery ID, and the push payload's ref, in the order HttpServer::handle_webhook runs them.
//
// Input, as text:
//   <kind>\n                      the path's last segment: github, gitea, gitlab, generic, other
//   <Name>: <value>\n ...         headers, one a line (names in any case), up to an empty line
//   \n
//   <body>                        the rest: the push payload
// The fuzzer cannot forge an HMAC, so a signature header (X-Hub-Signature-256,
// X-Gitea-Signature, X-Nkd-Signature) or X-Gitlab-Token whose value is exactly "@sign" is
// replaced by the right one for this request: the payload checks behind the signature are
// reached too. The daemon's clock is fixed at kNowUnixSeconds.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/crypto.h"
#include "common/secret.h"
#include "fuzz/fuzz_input.h"
#include "syncd/http/webhooks.h"

namespace {

using nkd::syncd::WebhookKind;

constexpr std::string_view kSecret = "fuzz-webhook-secret";
constexpr std::string_view kSignMarker = "@sign";
constexpr std::int64_t kNowUnixSeconds = 1'764'000'000;

std::string lowered(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

// Headers by lower-cased name; a repeated header keeps its first value, as cpp-httplib's
// get_header_value does.
std::map<std::string, std::string> read_headers(nkd::fuzz::FuzzInput& input) {
  std::map<std::string, std::string> headers;
  while (!input.empty()) {
    const std::string_view line = input.take_line();
    if (trimmed(line).empty()) break;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    headers.try_emplace(lowered(trimmed(line.substr(0, colon))),
                        std::string(trimmed(line.substr(colon + 1))));
  }
  return headers;
}

// The value a sender holding the secret would put in place of "@sign".
std::string signature_for(const nkd::syncd::WebhookRequest& request) {
  switch (request.kind) {
    case WebhookKind::kGitlab:
      return std::string(kSecret);
    case WebhookKind::kGeneric:
      return nkd::syncd::generic_webhook_signature(kSecret, request.generic_timestamp,
                                                   request.delivery_id, request.body);
    case WebhookKind::kGithub:
    case WebhookKind::kGitea:
      return "sha256=" + nkd::hmac_sha256_hex(kSecret, request.body);
  }
  return "";
}

void sign_marked(nkd::syncd::WebhookRequest& request) {
  for (std::string* claimed : {&request.github_signature, &request.gitea_signature,
                               &request.gitlab_token, &request.generic_signature}) {
    if (*claimed == kSignMarker) *claimed = signature_for(request);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nkd::fuzz::FuzzInput input(data, size);
  const auto kind = nkd::syncd::webhook_kind_from_path(trimmed(input.take_line()));
  if (!kind) return 0;  // the listener answers 404 before it reads anything else
  const auto headers = read_headers(input);
  auto request =
      nkd::syncd::webhook_request_of(*kind, std::string(input.rest()), [&](const char* name) {
        const auto found = headers.find(lowered(name));
        return found == headers.end() ? std::string() : found->second;
      });
  sign_marked(request);

  const nkd::syncd::WebhookSecrets secrets{nkd::Secret(std::string(kSecret))};
  if (!nkd::syncd::verify_webhook(request, secrets.of(*kind))) return 0;
  if (!nkd::syncd::timestamp_is_fresh(request, kNowUnixSeconds, std::chrono::seconds(300))) {
    return 0;
  }
  if (!request.delivery_id.empty() && !nkd::syncd::valid_delivery_id(request.delivery_id)) {
    return 0;
  }
  for (const char* watched : {"main", "refs/heads/main", "semver:>=1.0.0"}) {
    (void)nkd::syncd::push_concerns_ref(request, watched);
  }
  return 0;
}
