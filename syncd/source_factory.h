// Builds the daemon's Source from its config (remote URL, ref, credentials, egress list).
#pragma once

#include <memory>

#include "common/result.h"
#include "source/source.h"
#include "syncd/config.h"

namespace nkd::syncd {

[[nodiscard]] Result<std::unique_ptr<source::Source>> create_source(const DaemonConfig& config);

}  // namespace nkd::syncd
