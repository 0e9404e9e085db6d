#include "common/duration.h"

#include <cctype>

namespace nkd {

std::optional<std::int64_t> parse_duration_ms(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t position = 0;
  while (position < text.size()) {
    std::int64_t value = 0;
    const std::size_t digits_start = position;
    while (position < text.size() && std::isdigit(static_cast<unsigned char>(text[position]))) {
      value = value * 10 + (text[position] - '0');
      if (value > 1'000'000'000) return std::nullopt;
      ++position;
    }
    if (position == digits_start) return std::nullopt;
    const std::size_t unit_start = position;
    while (position < text.size() && std::isalpha(static_cast<unsigned char>(text[position]))) {
      ++position;
    }
    const std::string_view unit = text.substr(unit_start, position - unit_start);
    if (unit == "ms") total += value;
    else if (unit == "s") total += value * 1000;
    else if (unit == "m") total += value * 60'000;
    else if (unit == "h") total += value * 3'600'000;
    else return std::nullopt;
  }
  return total;
}

std::string format_duration_ms(std::int64_t milliseconds) {
  if (milliseconds < 1000) return std::to_string(milliseconds) + "ms";
  const std::int64_t seconds = milliseconds / 1000;
  std::string text;
  if (seconds >= 3600) text += std::to_string(seconds / 3600) + "h";
  if (seconds >= 60) text += std::to_string(seconds % 3600 / 60) + "m";
  text += std::to_string(seconds % 60) + "s";
  return text;
}

}  // namespace nkd
