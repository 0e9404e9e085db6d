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
  // Seals again, with the current key, every value that is plaintext or sealed with another key,
  // in one transaction; returns how many. Afterwards no copy of the old bytes is left in the
  // store's files. kPermissionDenied, with nothing changed, when a value cannot be opened or
  // the store has no key to seal with.
  [[nodiscard]] virtual Result<std::int64_t> reseal_all() = 0;
};

}  // namespace nkd::state
