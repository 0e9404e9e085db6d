#include "tests/fakes/fake_forge.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <regex>
#include <set>
#include <stdexcept>

namespace nkd::testing {

namespace {

void answer_error(httplib::Response& response, int status, const std::string& message) {
  response.status = status;
  response.set_content(nlohmann::json{{"message", message}}.dump(), "application/json");
}

}  // namespace

FakeForge::FakeForge(std::string kind, std::string repository, std::string token)
    : kind_(std::move(kind)), repository_(std::move(repository)), token_(std::move(token)),
      server_(std::make_unique<httplib::Server>()) {
  const std::string prefix = kind_ == "gitea" ? "/api/v1" : "";
  server_->Post(prefix + R"(/repos/([^/]+)/([^/]+)/statuses/([^/]+))",
                [this](const httplib::Request& request, httplib::Response& response) {
    ++requests_;
    if (failures_left_ > 0) {
      --failures_left_;
      answer_error(response, 502, "Bad Gateway");
      return;
    }
    const std::string authorization = request.get_header_value("Authorization");
    const bool authorized = authorization == "token " + token_ ||
                            (kind_ == "github" && authorization == "Bearer " + token_);
    if (!authorized) return answer_error(response, 401, "Bad credentials");
    if (request.matches[1].str() + "/" + request.matches[2].str() != repository_) {
      return answer_error(response, 404, "Not Found");
    }
    const std::string commit = request.matches[3];
    if (!std::regex_match(commit, std::regex("[0-9a-f]{40}"))) {
      return answer_error(response, 422, "No commit found for SHA: " + commit);
    }
    const auto body = nlohmann::json::parse(request.body, nullptr, false);
    std::set<std::string> states = {"pending", "success", "error", "failure"};
    if (kind_ == "gitea") states.insert("warning");
    if (body.is_discarded() || !body.contains("state") || !body["state"].is_string() ||
        !states.contains(body["state"].get<std::string>())) {
      return answer_error(response, 422, "Validation Failed: state");
    }
    ForgeStatus status{.commit = commit,
                       .state = body["state"],
                       .description = body.value("description", ""),
                       .context = body.value("context", "default"),
                       .target_url = body.value("target_url", "")};
    std::size_t id = 0;
    {
      std::lock_guard lock(mutex_);
      statuses_.push_back(status);
      id = statuses_.size();
    }
    response.status = 201;
    response.set_content(nlohmann::json{{"id", id},
                                        {"state", status.state},
                                        {"description", status.description},
                                        {"context", status.context},
                                        {"target_url", status.target_url},
                                        {"created_at", "2026-01-01T00:00:00Z"}}
                             .dump(),
                         "application/json");
  });
  serving_ = std::make_unique<ServingThread>(*server_, "fake forge");
}

FakeForge::~FakeForge() {
  serving_.reset();  // stops the handlers before the statuses they record go
}

std::string FakeForge::api_url() const {
  return serving_->url() + (kind_ == "gitea" ? "/api/v1" : "");
}

std::vector<ForgeStatus> FakeForge::statuses() const {
  std::lock_guard lock(mutex_);
  return statuses_;
}

std::vector<ForgeStatus> FakeForge::statuses_for(const std::string& commit) const {
  std::vector<ForgeStatus> matching;
  for (const auto& status : statuses()) {
    if (status.commit == commit) matching.push_back(status);
  }
  return matching;
}

}  // namespace nkd::testing
