// Builds the daemon's Source from its config (remote URL, ref, credentials, egress list).
#pragma once

#include <memory>

#include "common/result.h"
#include "syncd/config.h"
#include "syncd/source/source.h"

namespace nkd::syncd {

[[nodiscard]] Result<std::unique_ptr<Source>> create_source(const DaemonConfig& config);

}  // namespace nkd::syncd
