// Generates cluster-definition trees for benchmarks: N clusters, each with 3 control-plane and
// `workers` worker nodes, pools, versions and an extra file varied by a seed. In memory
// (path -> contents), so a benchmark measures nkd, not the disk.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace nkd::bench {

std::map<std::string, std::string> generate_repository(int clusters, int workers, std::uint32_t seed);
std::string cluster_name(int index);

}  // namespace nkd::bench
