#include "providers/openstack/api_util.h"

#include <algorithm>
#include <cctype>

#include "common/ascii.h"
#include "common/http_status.h"

namespace nkd::providers::openstack {

using nlohmann::json;

std::string service_message(const HttpResponse& response) {
  std::string message;
  json body = json::parse(response.body, nullptr, false);
  if (body.is_object()) {
    for (const auto& [key, value] : body.items()) {
      if (value.is_object() && value.contains("message") && value["message"].is_string()) {
        message = value["message"].get<std::string>();
        break;
      }
      if (key == "message" && value.is_string()) message = value.get<std::string>();
    }
  }
  if (message.empty()) message = response.body;
  std::replace(message.begin(), message.end(), '\n', ' ');
  if (message.size() > 300) message = message.substr(0, 300) + "...";
  return message;
}

std::string quota_name(std::string_view message) {
  const std::string text = ascii_lower(message);
  const std::string marker = "quota exceeded for ";
  auto start = text.find(marker);
  if (start == std::string::npos) return "";
  start += marker.size();
  if (text.compare(start, 10, "resources:") == 0) {  // Neutron: "resources: ['port']."
    auto quote = text.find('\'', start);
    auto end = quote == std::string::npos ? quote : text.find('\'', quote + 1);
    return end == std::string::npos ? "" : text.substr(quote + 1, end - quote - 1);
  }
  auto end = start;
  while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_')) {
    ++end;
  }
  return text.substr(start, end - start);
}

bool is_quota_failure(const HttpResponse& response) {
  if (response.status != 403 && response.status != 409 && response.status != 413) return false;
  const std::string text = ascii_lower(response.body);
  return text.find("quota") != std::string::npos || text.find("overquota") != std::string::npos;
}

Error error_from_response(const HttpResponse& response, const std::string& what) {
  const std::string message = service_message(response);
  if (is_quota_failure(response)) {
    const std::string quota = quota_name(message);
    return Error{ErrorCode::kQuotaExceeded,
                 what + ": quota exceeded for " + (quota.empty() ? "an unnamed quota" : quota) +
                     " (HTTP " + std::to_string(response.status) + ": " + message +
                     "); raise the project's quota or lower the replicas"};
  }
  return error_for_response(response,
                            what + ": HTTP " + std::to_string(response.status) + ": " + message);
}

Result<nlohmann::json> json_body(const Result<HttpResponse>& response, const std::string& what,
                                 std::initializer_list<int> expected) {
  if (!response) return response.error().wrap(what);
  if (std::find(expected.begin(), expected.end(), response->status) == expected.end()) {
    return error_from_response(*response, what);
  }
  json body = json::parse(response->body, nullptr, false);
  if (body.is_discarded()) {
    return Error{ErrorCode::kParse, what + ": the answer (HTTP " + std::to_string(response->status) +
                                        ") is not JSON"};
  }
  return body;
}

std::string url_encode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 15];
    }
  }
  return encoded;
}

bool looks_like_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

}  // namespace nkd::providers::openstack
