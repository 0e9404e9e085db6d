#include "syncd/source_factory.h"

#include "source/libgit2_source.h"

namespace nkd::syncd {

Result<std::unique_ptr<source::Source>> create_source(const DaemonConfig& config) {
  NKD_ASSIGN_OR_RETURN(auto source,
                       source::LibGit2Source::open(source::GitSourceOptions{
                           .url = config.repository.url,
                           .ref = config.repository.ref,
                           .auth = config.repository.auth,
                           .cache_dir = config.state_directory(),
                           .timeout = std::chrono::milliseconds(config.repository.fetch_timeout_ms),
                           .egress = config.egress}));
  return std::unique_ptr<source::Source>(std::move(source));
}

}  // namespace nkd::syncd
