#include "common/maintenance_window.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

#include "common/ascii.h"
#include "common/duration.h"

namespace nkd {
namespace {

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kDayMs = 24 * 60 * kMinuteMs;
constexpr std::array<std::string_view, 7> kWeekdayNames = {"Mon", "Tue", "Wed", "Thu",
                                                           "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> kWeekdayFullNames = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};

// Division that rounds toward minus infinity, so instants before 1970 fall on the right day.
std::int64_t floor_div(std::int64_t value, std::int64_t divisor) {
  const std::int64_t quotient = value / divisor;
  return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient;
}

// 1970-01-01 was a Thursday (3 in Monday-based numbering).
int weekday_of_day(std::int64_t day_number) {
  return static_cast<int>(((day_number + 3) % 7 + 7) % 7);
}

std::optional<int> two_digits(std::string_view text) {
  if (text.size() != 2 || !std::isdigit(static_cast<unsigned char>(text[0])) ||
      !std::isdigit(static_cast<unsigned char>(text[1]))) {
    return std::nullopt;
  }
  return (text[0] - '0') * 10 + (text[1] - '0');
}

std::string format_offset(int minutes) {
  if (minutes == 0) return "UTC";
  char text[32];
  const int magnitude = minutes < 0 ? -minutes : minutes;
  std::snprintf(text, sizeof(text), "UTC%c%02d:%02d", minutes < 0 ? '-' : '+', magnitude / 60,
                magnitude % 60);
  return text;
}

}  // namespace

std::optional<int> parse_weekday(std::string_view text) {
  const std::string wanted = ascii_lower(text);
  for (std::size_t day = 0; day < kWeekdayNames.size(); ++day) {
    if (wanted == ascii_lower(kWeekdayNames[day]) || wanted == kWeekdayFullNames[day]) {
      return static_cast<int>(day);
    }
  }
  return std::nullopt;
}

std::optional<int> parse_time_of_day(std::string_view text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  const auto hours = two_digits(text.substr(0, 2));
  const auto minutes = two_digits(text.substr(3, 2));
  if (!hours || !minutes || *hours > 23 || *minutes > 59) return std::nullopt;
  return *hours * 60 + *minutes;
}

std::optional<int> parse_utc_offset(std::string_view text) {
  if (text == "UTC" || text == "Z") return 0;
  if (text.starts_with("UTC")) text.remove_prefix(3);
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':') return std::nullopt;
  const auto hours = two_digits(text.substr(1, 2));
  const auto minutes = two_digits(text.substr(4, 2));
  if (!hours || !minutes || *minutes > 59 || *hours * 60 + *minutes > 14 * 60) return std::nullopt;
  const int magnitude = *hours * 60 + *minutes;
  return text[0] == '-' ? -magnitude : magnitude;
}

bool window_open(const MaintenanceWindow& window, std::int64_t unix_ms) {
  if (window.duration_ms <= 0) return false;
  const std::int64_t local_ms = unix_ms + window.utc_offset_minutes * kMinuteMs;
  const std::int64_t today = floor_div(local_ms, kDayMs);
  // A window that opened on an earlier day may still run: look back as many days as it lasts.
  const std::int64_t days_back = floor_div(window.start_minute * kMinuteMs + window.duration_ms, kDayMs);
  for (std::int64_t day = today - days_back; day <= today; ++day) {
    if ((window.weekdays & (1u << weekday_of_day(day))) == 0) continue;
    const std::int64_t opens = day * kDayMs + window.start_minute * kMinuteMs;
    if (opens <= local_ms && local_ms < opens + window.duration_ms) return true;
  }
  return false;
}

bool any_window_open(const std::vector<MaintenanceWindow>& windows, std::int64_t unix_ms) {
  return windows.empty() || std::any_of(windows.begin(), windows.end(),
                                        [&](const MaintenanceWindow& window) {
                                          return window_open(window, unix_ms);
                                        });
}

std::optional<std::int64_t> next_window_opening(const std::vector<MaintenanceWindow>& windows,
                                                std::int64_t unix_ms) {
  std::optional<std::int64_t> earliest;
  for (const MaintenanceWindow& window : windows) {
    if (window.duration_ms <= 0 || (window.weekdays & 0x7f) == 0) continue;
    if (window_open(window, unix_ms)) return unix_ms;
    const std::int64_t offset_ms = window.utc_offset_minutes * kMinuteMs;
    const std::int64_t today = floor_div(unix_ms + offset_ms, kDayMs);
    // Within eight days every weekday has come round once after today.
    for (std::int64_t day = today; day <= today + 8; ++day) {
      if ((window.weekdays & (1u << weekday_of_day(day))) == 0) continue;
      const std::int64_t opens = day * kDayMs + window.start_minute * kMinuteMs - offset_ms;
      if (opens <= unix_ms) continue;
      if (!earliest || opens < *earliest) earliest = opens;
      break;
    }
  }
  return earliest;
}

std::string describe(const MaintenanceWindow& window) {
  std::string days;
  if ((window.weekdays & 0x7f) == 0x7f) {
    days = "daily";
  } else {
    for (std::size_t day = 0; day < kWeekdayNames.size(); ++day) {
      if ((window.weekdays & (1u << day)) == 0) continue;
      if (!days.empty()) days += ",";
      days += kWeekdayNames[day];
    }
  }
  char start[32];
  std::snprintf(start, sizeof(start), "%02d:%02d", window.start_minute / 60,
                window.start_minute % 60);
  return days + " " + start + " for " + format_duration_ms(window.duration_ms) + " (" +
         format_offset(window.utc_offset_minutes) + ")";
}

std::string describe(const std::vector<MaintenanceWindow>& windows) {
  std::string text;
  for (const MaintenanceWindow& window : windows) {
    if (!text.empty()) text += "; ";
    text += describe(window);
  }
  return text;
}

}  // namespace nkd
