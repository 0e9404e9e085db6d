// Maintenance window arithmetic (common/maintenance_window.h) and the YAML that declares windows
// (model/maintenance_parser.h): days, windows past midnight, fixed UTC offsets, the next
// opening, and every validation error at its line and column.
#include "common/maintenance_window.h"

#include <gtest/gtest.h>

#include <ctime>

#include "model/maintenance_parser.h"
#include "syncd/config.h"

namespace nkd {
namespace {

// Unix milliseconds of a UTC time written "2024-01-06 03:00" (2024-01-01 was a Monday).
std::int64_t utc(const char* text) {
  std::tm parts{};
  EXPECT_NE(strptime(text, "%Y-%m-%d %H:%M", &parts), nullptr) << text;
  return static_cast<std::int64_t>(timegm(&parts)) * 1000;
}

constexpr std::int64_t kHourMs = 3'600'000;

MaintenanceWindow window(std::initializer_list<int> days, int hour, int minute,
                         std::int64_t hours, int offset_minutes = 0) {
  MaintenanceWindow made{.weekdays = 0, .start_minute = hour * 60 + minute,
                         .duration_ms = hours * kHourMs, .utc_offset_minutes = offset_minutes};
  for (const int day : days) made.weekdays = static_cast<std::uint8_t>(made.weekdays | (1u << day));
  return made;
}

constexpr int kMonday = 0, kThursday = 3, kFriday = 4, kSaturday = 5, kSunday = 6;

TEST(MaintenanceWindow, OpensOnlyOnItsDaysBetweenStartAndEnd) {
  const auto weekend = window({kSaturday, kSunday}, 2, 0, 4);
  EXPECT_TRUE(window_open(weekend, utc("2024-01-06 02:00")));   // Saturday, the opening instant
  EXPECT_TRUE(window_open(weekend, utc("2024-01-06 05:59")));
  EXPECT_FALSE(window_open(weekend, utc("2024-01-06 06:00")));  // the end is excluded
  EXPECT_FALSE(window_open(weekend, utc("2024-01-06 01:59")));
  EXPECT_TRUE(window_open(weekend, utc("2024-01-07 03:00")));   // Sunday
  EXPECT_FALSE(window_open(weekend, utc("2024-01-05 03:00")));  // Friday
  EXPECT_FALSE(window_open(weekend, utc("2024-01-08 03:00")));  // Monday
}

TEST(MaintenanceWindow, RunsPastMidnightIntoADayNotListed) {
  const auto friday_night = window({kFriday}, 22, 30, 4);  // Friday 22:30 to Saturday 02:30
  EXPECT_TRUE(window_open(friday_night, utc("2024-01-05 23:00")));
  EXPECT_TRUE(window_open(friday_night, utc("2024-01-06 02:29")));
  EXPECT_FALSE(window_open(friday_night, utc("2024-01-06 02:30")));
  EXPECT_FALSE(window_open(friday_night, utc("2024-01-04 23:00")));  // Thursday night
  EXPECT_FALSE(window_open(friday_night, utc("2024-01-05 22:29")));
}

TEST(MaintenanceWindow, WindowLongerThanADayCountsFromItsOpeningDay) {
  const auto long_weekend = window({kFriday}, 18, 0, 60);  // Friday 18:00 to Monday 06:00
  EXPECT_TRUE(window_open(long_weekend, utc("2024-01-07 12:00")));
  EXPECT_TRUE(window_open(long_weekend, utc("2024-01-08 05:59")));
  EXPECT_FALSE(window_open(long_weekend, utc("2024-01-08 06:00")));
  const auto always = window({kMonday}, 0, 0, 168);
  for (const char* when : {"2024-01-03 10:00", "2024-01-07 23:59", "2024-01-08 00:00"}) {
    EXPECT_TRUE(window_open(always, utc(when))) << when;
  }
}

TEST(MaintenanceWindow, UtcOffsetMovesTheWindowAndItsDays) {
  // 02:00 at UTC+02:00 is 00:00 UTC.
  const auto east = window({kMonday}, 2, 0, 2, 120);
  EXPECT_TRUE(window_open(east, utc("2024-01-08 00:00")));
  EXPECT_FALSE(window_open(east, utc("2024-01-08 02:00")));
  // Sunday 23:00 at UTC-05:00 is Monday 04:00 UTC: the local day decides, not the UTC one.
  const auto west = window({kSunday}, 23, 0, 1, -300);
  EXPECT_TRUE(window_open(west, utc("2024-01-08 04:30")));
  EXPECT_FALSE(window_open(west, utc("2024-01-07 23:30")));
}

// Offsets are fixed: a window meant for Berlin's 02:00 is +01:00 in winter and +02:00 in
// summer, and the two open an hour apart in UTC. Which one holds is the commit's choice.
TEST(MaintenanceWindow, DaylightSavingTimeIsAnOffsetTheDefinitionChooses) {
  const auto winter = window({kSunday}, 2, 0, 1, 60);
  const auto summer = window({kSunday}, 2, 0, 1, 120);
  const std::int64_t sunday_0130_utc = utc("2024-03-31 01:30");  // the day Berlin moves to +02:00
  EXPECT_TRUE(window_open(winter, sunday_0130_utc));
  EXPECT_FALSE(window_open(summer, sunday_0130_utc));
  EXPECT_TRUE(window_open(summer, utc("2024-03-31 00:30")));
}

TEST(MaintenanceWindow, NoWindowsMeansAlwaysOpen) {
  EXPECT_TRUE(any_window_open({}, utc("2024-01-03 10:00")));
  EXPECT_FALSE(next_window_opening({}, utc("2024-01-03 10:00")).has_value());
}

TEST(MaintenanceWindow, NextOpeningIsTheEarliestOfAllWindows) {
  const std::vector<MaintenanceWindow> windows = {window({kSaturday}, 2, 0, 4),
                                                  window({kThursday}, 20, 0, 1, 60)};
  // Wednesday noon: Thursday 20:00 at +01:00 (19:00 UTC) comes before Saturday.
  EXPECT_EQ(next_window_opening(windows, utc("2024-01-03 12:00")), utc("2024-01-04 19:00"));
  // Friday: Saturday 02:00, not next week's Thursday.
  EXPECT_EQ(next_window_opening(windows, utc("2024-01-05 12:00")), utc("2024-01-06 02:00"));
  // Inside a window the answer is now.
  EXPECT_EQ(next_window_opening(windows, utc("2024-01-06 03:00")), utc("2024-01-06 03:00"));
  // Saturday after the window: the week comes round to Thursday.
  EXPECT_EQ(next_window_opening(windows, utc("2024-01-06 07:00")), utc("2024-01-11 19:00"));
}

TEST(MaintenanceWindow, ParsesWhatUsersWrite) {
  EXPECT_EQ(parse_weekday("Mon"), 0);
  EXPECT_EQ(parse_weekday("sunday"), 6);
  EXPECT_EQ(parse_weekday("SAT"), 5);
  EXPECT_FALSE(parse_weekday("Funday"));
  EXPECT_EQ(parse_time_of_day("00:00"), 0);
  EXPECT_EQ(parse_time_of_day("23:59"), 23 * 60 + 59);
  EXPECT_FALSE(parse_time_of_day("24:00"));
  EXPECT_FALSE(parse_time_of_day("2:00"));
  EXPECT_EQ(parse_utc_offset("UTC"), 0);
  EXPECT_EQ(parse_utc_offset("+05:30"), 330);
  EXPECT_EQ(parse_utc_offset("UTC-08:00"), -480);
  EXPECT_EQ(parse_utc_offset("+14:00"), 840);
  EXPECT_FALSE(parse_utc_offset("+14:30"));
  EXPECT_FALSE(parse_utc_offset("Europe/Berlin"));
  EXPECT_EQ(describe(window({kSaturday, kSunday}, 2, 0, 4, 120)), "Sat,Sun 02:00 for 4h0m0s (UTC+02:00)");
  EXPECT_EQ(describe(window({0, 1, 2, 3, 4, 5, 6}, 23, 30, 1)), "daily 23:30 for 1h0m0s (UTC)");
}

std::vector<std::string> diagnostics_of(const std::string& yaml,
                                        std::vector<MaintenanceWindow>* windows = nullptr) {
  std::vector<model::Diagnostic> diagnostics;
  model::YamlFields fields("clusters/c/cluster.yaml", diagnostics);
  auto parsed = model::parse_maintenance(fields, YAML::Load(yaml), "spec.maintenance");
  if (windows != nullptr) *windows = parsed;
  std::vector<std::string> lines;
  for (const auto& diagnostic : diagnostics) lines.push_back(model::format(diagnostic));
  return lines;
}

TEST(MaintenanceWindowYaml, ParsesWindowsWithDefaults) {
  std::vector<MaintenanceWindow> windows;
  EXPECT_TRUE(diagnostics_of("windows:\n"
                             "  - {days: [Sat, Sun], start: \"02:00\", duration: 4h, timezone: \"+02:00\"}\n"
                             "  - {start: \"23:00\", duration: 90m}\n",
                             &windows)
                  .empty());
  ASSERT_EQ(windows.size(), 2u);
  EXPECT_EQ(windows[0], window({kSaturday, kSunday}, 2, 0, 4, 120));
  EXPECT_EQ(windows[1].weekdays, 0x7f);  // every day
  EXPECT_EQ(windows[1].duration_ms, 90 * 60'000);
  EXPECT_EQ(windows[1].utc_offset_minutes, 0);
}

TEST(MaintenanceWindowYaml, ReportsEachBadFieldAtItsLine) {
  const auto lines = diagnostics_of(
      "windows:\n"
      "  - days: [Sat, Funday]\n"
      "    start: \"25:00\"\n"
      "    duration: 0s\n"
      "    timezone: Europe/Berlin\n"
      "  - start: \"02:00\"\n"
      "    lenght: 4h\n");
  const auto has = [&](const std::string& text) {
    for (const auto& line : lines) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("cluster.yaml:2:17: error: spec.maintenance.windows[0].days[1] must be a weekday"))
      << ::testing::PrintToString(lines);
  EXPECT_TRUE(has("cluster.yaml:3:12: error: spec.maintenance.windows[0].start '25:00' must be a time of day"));
  EXPECT_TRUE(has("cluster.yaml:4:15: error: spec.maintenance.windows[0].duration '0s' must be a duration from 1m to 168h"));
  EXPECT_TRUE(has("cluster.yaml:5:15: error: spec.maintenance.windows[0].timezone 'Europe/Berlin' must be UTC or a fixed offset"));
  EXPECT_TRUE(has("cluster.yaml:7:5: error:")) << ::testing::PrintToString(lines);  // unknown key
  EXPECT_TRUE(has("missing required field 'spec.maintenance.windows[1].duration'"));
}

TEST(MaintenanceWindowYaml, SyncdConfigTakesGlobalWindowsAndTheOperatorToken) {
  auto config = syncd::parse_daemon_config(
      "repository: {url: file:///srv/clusters.git}\n"
      "api: {operatorTokenFile: /etc/nkd/operator-token}\n"
      "maintenance:\n"
      "  windows: [{days: [Tue], start: \"03:00\", duration: 2h}]\n",
      "syncd.yaml", nullptr);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->operator_token_file, "/etc/nkd/operator-token");
  ASSERT_EQ(config->reconcile.maintenance_windows.size(), 1u);
  EXPECT_EQ(config->reconcile.maintenance_windows[0], window({1}, 3, 0, 2));
  auto bad = syncd::parse_daemon_config(
      "repository: {url: file:///srv/clusters.git}\n"
      "maintenance:\n"
      "  windows: [{start: \"03:00\", duration: 2h, timezone: CET}]\n",
      "syncd.yaml", nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("syncd.yaml:3:"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("maintenance.windows[0].timezone 'CET'"), std::string::npos);
}

}  // namespace
}  // namespace nkd
