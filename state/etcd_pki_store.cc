#include "state/etcd_pki_store.h"

namespace nkd::state {
namespace {

std::string pki_key(const std::string& cluster) { return "pki/" + cluster; }

}  // namespace

Result<std::string> EtcdPkiStore::stored_value(const std::string& cluster,
                                               const std::string& json) const {
  return connection_.sealer().seal(json, pki_place(cluster));
}

Result<std::string> EtcdPkiStore::plain_value(const std::string& cluster,
                                              const std::string& stored) const {
  return connection_.sealer().unseal(stored, pki_place(cluster));
}

Result<std::optional<std::string>> EtcdPkiStore::load_pki(const std::string& cluster) {
  NKD_ASSIGN_OR_RETURN(auto stored, connection_.client().get(pki_key(cluster)));
  if (!stored) return std::optional<std::string>();
  NKD_ASSIGN_OR_RETURN(auto json, plain_value(cluster, stored->value));
  return std::optional<std::string>(std::move(json));
}

Status EtcdPkiStore::save_pki(const std::string& cluster, const std::string& json) {
  NKD_ASSIGN_OR_RETURN(auto value, stored_value(cluster, json));
  EtcdTxn txn;
  txn.put(pki_key(cluster), std::move(value));
  NKD_ASSIGN_OR_RETURN_WRAP(auto written, connection_.commit_for(cluster, txn),
                            "saving the PKI of " + cluster);
  (void)written;  // no compares: it always holds
  return ok_status();
}

Result<bool> EtcdPkiStore::replace_pki(const std::string& cluster,
                                       const std::optional<std::string>& expected,
                                       const std::string& json) {
  return connection_.until_committed<bool>(
      "replacing the PKI of " + cluster, [&]() -> Result<std::optional<bool>> {
        NKD_ASSIGN_OR_RETURN(auto stored, connection_.client().get(pki_key(cluster)));
        std::optional<std::string> current;
        if (stored) {
          NKD_ASSIGN_OR_RETURN(current, plain_value(cluster, stored->value));
        }
        if (current != expected) return std::optional<bool>(false);
        NKD_ASSIGN_OR_RETURN(auto value, stored_value(cluster, json));
        EtcdTxn txn;
        txn.expect(pki_key(cluster), stored ? stored->mod_revision : 0)
            .put(pki_key(cluster), std::move(value));
        NKD_ASSIGN_OR_RETURN(auto written, connection_.commit_for(cluster, txn));
        return written ? std::optional<bool>(true) : std::nullopt;
      });
}

}  // namespace nkd::state
