// ProcessCollector: the standard Prometheus `process_*` families (memory, file descriptors, start
// time, CPU) read from procfs at each scrape, so dashboards and alerts written for any exporter
// work on nkd unchanged. Contract: Collect() never throws; a procfs file it cannot read or parse
// leaves out only the families that depend on it (a scrape must not fail because of them).
// Thread-safe: it holds no mutable state.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

namespace nkd::metrics {

// The fields of /proc/<pid>/stat the collector exports, in the kernel's units.
struct ProcessStat {
  std::uint64_t user_ticks = 0;
  std::uint64_t system_ticks = 0;
  std::uint64_t start_ticks_after_boot = 0;
  std::uint64_t virtual_memory_bytes = 0;
  std::uint64_t resident_pages = 0;
};

// Parses the text of /proc/<pid>/stat. The command name may hold spaces and parentheses, so the
// fields are counted from the last ')'. Returns nothing when the text is truncated or malformed.
[[nodiscard]] std::optional<ProcessStat> parse_process_stat(std::string_view text);
// The soft "Max open files" limit from the text of /proc/<pid>/limits; nothing if absent or
// "unlimited".
[[nodiscard]] std::optional<std::uint64_t> parse_max_open_files(std::string_view text);
// The boot time (`btime`, Unix seconds) from the text of /proc/stat.
[[nodiscard]] std::optional<std::uint64_t> parse_boot_time(std::string_view text);

class ProcessCollector : public prometheus::Collectable {
 public:
  // `process_dir` is /proc/self in production; tests may point both paths at fixtures. When
  // `system_stat` cannot be read, the boot time comes from the system clocks instead.
  explicit ProcessCollector(std::filesystem::path process_dir = "/proc/self",
                            std::filesystem::path system_stat = "/proc/stat");

  [[nodiscard]] std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::filesystem::path process_dir_;
  std::filesystem::path system_stat_;
  long ticks_per_second_;
  long page_size_bytes_;
};

}  // namespace nkd::metrics
