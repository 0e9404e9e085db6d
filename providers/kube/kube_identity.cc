#include "providers/kube/kube_identity.h"

#include <chrono>

#include "render/pki/certificate.h"

namespace nkd::kube {
namespace {

struct HostPort {
  std::string host;  // bracketed when an IPv6 literal
  std::string port;
};

// controlPlaneEndpoint is "host", "host:port", "[v6]:port" or a bare IPv6 literal.
HostPort split_endpoint(const std::string& endpoint) {
  const std::string default_port = std::to_string(kApiServerPort);
  if (endpoint.starts_with('[')) {
    const auto close = endpoint.find(']');
    if (close != std::string::npos && close + 1 < endpoint.size() && endpoint[close + 1] == ':') {
      return {endpoint.substr(0, close + 1), endpoint.substr(close + 2)};
    }
    return {endpoint, default_port};
  }
  const auto colon = endpoint.find(':');
  if (colon == std::string::npos) return {endpoint, default_port};
  if (endpoint.find(':', colon + 1) != std::string::npos) return {"[" + endpoint + "]", default_port};
  return {endpoint.substr(0, colon), endpoint.substr(colon + 1)};
}

}  // namespace

Result<pki::CertKeyPair> ClientIdentityCache::identity_for(const std::string& cluster,
                                                           const pki::ClusterPki& pki) {
  const std::int64_t now = clock_.now_unix_ms() / 1000;
  std::lock_guard lock(mutex_);
  const auto found = entries_.find(cluster);
  if (found != entries_.end() && found->second.ca_cert_pem == pki.ca.cert_pem &&
      found->second.not_after_unix - now >= kIdentityRenewBeforeSeconds) {
    return found->second.identity;
  }
  NKD_ASSIGN_OR_RETURN_WRAP(auto identity,
                            pki::issue_client_cert(pki, kIdentityCommonName, kIdentityOrganization,
                                                   kIdentityLifetimeSeconds, now),
                            "minting nkd's client certificate for " + cluster);
  NKD_ASSIGN_OR_RETURN_WRAP(auto facts, pki::read_certificate_facts(identity.cert_pem),
                            "reading nkd's new client certificate for " + cluster);
  entries_[cluster] = Entry{
      .identity = identity, .ca_cert_pem = pki.ca.cert_pem, .not_after_unix = facts.not_after_unix};
  return identity;
}

void ClientIdentityCache::forget(const std::string& cluster) {
  std::lock_guard lock(mutex_);
  entries_.erase(cluster);
}

std::string api_server_url(const model::Cluster& cluster) {
  const HostPort address = split_endpoint(model::control_plane_endpoint(cluster));
  return "https://" + address.host + ":" + address.port;
}

Result<KubeEndpoint> endpoint_for(const model::Cluster& cluster, const pki::ClusterPki& pki,
                                  const pki::CertKeyPair& identity,
                                  const std::string& api_server) {
  const HostPort address = split_endpoint(model::control_plane_endpoint(cluster));
  KubeEndpoint endpoint{.server_url = api_server_url(cluster),
                        .connect_to = "",
                        .ca_pem = pki.ca.cert_pem,
                        .client_cert_pem = identity.cert_pem,
                        .client_key_pem = identity.key_pem};
  if (api_server.empty()) return endpoint;
  const auto colon = api_server.rfind(':');
  const std::string dial_port = colon == std::string::npos ? "" : api_server.substr(colon + 1);
  if (colon == 0 || dial_port.empty() ||
      dial_port.find_first_not_of("0123456789") != std::string::npos) {
    return Error{ErrorCode::kInvalidArgument,
                 "apiServers entry \"" + api_server + "\" for cluster " + cluster.name +
                     " is not host:port; write it like 127.0.0.1:16443"};
  }
  endpoint.connect_to = address.host + ":" + address.port + ":" + api_server;
  return endpoint;
}

}  // namespace nkd::kube
