// SealedValues: the store's own view of its sealed values (secret_sealer.h), for its owner alone:
// the daemon at start (refuse a store it cannot open, seal what was stored before a key was
// given) and `nkd state rotate-key` (seal everything again with the current key).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/result.h"

namespace nkd::state {

class SealedValues {
 public:
  virtual ~SealedValues() = default;

  // How many stored values (PKIs and published configs) each key id seals; "" counts plaintext.
  [[nodiscard]] virtual Result<std::map<std::string, std::int64_t>> sealed_value_counts() = 0;
  // Seals again, with the current key, every value that is plaintext or sealed with another key;
  // returns how many. SQLite does it in one transaction and leaves no copy of the old bytes in
  // its files; etcd value by value, each compared on its revision (etcd_sealed_values.h says
  // how its old revisions go). kPermissionDenied when a value cannot be opened (SQLite: nothing
  // changed then) or the store has no key to seal with.
  [[nodiscard]] virtual Result<std::int64_t> reseal_all() = 0;
};

}  // namespace nkd::state
