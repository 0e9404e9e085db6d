#include "syncd/source_factory.h"

#include "syncd/source/libgit2_source.h"

namespace nkd::syncd {

Result<std::unique_ptr<Source>> create_source(const DaemonConfig& config) {
  auto source = LibGit2Source::open(
      GitSourceOptions{.url = config.repository.url,
                       .ref = config.repository.ref,
                       .auth = config.repository.auth,
                       .cache_dir = config.state_directory(),
                       .timeout = std::chrono::milliseconds(config.repository.fetch_timeout_ms),
                       .egress = config.egress});
  if (!source) return source.error();
  return std::unique_ptr<Source>(std::move(source).value());
}

}  // namespace nkd::syncd
