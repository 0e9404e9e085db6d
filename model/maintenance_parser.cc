#include "model/maintenance_parser.h"

#include <string>

#include "common/duration.h"

namespace nkd::model {
namespace {

// The weekday bits of `days`, or every day when absent; 0 after a reported error.
std::uint8_t parse_days(YamlFields& fields, const YAML::Node& entry, const std::string& where) {
  const YAML::Node days = entry["days"];
  if (!days.IsDefined() || days.IsNull()) return 0x7f;
  if (!fields.expect_list(days, where + ".days")) return 0;
  if (days.size() == 0) {
    fields.error_at(days, where + ".days is empty: name at least one day, or leave it out for "
                                  "every day");
    return 0;
  }
  std::uint8_t bits = 0;
  for (std::size_t i = 0; i < days.size(); ++i) {
    const std::optional<int> day = days[i].IsScalar() ? parse_weekday(days[i].Scalar()) : std::nullopt;
    if (!day) {
      fields.error_at(days[i], where + ".days[" + std::to_string(i) +
                                   "] must be a weekday: Mon, Tue, Wed, Thu, Fri, Sat or Sun");
      return 0;
    }
    bits = static_cast<std::uint8_t>(bits | (1u << *day));
  }
  return bits;
}

std::optional<MaintenanceWindow> parse_window(YamlFields& fields, const YAML::Node& entry,
                                              const std::string& where) {
  if (!fields.expect_map(entry, where, {"days", "start", "duration", "timezone"})) {
    return std::nullopt;
  }
  MaintenanceWindow window;
  bool valid = true;
  window.weekdays = parse_days(fields, entry, where);
  valid = window.weekdays != 0;
  if (const auto start = fields.string(entry, "start", where, true)) {
    if (const auto minute = parse_time_of_day(*start)) {
      window.start_minute = *minute;
    } else {
      fields.error_at(entry["start"], where + ".start '" + *start +
                                          "' must be a time of day HH:MM, 00:00 to 23:59");
      valid = false;
    }
  } else {
    valid = false;
  }
  if (const auto duration = fields.string(entry, "duration", where, true)) {
    const auto milliseconds = parse_duration_ms(*duration);
    if (!milliseconds || *milliseconds < 60'000 || *milliseconds > kMaxWindowDurationMs) {
      fields.error_at(entry["duration"], where + ".duration '" + *duration +
                                             "' must be a duration from 1m to 168h, such as 4h");
      valid = false;
    } else {
      window.duration_ms = *milliseconds;
    }
  } else {
    valid = false;
  }
  if (const auto zone = fields.string(entry, "timezone", where, false)) {
    if (const auto offset = parse_utc_offset(*zone)) {
      window.utc_offset_minutes = *offset;
    } else {
      fields.error_at(entry["timezone"],
                      where + ".timezone '" + *zone +
                          "' must be UTC or a fixed offset such as +02:00 or UTC-05:00 (time-zone "
                          "names are not supported: write the offset the window should follow)");
      valid = false;
    }
  }
  if (!valid) return std::nullopt;
  return window;
}

}  // namespace

std::vector<MaintenanceWindow> parse_maintenance(YamlFields& fields, const YAML::Node& node,
                                                 std::string_view where) {
  std::vector<MaintenanceWindow> windows;
  if (!fields.expect_map(node, where, {"windows"})) return windows;
  const YAML::Node list = node["windows"];
  const std::string list_where = std::string(where) + ".windows";
  if (!list.IsDefined() || list.IsNull()) {
    fields.error_at(node, "missing required field '" + list_where + "' (a list of windows)");
    return windows;
  }
  if (!fields.expect_list(list, list_where)) return windows;
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto window = parse_window(fields, list[i], indexed_path(list_where, i));
    if (window) windows.push_back(*window);
  }
  return windows;
}

}  // namespace nkd::model
