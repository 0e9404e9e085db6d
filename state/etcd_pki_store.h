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
  // What is written to etcd for the PKI `json`, and back. Today the text itself; the sealer
  // (AES-256-GCM) is applied here and nowhere else.
  [[nodiscard]] static std::string stored_value(const std::string& json);
  [[nodiscard]] static Result<std::string> plain_value(const std::string& stored);

  EtcdConnection& connection_;
};

}  // namespace nkd::state
