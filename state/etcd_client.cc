#include "state/etcd_client.h"

#include <nlohmann/json.hpp>

#include "common/crypto.h"
#include "common/json_fields.h"
#include "common/secret_file.h"

namespace nkd::state {
namespace {

using nlohmann::json;

Error settings_error(const std::string& message) {
  return Error{ErrorCode::kInvalidArgument, "state.etcd: " + message};
}

// The first key after every key that starts with `prefix` (etcd's range_end for a prefix).
std::string prefix_end(std::string prefix) {
  while (!prefix.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(prefix.back());
    if (last < 0xff) {
      ++last;
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string{'\0'};  // every key
}

std::int64_t json_int64(const json& object, std::string_view key) {
  const std::string text = json_string(object, key);  // the gateway writes int64 as strings
  if (text.empty()) return 0;
  try {
    return std::stoll(text);
  } catch (const std::exception&) {
    return 0;
  }
}

// etcd's own refusal (a gRPC status in the body) as an error whose code says what to do.
Error etcd_error(const std::string& endpoint, int http_status, const std::string& body) {
  const json answer = json::parse(body, nullptr, /*allow_exceptions=*/false);
  std::string message = json_string(answer, "message");
  if (message.empty()) message = "HTTP " + std::to_string(http_status) + " " + body.substr(0, 200);
  const int grpc_code =
      json_member(answer, "code").is_number_integer() ? json_member(answer, "code").get<int>() : -1;
  const std::string what = "etcd at " + endpoint + ": " + message;
  switch (grpc_code) {
    case 3:   // InvalidArgument
    case 9:   // FailedPrecondition
    case 11:  // OutOfRange
      return Error{ErrorCode::kInvalidArgument,
                   what +
                       " (raise etcd's --max-txn-ops or --max-request-bytes if the request "
                       "is too large)"};
    case 4:  // DeadlineExceeded
      return Error{ErrorCode::kTimeout, what};
    case 7:  // PermissionDenied
      return Error{ErrorCode::kPermissionDenied, what + "; grant nkd's etcd user the prefix"};
    case 16:  // Unauthenticated
      return Error{ErrorCode::kUnauthenticated, what + "; check the client certificate"};
    case 8:   // ResourceExhausted
    case 14:  // Unavailable: no leader, a member stopping
      return Error{ErrorCode::kUnavailable, what};
    default:
      return Error{ErrorCode::kInternal, what};
  }
}

Result<json> parse_answer(const std::string& body, std::string_view path) {
  json answer = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (answer.is_discarded() || !answer.is_object()) {
    return Error{ErrorCode::kParse, "etcd answered " + std::string(path) +
                                        " with something other than a JSON object; check that "
                                        "the endpoint is an etcd v3.4+ client URL"};
  }
  return answer;
}

json compare_json(const std::string& key, const std::string& range_end, std::int64_t revision,
                  const char* result) {
  json compare = {{"key", base64_encode(key)},
                  {"target", "MOD"},
                  {"result", result},
                  {"mod_revision", std::to_string(revision)}};
  if (!range_end.empty()) compare["range_end"] = base64_encode(range_end);
  return compare;
}

}  // namespace

Result<std::unique_ptr<EtcdClient>> EtcdClient::create(const EtcdSettings& settings,
                                                       std::unique_ptr<HttpClient> http) {
  EtcdSettings checked = settings;
  if (checked.endpoints.empty()) return settings_error("endpoints lists no etcd member");
  while (checked.prefix.size() > 1 && checked.prefix.back() == '/') checked.prefix.pop_back();
  if (checked.prefix.empty() || checked.prefix.front() != '/' || checked.prefix == "/") {
    return settings_error("prefix '" + settings.prefix +
                          "' must start with '/' and name a folder, e.g. /nkd");
  }
  const bool tls = !checked.ca_file.empty() || !checked.cert_file.empty();
  for (auto& endpoint : checked.endpoints) {
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    const bool https = endpoint.starts_with("https://");
    if (!https && !endpoint.starts_with("http://")) {
      return settings_error("endpoint '" + endpoint + "' must be an http:// or https:// URL");
    }
    if (tls && !https) {
      return settings_error("endpoint '" + endpoint + "' must be https:// when tls is set");
    }
  }
  if (checked.cert_file.empty() != checked.key_file.empty()) {
    return settings_error("tls.cert and tls.key go together; give both or neither");
  }
  if (checked.timeout_ms <= 0) return settings_error("timeoutSeconds must be positive");
  std::string cert_pem;
  Secret key_pem;
  if (!checked.cert_file.empty()) {
    NKD_ASSIGN_OR_RETURN(cert_pem, read_text_file(checked.cert_file, "etcd client certificate"));
    NKD_ASSIGN_OR_RETURN(key_pem, read_secret_file(checked.key_file, "etcd client key"));
  }
  return std::make_unique<EtcdClient>(ConstructionKey(), std::move(checked), std::move(http),
                                      std::move(cert_pem), std::move(key_pem));
}

EtcdClient::EtcdClient(ConstructionKey, EtcdSettings settings, std::unique_ptr<HttpClient> http,
                       std::string client_cert_pem, Secret client_key_pem)
    : settings_(std::move(settings)),
      http_(std::move(http)),
      client_cert_pem_(std::move(client_cert_pem)),
      client_key_pem_(std::move(client_key_pem)) {}

std::string EtcdClient::full_key(std::string_view key) const {
  return settings_.prefix + "/" + std::string(key);
}

Result<HttpResponse> EtcdClient::call_member(const std::string& endpoint, std::string_view path,
                                             const std::string& body) {
  return http_->send(HttpRequest{.method = "POST",
                                 .url = endpoint + std::string(path),
                                 .headers = {{"Content-Type", "application/json"}},
                                 .body = body,
                                 .timeout_ms = settings_.timeout_ms,
                                 .connect_timeout_ms = settings_.timeout_ms,
                                 .ca_file = settings_.ca_file,
                                 .client_cert_pem = client_cert_pem_,
                                 .client_key_pem = client_key_pem_});
}

Result<std::string> EtcdClient::call(std::string_view path, const std::string& body,
                                     Resend resend) {
  const std::size_t count = settings_.endpoints.size();
  const std::size_t first = preferred_endpoint_.load() % count;
  std::optional<Error> last_error;
  for (std::size_t tried = 0; tried < count; ++tried) {
    const std::size_t index = (first + tried) % count;
    const std::string& endpoint = settings_.endpoints[index];
    auto response = call_member(endpoint, path, body);
    if (response && response->status == 200) {
      preferred_endpoint_.store(index);
      return std::move(response->body);
    }
    // Unreached: the member never saw the request, so any other may be asked. A member that
    // answered with an error or ran out of time may have acted on it: only a read is resent.
    const bool unreached = !response && response.error().code == ErrorCode::kUnavailable;
    last_error =
        response ? etcd_error(endpoint, response->status, response->body) : response.error();
    const bool read_may_resend =
        last_error->code == ErrorCode::kUnavailable || last_error->code == ErrorCode::kTimeout;
    if (!unreached && !(resend == Resend::kAlsoAfterTimeout && read_may_resend)) break;
  }
  return last_error->wrap("state store (etcd)");
}

Result<std::optional<EtcdKeyValue>> EtcdClient::get(std::string_view key) {
  const std::string full = full_key(key);
  const json request = {{"key", base64_encode(full)}};
  NKD_ASSIGN_OR_RETURN(auto body, call("/v3/kv/range", request.dump(), Resend::kAlsoAfterTimeout));
  NKD_ASSIGN_OR_RETURN(auto answer, parse_answer(body, "/v3/kv/range"));
  const json& kvs = json_array(answer, "kvs");
  if (kvs.empty()) return std::optional<EtcdKeyValue>();
  return std::optional<EtcdKeyValue>(EtcdKeyValue{
      .key = std::string(key),
      .value = base64_decode(json_string(kvs[0], "value")),
      .mod_revision = json_int64(kvs[0], "mod_revision"),
      .lease = json_int64(kvs[0], "lease"),
  });
}

Result<EtcdRange> EtcdClient::list(std::string_view prefix, const EtcdListOptions& options) {
  const std::string full = full_key(prefix);
  // The first key after `after` is `after` followed by a NUL byte.
  const std::string start = options.after.empty() ? full : full_key(options.after) + '\0';
  json request = {{"key", base64_encode(start)},
                  {"range_end", base64_encode(options.before.empty() ? prefix_end(full)
                                                                     : full_key(options.before))}};
  if (options.limit > 0) request["limit"] = std::to_string(options.limit);
  if (options.newest_first) {
    request["sort_order"] = "DESCEND";
    request["sort_target"] = "KEY";
  }
  NKD_ASSIGN_OR_RETURN(auto body, call("/v3/kv/range", request.dump(), Resend::kAlsoAfterTimeout));
  NKD_ASSIGN_OR_RETURN(auto answer, parse_answer(body, "/v3/kv/range"));
  EtcdRange range{.revision = json_int64(json_object(answer, "header"), "revision")};
  const std::size_t strip = settings_.prefix.size() + 1;
  for (const json& kv : json_array(answer, "kvs")) {
    std::string key = base64_decode(json_string(kv, "key"));
    range.values.push_back(EtcdKeyValue{
        .key = key.size() >= strip ? key.substr(strip) : key,
        .value = base64_decode(json_string(kv, "value")),
        .mod_revision = json_int64(kv, "mod_revision"),
        .lease = json_int64(kv, "lease"),
    });
  }
  return range;
}

Result<bool> EtcdClient::commit(const EtcdTxn& txn) {
  NKD_ASSIGN_OR_RETURN(auto revision, commit_at(txn));
  return revision.has_value();
}

Result<std::optional<std::int64_t>> EtcdClient::commit_at(const EtcdTxn& txn) {
  json compares = json::array();
  for (const EtcdCompare& compare : txn.compares) {
    const std::string full = full_key(compare.key);
    // A range compare holds when every key in it is older than the given revision + 1.
    compares.push_back(compare.whole_prefix
                           ? compare_json(full, prefix_end(full), compare.mod_revision + 1, "LESS")
                           : compare_json(full, "", compare.mod_revision, "EQUAL"));
  }
  json writes = json::array();
  for (const EtcdWrite& write : txn.writes) {
    const std::string full = full_key(write.key);
    switch (write.kind) {
      case EtcdWrite::Kind::kPut: {
        json put = {{"key", base64_encode(full)}, {"value", base64_encode(write.value)}};
        if (write.lease != 0) put["lease"] = std::to_string(write.lease);
        writes.push_back({{"request_put", std::move(put)}});
        break;
      }
      case EtcdWrite::Kind::kDelete:
        writes.push_back({{"request_delete_range", {{"key", base64_encode(full)}}}});
        break;
      case EtcdWrite::Kind::kDeletePrefix:
        writes.push_back(
            {{"request_delete_range",
              {{"key", base64_encode(full)}, {"range_end", base64_encode(prefix_end(full))}}}});
        break;
    }
  }
  const json request = {{"compare", compares}, {"success", writes}};
  NKD_ASSIGN_OR_RETURN(auto body, call("/v3/kv/txn", request.dump(), Resend::kOnlyUnreached));
  NKD_ASSIGN_OR_RETURN(auto answer, parse_answer(body, "/v3/kv/txn"));
  if (!json_bool(answer, "succeeded", false)) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(json_int64(json_object(answer, "header"), "revision"));
}

Result<std::int64_t> EtcdClient::grant_lease(std::int64_t ttl_seconds) {
  const json request = {{"TTL", std::to_string(ttl_seconds)}};
  NKD_ASSIGN_OR_RETURN(auto body, call("/v3/lease/grant", request.dump(), Resend::kOnlyUnreached));
  NKD_ASSIGN_OR_RETURN(auto answer, parse_answer(body, "/v3/lease/grant"));
  const std::int64_t lease = json_int64(answer, "ID");
  if (lease == 0) {
    return Error{ErrorCode::kInternal, "state store (etcd): a lease grant answered no lease id: " +
                                           json_string(answer, "error")};
  }
  return lease;
}

Result<std::int64_t> EtcdClient::renew_lease(std::int64_t lease) {
  const json request = {{"ID", std::to_string(lease)}};
  NKD_ASSIGN_OR_RETURN(auto body,
                       call("/v3/lease/keepalive", request.dump(), Resend::kAlsoAfterTimeout));
  NKD_ASSIGN_OR_RETURN(auto answer, parse_answer(body, "/v3/lease/keepalive"));
  // The gateway streams the answer: one message, {"result": {...}} or {"error": {...}}.
  if (!json_member(answer, "result").is_object()) {
    return Error{ErrorCode::kUnavailable, "state store (etcd): renewing lease " +
                                              std::to_string(lease) +
                                              " failed: " + json_member(answer, "error").dump()};
  }
  return std::max<std::int64_t>(0, json_int64(json_object(answer, "result"), "TTL"));
}

Status EtcdClient::revoke_lease(std::int64_t lease) {
  const json request = {{"ID", std::to_string(lease)}};
  auto body = call("/v3/lease/revoke", request.dump(), Resend::kAlsoAfterTimeout);
  // Revoking a lease that already expired is what was asked for.
  if (!body && body.error().message.find("lease not found") != std::string::npos)
    return ok_status();
  if (!body) return body.error();
  return ok_status();
}

Status EtcdClient::ping() {
  NKD_ASSIGN_OR_RETURN(auto body, call("/v3/maintenance/status", "{}", Resend::kAlsoAfterTimeout));
  NKD_ASSIGN_OR_RETURN(auto answer, parse_answer(body, "/v3/maintenance/status"));
  const std::string leader = json_string(answer, "leader");  // a uint64, as a string
  if (leader.empty() || leader == "0") {
    return Error{ErrorCode::kUnavailable,
                 "state store (etcd): the member has no leader; check the etcd cluster's quorum"};
  }
  return ok_status();
}

}  // namespace nkd::state
