// The state stage's settings: where the daemon keeps its state (syncd.yaml's `state:`,
// DESIGN.md §4 and §8). Parsed by syncd/config.cc.
#pragma once

#include <string>
#include <vector>

namespace nkd::state {

struct StateSettings {
  std::string sqlite_path = "/var/lib/nkd/state.db";
  // state.etcd: recognised so it can be refused with a clear error (no etcd backend yet).
  std::vector<std::string> etcd_endpoints;
};

}  // namespace nkd::state
