// StoredFetchTokens: the daemon's FetchTokenSource. It reads the cluster's PKI from the state
// store on every fetch, so `nkd rotate-node-tokens`, which writes the state file, is in force
// for the very next request, with no render in between. A fetch is one small read of one row.
#pragma once

#include "common/clock.h"
#include "providers/baremetal/fetch_tokens.h"
#include "state/pki_store.h"

namespace nkd::syncd {

class StoredFetchTokens final : public providers::FetchTokenSource {
 public:
  StoredFetchTokens(state::PkiStore& store, const Clock& clock) : store_(store), clock_(clock) {}

  // pki::accepted_node_fetch_tokens of the stored PKI; none when the cluster has no PKI.
  Result<std::vector<Secret>> accepted(const std::string& cluster,
                                       const std::string& node) override;

 private:
  state::PkiStore& store_;
  const Clock& clock_;
};

}  // namespace nkd::syncd
