// ProcessCollector: the procfs parsers on fixed text, the families on this test process, and
// their place in Metrics' exposition.
#include "metrics/process_collector.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <map>

#include "metrics/metrics.h"
#include "tests/support/test_support.h"

namespace nkd::metrics {
namespace {

// A /proc/<pid>/stat line whose command name holds a space and a ')' to trip naive parsers.
constexpr std::string_view kStat =
    "4242 (nkd (x) y) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 125 0 0 20 0 9 0 123456 "
    "987654321 2048 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0";

std::map<std::string, double> collect_values(const ProcessCollector& collector) {
  std::map<std::string, double> values;
  for (const auto& family : collector.Collect()) {
    EXPECT_EQ(family.metric.size(), 1u) << family.name;
    const auto& metric = family.metric.front();
    values[family.name] =
        family.type == prometheus::MetricType::Counter ? metric.counter.value : metric.gauge.value;
  }
  return values;
}

TEST(ProcessStatParse, ReadsFieldsAfterTheLastParenthesis) {
  const auto stat = parse_process_stat(kStat);
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->user_ticks, 250u);
  EXPECT_EQ(stat->system_ticks, 125u);
  EXPECT_EQ(stat->start_ticks_after_boot, 123456u);
  EXPECT_EQ(stat->virtual_memory_bytes, 987654321u);
  EXPECT_EQ(stat->resident_pages, 2048u);
}

TEST(ProcessStatParse, RejectsTruncatedOrMalformedText) {
  EXPECT_FALSE(parse_process_stat("4242 (nkd) S 1 2 3").has_value());
  EXPECT_FALSE(parse_process_stat("no parenthesis at all").has_value());
  std::string bad(kStat);
  bad.replace(bad.find("987654321"), 9, "98765x321");
  EXPECT_FALSE(parse_process_stat(bad).has_value());
}

TEST(ProcessLimitsParse, ReadsTheSoftOpenFilesLimit) {
  constexpr std::string_view kLimits =
      "Limit                     Soft Limit           Hard Limit           Units     \n"
      "Max processes             63704                63704                processes \n"
      "Max open files            1024                 524288               files     \n";
  EXPECT_EQ(parse_max_open_files(kLimits), 1024u);
  EXPECT_FALSE(parse_max_open_files("Max open files   unlimited   unlimited  files\n").has_value());
  EXPECT_FALSE(parse_max_open_files("Max processes 10 10\n").has_value());
}

TEST(ProcessBootTimeParse, FindsTheBtimeLine) {
  EXPECT_EQ(parse_boot_time("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n"), 1700000000u);
  EXPECT_FALSE(parse_boot_time("cpu  1 2 3\n").has_value());
}

TEST(ProcessCollector, ReportsPlausibleValuesForThisProcess) {
  const ProcessCollector collector;
  const auto values = collect_values(collector);
  for (const char* name :
       {"process_resident_memory_bytes", "process_virtual_memory_bytes", "process_open_fds",
        "process_max_fds", "process_start_time_seconds", "process_cpu_seconds_total"}) {
    EXPECT_TRUE(values.contains(name)) << name;
  }
  EXPECT_GT(values.at("process_resident_memory_bytes"), 1024.0 * 1024.0);
  EXPECT_GE(values.at("process_virtual_memory_bytes"), values.at("process_resident_memory_bytes"));
  EXPECT_GE(values.at("process_open_fds"), 3.0);  // stdin, stdout, stderr at least
  EXPECT_GE(values.at("process_max_fds"), values.at("process_open_fds"));
  EXPECT_GE(values.at("process_cpu_seconds_total"), 0.0);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(values.at("process_start_time_seconds"), now + 1.0);
  EXPECT_GT(values.at("process_start_time_seconds"), now - 3600.0);
}

TEST(ProcessCollector, CountsNewlyOpenedFileDescriptors) {
  const ProcessCollector collector;
  const double before = collect_values(collector).at("process_open_fds");
  const int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const double during = collect_values(collector).at("process_open_fds");
  close(fd);
  EXPECT_EQ(during, before + 1.0);
}

TEST(ProcessCollector, LeavesOutFamiliesItCannotRead) {
  const nkd::testing::ScratchDir scratch;
  nkd::testing::write_file(scratch.path() / "stat", "garbage");
  const ProcessCollector collector(scratch.path(), scratch.path() / "missing");
  const auto values = collect_values(collector);
  EXPECT_FALSE(values.contains("process_resident_memory_bytes"));
  EXPECT_FALSE(values.contains("process_start_time_seconds"));
  EXPECT_FALSE(values.contains("process_max_fds"));
  EXPECT_EQ(values.at("process_open_fds"), 0.0);  // no fd/ folder in the fixture
}

TEST(ProcessCollector, DerivesStartTimeFromClocksWhenProcStatIsHidden) {
  const ProcessCollector with_proc_stat;
  const ProcessCollector without_proc_stat("/proc/self", "/nonexistent/stat");
  const double expected = collect_values(with_proc_stat).at("process_start_time_seconds");
  EXPECT_NEAR(collect_values(without_proc_stat).at("process_start_time_seconds"), expected, 2.0);
}

TEST(MetricsExposition, IncludesProcessFamiliesAndTheAlertGauges) {
  Metrics metrics("1.2.3", "0123456789ab");
  metrics.source_head_valid.Add({}).Set(0);
  metrics.source_poll_interval_seconds.Add({}).Set(60);
  const std::string text = metrics.serialize();
  EXPECT_NE(text.find("\nprocess_resident_memory_bytes "), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter"), std::string::npos);
  EXPECT_NE(text.find("# TYPE nkd_source_head_valid gauge\nnkd_source_head_valid 0"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("nkd_source_poll_interval_seconds 60"), std::string::npos);
  EXPECT_NE(text.find("nkd_build_info{commit=\"0123456789ab\",version=\"1.2.3\"} 1"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace nkd::metrics
