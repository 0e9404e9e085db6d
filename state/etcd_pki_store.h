// EtcdPkiStore: the PkiStore part of EtcdStateStore, one key a cluster (pki/<cluster>).
// The PKI holds private keys: every value goes through stored_value() on the way in and
// plain_value() on the way out, the one place that seals and opens them (DESIGN.md §8).
#pragma once

#include "state/etcd_connection.h"
#include "state/pki_store.h"

namespace nkd::state {

class EtcdPkiStore : public virtual PkiStore {
 public:
  explicit EtcdPkiStore(EtcdConnection& connection) : connection_(connection) {}

  [[nodiscard]] Result<std::optional<std::string>> load_pki(const std::string& cluster) override;
  [[nodiscard]] Status save_pki(const std::string& cluster, const std::string& json) override;
  [[nodiscard]] Result<bool> replace_pki(const std::string& cluster,
                                         const std::optional<std::string>& expected,
                                         const std::string& json) override;

 private:
  // What is written to etcd for the PKI `json` of `cluster`, and back: the one place the sealer
  // (AES-256-GCM, bound to the cluster) is applied.
  [[nodiscard]] Result<std::string> stored_value(const std::string& cluster,
                                                 const std::string& json) const;
  [[nodiscard]] Result<std::string> plain_value(const std::string& cluster,
                                                const std::string& stored) const;

  EtcdConnection& connection_;
};

}  // namespace nkd::state
