// FetchTokenSource: which bearer tokens open a node's published Ignition config. Without one,
// BareMetalProvider accepts the token of the render it published. The daemon gives it one that
// reads the cluster's stored PKI on each fetch (syncd/stored_fetch_tokens.h), so a rotation of
// the node tokens takes effect at once, not at the next render. Implementations are thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "common/secret.h"

namespace nkd::providers {

class FetchTokenSource {
 public:
  virtual ~FetchTokenSource() = default;
  // The tokens accepted for `node` of `cluster` now, the current one first (the one handed out
  // in boot scripts). Empty: none (the fetch is refused); an error: they cannot be known now
  // (the fetch is refused too).
  [[nodiscard]] virtual Result<std::vector<Secret>> accepted(const std::string& cluster,
                                                             const std::string& node) = 0;
};

}  // namespace nkd::providers
