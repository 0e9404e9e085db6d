#include "syncd/http/http_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/memory.h"

namespace nkd::syncd {

namespace {

// Stored text came from commits (authors, messages, diagnostics): bytes that are not UTF-8 are
// replaced rather than let the JSON library throw inside a request.
std::string json_text(const nlohmann::json& body) {
  return body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

void send_json(httplib::Response& response, const nlohmann::json& body, int status = 200) {
  response.status = status;
  response.set_content(json_text(body) + "\n", "application/json");
}

void send_error(httplib::Response& response, int status, const std::string& message) {
  send_json(response, {{"error", message}}, status);
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
          {"finishedAt", nullable(format_rfc3339_ms(row.finished_at_ms))}};
}

HttpServer::HttpServer(HttpServerOptions options, state::StateStore& store,
                       metrics::Metrics& metrics, providers::BareMetalProvider& bare_metal,
                       HttpCallbacks callbacks)
    : options_(std::move(options)),
      store_(store),
      metrics_(metrics),
      bare_metal_(bare_metal),
      callbacks_(std::move(callbacks)),
      rate_limiter_(options_.webhook_rate_per_second, options_.webhook_burst),
      server_(std::make_unique<httplib::Server>()) {}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::start() {
  routes();
  server_->set_payload_max_length(options_.max_webhook_body_bytes);
  server_->set_read_timeout(10, 0);
  server_->set_write_timeout(10, 0);
  if (options_.port == 0) {
    bound_port_ = server_->bind_to_any_port(options_.host);
  } else {
    bound_port_ = server_->bind_to_port(options_.host, options_.port) ? options_.port : -1;
  }
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
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

void HttpServer::routes() {
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("ok\n", "text/plain");
  });
  server_->Get("/readyz", [this](const httplib::Request&, httplib::Response& response) {
    const bool fetched = callbacks_.source_ready && callbacks_.source_ready();
    const auto store = store_.ping();
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
    auto clusters = store_.list_clusters();
    if (!clusters) return send_error(response, 503, clusters.error().message);
    // One cluster's document at a time: a whole-array document of thousands of clusters is
    // tens of MiB of small allocations, and each poll of this endpoint grew the daemon by it.
    std::string body = "[";
    for (std::size_t i = 0; i < clusters->size(); ++i) {
      body += (i == 0 ? "\n" : ",\n") + json_text(cluster_json((*clusters)[i]));
    }
    body += clusters->empty() ? "]\n" : "\n]\n";
    response.set_content(std::move(body), "application/json");
    if (response.body.size() > (1u << 20)) release_free_memory();
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
                [this](const httplib::Request& request, httplib::Response& response) {
                  handle_webhook(request, response);
                });
  server_->Get(R"(/ignition/([a-z0-9-]+)/([a-z0-9-]+))",
               [this](const httplib::Request& request, httplib::Response& response) {
                 handle_ignition(request, response);
               });
}

nlohmann::json HttpServer::cluster_json(const state::ClusterRecord& record) {
  nlohmann::json nodes = nlohmann::json::array();
  if (auto records = store_.nodes(record.name)) {
    for (const auto& node : *records) {
      nodes.push_back({{"name", node.name},
                       {"pool", node.pool},
                       {"role", node.role},
                       {"providerID", node.provider_id},
                       {"configDigest", node.config_digest},
                       {"state", node.state},
                       {"kubeletVersion", nullable(node.kubelet_version)},
                       {"osImage", nullable(node.os_image)}});
    }
  }
  return {{"name", record.name},
          {"phase", record.phase},
          {"observedRevision", record.observed_revision},
          {"appliedRevision", record.applied_revision},
          {"clusterRevision", record.cluster_revision},
          {"renderDigest", record.render_digest},
          {"ready", record.ready},
          {"lastError", nullable(record.last_error)},
          {"nodes", nodes}};
}

void HttpServer::handle_cluster(const std::string& name, httplib::Response& response) {
  auto record = store_.get_cluster(name);
  if (!record) return send_error(response, 503, record.error().message);
  if (!record->has_value()) return send_error(response, 404, "no cluster named " + name);
  send_json(response, cluster_json(**record));
}

void HttpServer::handle_history(const std::string& name, httplib::Response& response) {
  auto rows = store_.history(name, 1000);
  if (!rows) return send_error(response, 503, rows.error().message);
  nlohmann::json array = nlohmann::json::array();
  for (const auto& row : *rows) array.push_back(history_row_json(row));
  send_json(response, array);
}

void HttpServer::handle_webhook(const httplib::Request& request, httplib::Response& response) {
  const auto kind = webhook_kind_from_path(request.matches[1].str());
  if (!kind) return send_error(response, 404, "unknown hook kind; use github, gitea, gitlab or generic");
  auto count = [&](const char* result) {
    metrics_.webhook_requests_total.Add({{"kind", to_string(*kind)}, {"result", result}}).Increment();
  };
  if (!rate_limiter_.allow(request.remote_addr)) {
    count("rate_limited");
    return send_error(response, 429, "too many webhook requests from this address");
  }
  WebhookRequest hook{.kind = *kind,
                      .body = request.body,
                      .github_signature = request.get_header_value("X-Hub-Signature-256"),
                      .gitea_signature = request.get_header_value("X-Gitea-Signature"),
                      .gitlab_token = request.get_header_value("X-Gitlab-Token"),
                      .generic_signature = request.get_header_value("X-Nkd-Signature")};
  if (!verify_webhook(hook, options_.webhook_secret)) {
    count("unauthorized");
    spdlog::warn("refused {} webhook from {}: bad or missing signature", to_string(*kind),
                 request.remote_addr);
    return send_error(response, 401, "bad or missing signature");
  }
  if (!push_concerns_ref(hook, options_.watched_ref)) {
    count("ignored");
    return send_json(response, {{"status", "ignored: not the watched ref"}}, 202);
  }
  count("accepted");
  if (callbacks_.trigger_fetch) callbacks_.trigger_fetch();
  send_json(response, {{"status", "fetch triggered"}}, 202);
}

void HttpServer::handle_ignition(const httplib::Request& request, httplib::Response& response) {
  std::string token = request.get_header_value("Authorization");
  if (token.starts_with("Bearer ")) token = token.substr(7);
  else if (request.has_param("token")) token = request.get_param_value("token");
  else token.clear();
  const auto result = bare_metal_.fetch(request.matches[1], request.matches[2], token);
  switch (result.status) {
    case providers::BareMetalProvider::FetchStatus::kUnknownNode:
      return send_error(response, 404, "no published config for this node");
    case providers::BareMetalProvider::FetchStatus::kBadToken:
      spdlog::warn("refused Ignition fetch for {}/{} from {}: wrong token",
                   request.matches[1].str(), request.matches[2].str(), request.remote_addr);
      return send_error(response, 401, "wrong or missing bearer token");
    case providers::BareMetalProvider::FetchStatus::kServed:
      response.set_header("ETag", "\"" + result.digest + "\"");
      response.set_content(result.config, "application/vnd.coreos.ignition+json");
      return;
  }
}

}  // namespace nkd::syncd
