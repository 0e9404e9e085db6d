// nkd's own identity towards a cluster's API server (DESIGN.md §1 kube, §3 "nkd's identity"): a
// client certificate with CN "nkd" and O "nkd:controllers" (a group of its own, authorized by the
// RBAC of render/housekeeper/nkd_access.h, never system:masters), signed by the cluster's CA, valid for one hour
// and renewed when less than ten minutes are left. Never the users' admin certificate, never
// stored. Also the KubeEndpoint for a cluster: its controlPlaneEndpoint on port 6443, or an
// `apiServers` override dialled curl --connect-to style (DESIGN.md §4).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "model/cluster.h"
#include "providers/kube/kube_client.h"
#include "render/housekeeper/nkd_access.h"
#include "render/pki/cluster_pki.h"

namespace nkd::kube {

inline constexpr const char* kIdentityCommonName = "nkd";
inline constexpr const char* kIdentityOrganization = housekeeper::kNkdGroup;
inline constexpr std::int64_t kIdentityLifetimeSeconds = 3600;
inline constexpr std::int64_t kIdentityRenewBeforeSeconds = 600;
inline constexpr int kApiServerPort = 6443;

// Caches one identity per cluster. Thread-safe (one mutex). A changed cluster CA (a new PKI)
// mints a fresh identity at once.
class ClientIdentityCache {
 public:
  // `clock`'s wall time dates the certificates and decides when they are renewed.
  explicit ClientIdentityCache(const Clock& clock) : clock_(clock) {}

  [[nodiscard]] Result<pki::CertKeyPair> identity_for(const std::string& cluster,
                                                      const pki::ClusterPki& pki);
  // Drops a cluster's identity (the cluster was deleted).
  void forget(const std::string& cluster);

 private:
  struct Entry {
    pki::CertKeyPair identity;
    std::string ca_cert_pem;
    std::int64_t not_after_unix = 0;
  };
  const Clock& clock_;
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

// https://<controlPlaneEndpoint host>:<its port, default 6443>.
[[nodiscard]] std::string api_server_url(const model::Cluster& cluster);

// The endpoint for `cluster`: https://<control_plane_endpoint>:6443, its CA, and `identity`.
// `api_server` is the cluster's `apiServers` entry ("host:port", "" for none): nkd then dials it
// while TLS is still verified against the endpoint name. kInvalidArgument for a malformed entry.
[[nodiscard]] Result<KubeEndpoint> endpoint_for(const model::Cluster& cluster,
                                                const pki::ClusterPki& pki,
                                                const pki::CertKeyPair& identity,
                                                const std::string& api_server = "");

}  // namespace nkd::kube
