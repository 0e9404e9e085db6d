// Maintenance windows: weekly periods in which nkd may disturb running nodes (replace, delete,
// in-place OS or Kubernetes upgrade). Pure arithmetic on Unix milliseconds, so callers pass the
// time from an injected Clock and tests move it at will.
//
// Time zones are fixed UTC offsets ("UTC", "+02:00", "UTC-05:30"), not tz database names:
// libstdc++ 12 (Debian 12's GCC) has no C++20 chrono time-zone database, and localtime_r with a
// TZ variable changed at run time races every other thread that reads the time. A window in a
// zone with daylight saving time is written in the offset it should follow (or in UTC), and
// moved by a commit when the clocks change.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nkd {

struct MaintenanceWindow {
  // Bit d set: the window opens on weekday d (0 = Monday ... 6 = Sunday) of local time.
  std::uint8_t weekdays = 0x7f;
  int start_minute = 0;               // minutes after local midnight when it opens
  std::int64_t duration_ms = 0;       // may run past midnight, at most a week
  int utc_offset_minutes = 0;         // local time = UTC + offset

  bool operator==(const MaintenanceWindow&) const = default;
};

inline constexpr std::int64_t kMaxWindowDurationMs = 7LL * 24 * 3600 * 1000;

// Parsers for the fields of a window as users write them; nullopt when the text is not one.
// "Mon" ... "Sun" (any case, or the full English name) -> 0 ... 6.
[[nodiscard]] std::optional<int> parse_weekday(std::string_view text);
// "HH:MM", 00:00 to 23:59 -> minutes after midnight.
[[nodiscard]] std::optional<int> parse_time_of_day(std::string_view text);
// "UTC", "Z", "+HH:MM", "-HH:MM", "UTC+HH:MM", "UTC-HH:MM" (at most 14 hours) -> minutes.
[[nodiscard]] std::optional<int> parse_utc_offset(std::string_view text);

// Whether `window` is open at `unix_ms` (the opening instant included, the closing excluded).
[[nodiscard]] bool window_open(const MaintenanceWindow& window, std::int64_t unix_ms);
// Whether any of `windows` is open at `unix_ms`; no windows at all means always open.
[[nodiscard]] bool any_window_open(const std::vector<MaintenanceWindow>& windows,
                                   std::int64_t unix_ms);
// The first instant at or after `unix_ms` when one of `windows` is open (`unix_ms` itself when
// one is open); nullopt for an empty list or windows without any weekday.
[[nodiscard]] std::optional<std::int64_t> next_window_opening(
    const std::vector<MaintenanceWindow>& windows, std::int64_t unix_ms);

// "Sat,Sun 02:00 for 4h0m0s (UTC+02:00)", for messages and `nkd plan`.
[[nodiscard]] std::string describe(const MaintenanceWindow& window);
[[nodiscard]] std::string describe(const std::vector<MaintenanceWindow>& windows);

}  // namespace nkd
