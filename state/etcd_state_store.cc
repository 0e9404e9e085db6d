#include "state/etcd_state_store.h"

#include "common/curl_http_client.h"
#include "state/sqlite_state_store.h"

namespace nkd::state {

Result<std::unique_ptr<EtcdStateStore>> EtcdStateStore::open(const EtcdSettings& settings,
                                                             const Clock& clock,
                                                             std::unique_ptr<HttpClient> http,
                                                             SecretSealer sealer) {
  // The members are named in the daemon's own configuration; the egress allow list is for the
  // destinations Git definitions name (clouds, clusters), so it does not apply here.
  if (!http) http = std::make_unique<CurlHttpClient>();
  NKD_ASSIGN_OR_RETURN(auto client, EtcdClient::create(settings, std::move(http)));
  return std::make_unique<EtcdStateStore>(
      ConstructionKey(),
      std::make_unique<EtcdConnection>(std::move(client), clock, std::move(sealer)));
}

Status EtcdStateStore::ping() { return connection_->client().ping(); }

Result<std::unique_ptr<StateStore>> open_etcd_state_store(const EtcdSettings& settings,
                                                          const Clock& clock, SecretSealer sealer) {
  NKD_ASSIGN_OR_RETURN(auto store,
                       EtcdStateStore::open(settings, clock, nullptr, std::move(sealer)));
  NKD_RETURN_IF_ERROR_WRAP(store->ping(), "checking that an etcd member answers");
  return std::unique_ptr<StateStore>(std::move(store));
}

Result<std::unique_ptr<StateStore>> open_state_store(const StateSettings& settings,
                                                     const Clock& clock, SecretSealer sealer) {
  if (settings.etcd) return open_etcd_state_store(*settings.etcd, clock, std::move(sealer));
  return open_sqlite_state_store(settings.sqlite_path, clock, std::move(sealer));
}

}  // namespace nkd::state
