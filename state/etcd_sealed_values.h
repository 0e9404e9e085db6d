// SealedValues on the etcd store: the PKI keys (pki/<cluster>) and the published configs'
// contents (configs/<cluster>/<node>), each sealed again in a transaction of its own that
// compares on the key's mod_revision, so a value written meanwhile is read again, never lost.
// etcd keeps earlier revisions of a key until it is compacted: after a rotation, compact and
// defragment etcd (`etcdctl compact`, `etcdctl defrag`) so the old sealed values go too.
#pragma once

#include "state/etcd_connection.h"
#include "state/sealed_values.h"

namespace nkd::state {

class EtcdSealedValues : public virtual SealedValues {
 public:
  explicit EtcdSealedValues(EtcdConnection& connection) : connection_(connection) {}

  [[nodiscard]] Result<std::map<std::string, std::int64_t>> sealed_value_counts() override;
  [[nodiscard]] Result<std::int64_t> reseal_all() override;

 private:
  EtcdConnection& connection_;
};

}  // namespace nkd::state
