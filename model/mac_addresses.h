// Bare-metal MAC addresses across clusters: a machine network-boots by its MAC (GET /boot/<mac>),
// so one MAC must name one node in the whole repository, not only in its cluster. A MAC claimed
// twice is an error at the later place, naming the earlier one (file:line:col of both).
#pragma once

#include <string>
#include <vector>

#include "model/cluster.h"
#include "model/diagnostics.h"

namespace nkd::model {

struct MacClaim {
  std::string mac;  // normalized (normalize_mac)
  std::string cluster;
  std::string node;
  std::string path;  // clusters/<cluster>/cluster.yaml
  int line = 0;
  int column = 0;
  std::size_t index = 0;  // in spec.platform.bareMetal.nodes
};

// The MACs `cluster`'s bare-metal machines claim, in definition order (none for OpenStack).
[[nodiscard]] std::vector<MacClaim> mac_claims(const Cluster& cluster);

// An error for each claim in `checked` whose MAC is claimed in `established` (clusters already
// accepted) or earlier in `checked` itself.
[[nodiscard]] std::vector<Diagnostic> duplicate_macs(const std::vector<MacClaim>& checked,
                                                     const std::vector<MacClaim>& established);
// The same, with the established claims borrowed (they must outlive the call): a daemon checks
// one changed cluster against the thousands of claims it keeps, without copying them.
[[nodiscard]] std::vector<Diagnostic> duplicate_macs(
    const std::vector<MacClaim>& checked, const std::vector<const MacClaim*>& established);

}  // namespace nkd::model
