// FuzzInput: a fuzz target's bytes read as the parts its documented input format names (a
// selector byte, a line, the text up to a separator, the rest). Reading past the end yields
// zero bytes and empty text, so every input, however short, is a valid one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace nkd::fuzz {

class FuzzInput {
 public:
  FuzzInput(const std::uint8_t* data, std::size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  // The next byte (0 when none is left).
  std::uint8_t take_byte() {
    if (rest_.empty()) return 0;
    const auto byte = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return byte;
  }

  // The text up to the next `separator` (which is consumed too), or all that is left.
  std::string_view take_until(std::string_view separator) {
    const auto end = rest_.find(separator);
    const std::string_view part = rest_.substr(0, end);
    rest_.remove_prefix(end == std::string_view::npos ? rest_.size() : end + separator.size());
    return part;
  }

  std::string_view take_line() { return take_until("\n"); }

  [[nodiscard]] bool empty() const { return rest_.empty(); }
  [[nodiscard]] std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

}  // namespace nkd::fuzz
