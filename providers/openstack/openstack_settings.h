// The OpenStack provider's settings from syncd.yaml (DESIGN.md §4 and §10): the clouds.yaml it
// reads credentials from (empty: no OpenStack provider) and how many server creates it keeps in
// flight per cluster. Parsed by syncd/config.cc.
#pragma once

#include <string>

namespace nkd::providers::openstack {

struct OpenStackSettings {
  std::string clouds_file;
  int max_concurrent_creates = 4;
};

}  // namespace nkd::providers::openstack
