#include "syncd/http/http_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/memory.h"
#include "syncd/http/guarded_server.h"
#include "syncd/http/json_response.h"

namespace nkd::syncd {

namespace {

// Unknown node, unknown cluster and wrong or missing token get this same answer, so that the
// endpoint does not tell which clusters and nodes exist.
constexpr char kIgnitionRefusal[] =
    "no published config for this node, or a wrong or missing token";

// The body a webhook may carry (for POST /hooks/...); every other request takes none.
std::size_t allowed_body_bytes(const httplib::Request& request, std::size_t webhook_limit_bytes) {
  return request.method == "POST" && request.path.starts_with("/hooks/") ? webhook_limit_bytes : 0;
}

enum class BodyRead { kComplete, kTooLarge, kBroken };

// Reads a request body into `body`, stopping as soon as it would pass `limit_bytes`.
BodyRead read_bounded_body(const httplib::ContentReader& reader, std::size_t limit_bytes,
                           std::string& body) {
  bool too_large = false;
  const bool complete = reader([&](const char* data, std::size_t size) {
    if (body.size() + size > limit_bytes) {
      too_large = true;
      return false;
    }
    body.append(data, size);
    return true;
  });
  if (too_large) return BodyRead::kTooLarge;
  return complete ? BodyRead::kComplete : BodyRead::kBroken;
}

// The body signature as a replay key: the "sha256=" prefix is optional and hex has two cases,
// so a replay cannot pass as new by respelling it.
std::string replay_key(std::string_view signature) {
  if (signature.starts_with("sha256=")) signature.remove_prefix(7);
  std::string key = "signature:";
  for (const char c : signature) {
    key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return key;
}

nlohmann::json nullable(const std::string& text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

}  // namespace

nlohmann::json history_row_json(const state::HistoryRow& row) {
  return {{"revision", row.revision},
          {"author", row.author},
          {"committedAt", format_rfc3339_ms(row.committed_at_ms)},
          {"renderDigest", row.render_digest},
          {"outcome", state::to_string(row.outcome)},
          {"message", row.message},
          {"startedAt", format_rfc3339_ms(row.started_at_ms)},
          {"finishedAt", nullable(format_rfc3339_ms(row.finished_at_ms))},
          {"replica", row.replica}};
}

HttpServer::HttpServer(HttpServerOptions options, HttpServerStores stores,
                       metrics::Metrics& metrics, providers::BareMetalProvider& bare_metal,
                       HttpCallbacks callbacks)
    : options_(std::move(options)),
      stores_(stores),
      metrics_(metrics),
      bare_metal_(bare_metal),
      callbacks_(std::move(callbacks)),
      clock_(options_.clock != nullptr ? *options_.clock : real_clock()),
      rate_limiter_(options_.webhook_rate_per_second, options_.webhook_burst, clock_),
      recent_deliveries_(options_.webhook_replay_capacity, options_.webhook_replay_ttl),
      // One token per interval, no burst: the first refusal from an address is logged.
      ignition_warnings_(1000.0 / static_cast<double>(std::max<std::int64_t>(
                                      1, options_.ignition_warning_interval.count())),
                         1, clock_),
      server_(std::make_unique<GuardedServer>(
          options_.connections,
          [limit = options_.max_webhook_body_bytes](const httplib::Request& request) {
            return allowed_body_bytes(request, limit);
          },
          [this](ConnectionTable::DropReason reason) {
            metrics_.http_connections_dropped_total
                .Add({{"reason", ConnectionTable::to_string(reason)}})
                .Increment();
          },
          options_.tls)) {}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::start() {
  routes();
  server_->set_exception_handler(
      [this](const httplib::Request& request, httplib::Response& response,
             std::exception_ptr failure) { handle_failure(request, response, failure); });
  server_->set_payload_max_length(options_.max_webhook_body_bytes);
  server_->set_read_timeout(10, 0);
  server_->set_write_timeout(10, 0);
  bound_port_ = server_->bind_with_deep_backlog(options_.host, options_.port);
  if (bound_port_ <= 0) {
    return Error{ErrorCode::kUnavailable, "cannot listen on " + options_.host + ":" +
                                              std::to_string(options_.port) +
                                              " (in use, or not an address of this machine); "
                                              "change listen: in syncd.yaml"};
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return ok_status();
}

void HttpServer::stop() {
  if (server_) server_->stop_and_disconnect();
  if (thread_.joinable()) thread_.join();
}

void HttpServer::routes() {
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("ok\n", "text/plain");
  });
  server_->Get("/readyz", [this](const httplib::Request&, httplib::Response& response) {
    const bool fetched = callbacks_.source_ready && callbacks_.source_ready();
    const auto store = stores_.health.ping();
    if (fetched && store) {
      response.set_content("ok\n", "text/plain");
      return;
    }
    response.status = 503;
    response.set_content(std::string(fetched ? "" : "source not fetched yet\n") +
                             (store ? "" : "state store unreachable: " + store.error().message + "\n"),
                         "text/plain");
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
    response.set_content(metrics_.serialize(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server_->Get("/api/v1/clusters", [this](const httplib::Request&, httplib::Response& response) {
    auto clusters = stores_.records.list_clusters();
    if (!clusters) return send_error(response, 503, clusters.error().message);
    auto suspensions = stores_.records.suspensions();
    if (!suspensions) return send_error(response, 503, suspensions.error().message);
    // One cluster's document at a time: a whole-array document of thousands of clusters is
    // tens of MiB of small allocations, and each poll of this endpoint grew the daemon by it.
    std::string body = "[";
    for (std::size_t i = 0; i < clusters->size(); ++i) {
      body += (i == 0 ? "\n" : ",\n") + json_text(cluster_json((*clusters)[i], *suspensions));
    }
    body += clusters->empty() ? "]\n" : "\n]\n";
    response.set_content(std::move(body), "application/json");
    if (response.body.size() > (1u << 20)) release_free_memory();
  });
  server_->Get("/api/v1/replicas", [this](const httplib::Request&, httplib::Response& response) {
    if (!callbacks_.replicas) {
      return send_error(response, 404,
                        "this daemon runs alone (state.sqlite): it has no replicas to list");
    }
    send_json(response, callbacks_.replicas());
  });
  server_->Get(R"(/api/v1/clusters/([a-z0-9-]+))",
               [this](const httplib::Request& request, httplib::Response& response) {
                 handle_cluster(request.matches[1], response);
               });
  server_->Get(R"(/api/v1/clusters/([a-z0-9-]+)/history)",
               [this](const httplib::Request& request, httplib::Response& response) {
                 handle_history(request.matches[1], response);
               });
  server_->Post(R"(/hooks/([a-z]+))",
                [this](const httplib::Request& request, httplib::Response& response,
                       const httplib::ContentReader& read_body) {
                  handle_webhook(request, response, read_body);
                });
  operator_routes();
  server_->Get(R"(/ignition/([a-z0-9-]+)/([a-z0-9-]+))",
               [this](const httplib::Request& request, httplib::Response& response) {
                 handle_ignition(request, response);
               });
  // Every path under /boot/ reaches the handler, so a malformed MAC gets the same answer as an
  // unknown one.
  server_->Get(R"(/boot/(.+))", [this](const httplib::Request& request, httplib::Response& response) {
    handle_boot(request, response);
  });
}

nlohmann::json HttpServer::cluster_json(const state::ClusterRecord& record,
                                        const std::vector<state::Suspension>& suspensions) {
  const auto suspension =
      std::find_if(suspensions.begin(), suspensions.end(),
                   [&](const state::Suspension& entry) { return entry.cluster == record.name; });
  const bool suspended = suspension != suspensions.end();
  nlohmann::json nodes = nlohmann::json::array();
  if (auto records = stores_.nodes.nodes(record.name)) {
    for (const auto& node : *records) {
      nodes.push_back({{"name", node.name},
                       {"pool", node.pool},
                       {"role", node.role},
                       {"providerID", node.provider_id},
                       {"configDigest", node.config_digest},
                       {"state", state::to_string(node.state)},
                       {"kubeletVersion", nullable(node.kubelet_version)},
                       {"osImage", nullable(node.os_image)}});
    }
  }
  nlohmann::json document = {
      {"name", record.name},
      {"phase", state::to_string(record.phase)},
      {"observedRevision", record.observed_revision},
      {"appliedRevision", record.applied_revision},
      {"clusterRevision", record.cluster_revision},
      {"renderDigest", record.render_digest},
      {"ready", record.ready},
      {"lastError", nullable(state::newest_error(record))},
      {"phaseMessage", nullable(record.phase_message)},
      {"wave", record.wave},
      {"suspended", suspended},
      {"suspendedAt", suspended ? nullable(format_rfc3339_ms(suspension->since_ms)) : nullptr},
      {"suspendReason", suspended ? nullable(suspension->reason) : nullptr},
      {"nodes", nodes}};
  if (callbacks_.owner_of) document["owner"] = callbacks_.owner_of(record.name);
  return document;
}

void HttpServer::handle_cluster(const std::string& name, httplib::Response& response) {
  auto record = stores_.records.get_cluster(name);
  if (!record) return send_error(response, 503, record.error().message);
  if (!record->has_value()) return send_error(response, 404, "no cluster named " + name);
  auto suspensions = stores_.records.suspensions();
  if (!suspensions) return send_error(response, 503, suspensions.error().message);
  send_json(response, cluster_json(**record, *suspensions));
}

void HttpServer::handle_history(const std::string& name, httplib::Response& response) {
  auto rows = stores_.records.history(name, 1000);
  if (!rows) return send_error(response, 503, rows.error().message);
  if (rows->empty()) {
    // A pruned cluster keeps its history and answers with it; a name nkd never knew is a 404, as
    // for the cluster itself, not an empty list that looks like "nothing applied yet".
    auto record = stores_.records.get_cluster(name);
    if (!record) return send_error(response, 503, record.error().message);
    if (!record->has_value()) return send_error(response, 404, "no cluster named " + name);
  }
  nlohmann::json array = nlohmann::json::array();
  for (const auto& row : *rows) array.push_back(history_row_json(row));
  send_json(response, array);
}

void HttpServer::handle_failure(const httplib::Request& request, httplib::Response& response,
                                const std::exception_ptr& failure) {
  std::string cause = "an exception of unknown type";
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& error) {
    cause = error.what();
  } catch (...) {
  }
  // The cause may name internals or echo stored data: it goes to the log, and the client gets
  // an id to find it there.
  const std::string request_id = to_hex(random_bytes(8));
  spdlog::error("request {} ({} {} from {}) failed: {}", request_id, request.method, request.path,
                request.remote_addr, cause);
  metrics_.http_handler_failures_total.Add({}).Increment();
  response.headers.clear();
  send_json(
      response,
      {{"error", "internal error; the daemon's log has the details"}, {"requestId", request_id}},
      500);
}

void HttpServer::handle_webhook(const httplib::Request& request, httplib::Response& response,
                                const httplib::ContentReader& read_body) {
  const auto kind = webhook_kind_from_path(request.matches[1].str());
  // Refusals before the body is read leave it unread: the connection cannot carry another request.
  if (!kind) {
    GuardedServer::close_after_response(response);
    return send_error(response, 404, "unknown hook kind; use github, gitea, gitlab or generic");
  }
  auto count = [&](const char* result) {
    metrics_.webhook_requests_total.Add({{"kind", to_string(*kind)}, {"result", result}}).Increment();
  };
  if (!rate_limiter_.allow(client_network(request.remote_addr, options_.webhook_networks))) {
    count("rate_limited");
    GuardedServer::close_after_response(response);
    return send_error(response, 429, "too many webhook requests from this network");
  }
  std::string body;
  switch (read_bounded_body(read_body, options_.max_webhook_body_bytes, body)) {
    case BodyRead::kComplete:
      break;
    case BodyRead::kTooLarge:
      count("too_large");
      GuardedServer::close_after_response(response);
      return send_error(response, 413,
                        "request body too large: at most " +
                            std::to_string(options_.max_webhook_body_bytes) + " bytes");
    case BodyRead::kBroken:
      count("bad_request");
      GuardedServer::close_after_response(response);
      return send_error(response, 400, "incomplete or malformed request body");
  }
  const WebhookRequest hook = webhook_request_of(
      *kind, std::move(body), [&](const char* name) { return request.get_header_value(name); });
  if (!verify_webhook(hook, options_.webhook_secrets.of(*kind))) {
    count("unauthorized");
    spdlog::warn("refused {} webhook from {}: bad or missing signature", to_string(*kind),
                 request.remote_addr);
    return send_error(response, 401,
                      *kind == WebhookKind::kGeneric
                          ? "bad or missing signature, X-Nkd-Timestamp or X-Nkd-Delivery"
                          : "bad or missing signature");
  }
  if (refuse_replay(hook, response, count)) return;
  if (!push_concerns_ref(hook, options_.watched_ref)) {
    count("ignored");
    return send_json(response, {{"status", "ignored: not the watched ref"}}, 202);
  }
  count("accepted");
  if (callbacks_.trigger_fetch) callbacks_.trigger_fetch();
  send_json(response, {{"status", "fetch triggered"}}, 202);
}

bool HttpServer::refuse_replay(const WebhookRequest& hook, httplib::Response& response,
                               const std::function<void(const char*)>& count) {
  const Clock& clock = clock_;
  if (!timestamp_is_fresh(hook, clock.now_unix_ms() / 1000, options_.webhook_timestamp_window)) {
    count("stale");
    send_error(response, 401,
               "X-Nkd-Timestamp is more than " +
                   std::to_string(options_.webhook_timestamp_window.count()) +
                   " s from the daemon's clock; send the current Unix time and check both clocks");
    return true;
  }
  if (!hook.delivery_id.empty() && !valid_delivery_id(hook.delivery_id)) {
    count("bad_request");
    send_error(response, 400,
               std::string(delivery_header(hook.kind)) + " must be 1 to 128 of A-Z a-z 0-9 _ -");
    return true;
  }
  // GitHub's and Gitea's delivery headers are not signed: a captured delivery sent again with a
  // new ID still carries the old body signature, which is remembered too. The generic signature
  // covers its ID, and GitLab signs nothing (its token is the secret itself).
  std::string signature;
  if (hook.kind == WebhookKind::kGithub) signature = replay_key(hook.github_signature);
  if (hook.kind == WebhookKind::kGitea) signature = replay_key(hook.gitea_signature);
  const std::string delivery = hook.delivery_id.empty() ? "" : "delivery:" + hook.delivery_id;
  if (recent_deliveries_.first_sighting(hook.kind, {delivery, signature}, clock.steady_now())) {
    return false;
  }
  // 200, not 409: forges count any other answer as a failed delivery, retry it, and GitLab
  // disables a hook after repeated failures; the first delivery already did the work.
  count("replay");
  send_json(response, {{"status", "duplicate delivery, ignored"}}, 200);
  return true;
}

void HttpServer::handle_ignition(const httplib::Request& request, httplib::Response& response) {
  const std::string token = providers::ignition_fetch_token(
      request.get_header_value("Authorization"),
      request.has_param("token") ? std::optional<std::string>(request.get_param_value("token"))
                                 : std::nullopt);
  const auto result = bare_metal_.fetch(request.matches[1], request.matches[2], token);
  if (result.status == providers::BareMetalProvider::FetchStatus::kServed) {
    response.set_header("ETag", "\"" + result.digest + "\"");
    response.set_content(result.config, "application/vnd.coreos.ignition+json");
    return;
  }
  metrics_.ignition_refused_total.Add({}).Increment();
  // A scan or a misconfigured node retries often: one warning per address and interval.
  if (ignition_warnings_.allow(request.remote_addr)) {
    spdlog::warn(
        "refused Ignition fetch for {}/{} from {}: {} (further refusals from this address "
        "are counted in nkd_ignition_refused_total, not logged, for {} s)",
        request.matches[1].str(), request.matches[2].str(), request.remote_addr,
        result.status == providers::BareMetalProvider::FetchStatus::kBadToken
            ? "wrong or missing token"
            : "no config published for that node",
        options_.ignition_warning_interval.count() / 1000);
  }
  send_error(response, 404, kIgnitionRefusal);
}

}  // namespace nkd::syncd
