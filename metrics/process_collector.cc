#include "metrics/process_collector.h"

#include <time.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace nkd::metrics {

namespace {

// /proc/<pid>/stat fields counted from the state field (field 3 in proc(5)), which follows the
// command name's closing parenthesis.
constexpr std::size_t kUserTicksIndex = 11;      // field 14, utime
constexpr std::size_t kSystemTicksIndex = 12;    // field 15, stime
constexpr std::size_t kStartTicksIndex = 19;     // field 22, starttime
constexpr std::size_t kVirtualBytesIndex = 20;   // field 23, vsize
constexpr std::size_t kResidentPagesIndex = 21;  // field 24, rss

std::optional<std::string> read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<std::uint64_t> to_unsigned(std::string_view word) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), value);
  if (error != std::errc() || end != word.data() + word.size()) return std::nullopt;
  return value;
}

std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t position = 0;
  while (position < text.size()) {
    const auto start = text.find_first_not_of(" \t\n", position);
    if (start == std::string_view::npos) break;
    const auto end = std::min(text.find_first_of(" \t\n", start), text.size());
    words.push_back(text.substr(start, end - start));
    position = end;
  }
  return words;
}

prometheus::MetricFamily single(const std::string& name, const std::string& help,
                                prometheus::MetricType type, double value) {
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return prometheus::MetricFamily{.name = name, .help = help, .type = type, .metric = {metric}};
}

// The boot time from the clocks, for when /proc/stat is hidden (systemd's ProcSubset=pid).
// /proc/<pid>/stat's start time counts from boot including suspend, as CLOCK_BOOTTIME does.
std::optional<double> boot_time_from_clocks() {
  timespec realtime{};
  timespec since_boot{};
  if (clock_gettime(CLOCK_REALTIME, &realtime) != 0 ||
      clock_gettime(CLOCK_BOOTTIME, &since_boot) != 0) {
    return std::nullopt;
  }
  const auto seconds = [](const timespec& time) {
    return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_nsec) / 1e9;
  };
  return seconds(realtime) - seconds(since_boot);
}

std::size_t count_open_fds(const std::filesystem::path& fd_dir) {
  std::error_code error;
  std::size_t count = 0;
  for (std::filesystem::directory_iterator it(fd_dir, error), end; !error && it != end;
       it.increment(error)) {
    ++count;
  }
  return count;
}

}  // namespace

std::optional<ProcessStat> parse_process_stat(std::string_view text) {
  const auto close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  const auto fields = split_words(text.substr(close + 1));
  if (fields.size() <= kResidentPagesIndex) return std::nullopt;
  const auto user = to_unsigned(fields[kUserTicksIndex]);
  const auto system = to_unsigned(fields[kSystemTicksIndex]);
  const auto start = to_unsigned(fields[kStartTicksIndex]);
  const auto virtual_bytes = to_unsigned(fields[kVirtualBytesIndex]);
  const auto resident = to_unsigned(fields[kResidentPagesIndex]);
  if (!user || !system || !start || !virtual_bytes || !resident) return std::nullopt;
  return ProcessStat{.user_ticks = *user,
                     .system_ticks = *system,
                     .start_ticks_after_boot = *start,
                     .virtual_memory_bytes = *virtual_bytes,
                     .resident_pages = *resident};
}

std::optional<std::uint64_t> parse_max_open_files(std::string_view text) {
  constexpr std::string_view kRow = "Max open files";
  const auto row = text.find(kRow);
  if (row == std::string_view::npos) return std::nullopt;
  const auto line_end = std::min(text.find('\n', row), text.size());
  const auto words = split_words(text.substr(row + kRow.size(), line_end - row - kRow.size()));
  if (words.empty()) return std::nullopt;
  return to_unsigned(words.front());  // the soft limit; "unlimited" yields nothing
}

std::optional<std::uint64_t> parse_boot_time(std::string_view text) {
  std::size_t position = 0;
  while (position < text.size()) {
    const auto line_end = std::min(text.find('\n', position), text.size());
    const auto words = split_words(text.substr(position, line_end - position));
    if (words.size() == 2 && words[0] == "btime") return to_unsigned(words[1]);
    position = line_end + 1;
  }
  return std::nullopt;
}

ProcessCollector::ProcessCollector(std::filesystem::path process_dir,
                                   std::filesystem::path system_stat)
    : process_dir_(std::move(process_dir)),
      system_stat_(std::move(system_stat)),
      ticks_per_second_(sysconf(_SC_CLK_TCK)),
      page_size_bytes_(sysconf(_SC_PAGESIZE)) {}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> families;
  const auto stat_text = read_text(process_dir_ / "stat");
  const auto stat = stat_text ? parse_process_stat(*stat_text) : std::nullopt;
  if (stat && ticks_per_second_ > 0 && page_size_bytes_ > 0) {
    const auto ticks = static_cast<double>(ticks_per_second_);
    families.push_back(single("process_cpu_seconds_total",
                              "User and system CPU time spent, in seconds.", MetricType::Counter,
                              static_cast<double>(stat->user_ticks + stat->system_ticks) / ticks));
    families.push_back(
        single("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::Gauge,
               static_cast<double>(stat->resident_pages) * static_cast<double>(page_size_bytes_)));
    families.push_back(single("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                              MetricType::Gauge, static_cast<double>(stat->virtual_memory_bytes)));
    const auto system_text = read_text(system_stat_);
    const auto btime = system_text ? parse_boot_time(*system_text) : std::nullopt;
    const auto boot =
        btime ? std::optional<double>(static_cast<double>(*btime)) : boot_time_from_clocks();
    if (boot) {
      families.push_back(single("process_start_time_seconds",
                                "Start time of the process since the Unix epoch, in seconds.",
                                MetricType::Gauge,
                                *boot + static_cast<double>(stat->start_ticks_after_boot) / ticks));
    }
  }
  families.push_back(single("process_open_fds", "Number of open file descriptors.",
                            MetricType::Gauge,
                            static_cast<double>(count_open_fds(process_dir_ / "fd"))));
  const auto limits_text = read_text(process_dir_ / "limits");
  if (const auto max = limits_text ? parse_max_open_files(*limits_text) : std::nullopt) {
    families.push_back(single("process_max_fds", "Maximum number of open file descriptors.",
                              MetricType::Gauge, static_cast<double>(*max)));
  }
  return families;
}

}  // namespace nkd::metrics
