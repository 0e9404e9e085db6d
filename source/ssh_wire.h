// SshWireReader: reads the SSH wire encoding (RFC 4251 §5) that public-key blobs and sshsig
// signatures use: uint32 big-endian lengths in front of strings and mpints. Every read checks
// the bounds and reports a short or garbled input as nullopt, so a hostile blob can only fail.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace nkd::source {

class SshWireReader {
 public:
  explicit SshWireReader(std::string_view data) : rest_(data) {}

  [[nodiscard]] std::optional<std::uint32_t> uint32() {
    if (rest_.size() < 4) return std::nullopt;
    std::uint32_t value = 0;
    for (int index = 0; index < 4; ++index) {
      value = (value << 8) | static_cast<unsigned char>(rest_[static_cast<std::size_t>(index)]);
    }
    rest_.remove_prefix(4);
    return value;
  }

  // A length-prefixed string; the view points into the reader's input.
  [[nodiscard]] std::optional<std::string_view> string() {
    const auto length = uint32();
    if (!length || *length > rest_.size()) return std::nullopt;
    const std::string_view value = rest_.substr(0, *length);
    rest_.remove_prefix(*length);
    return value;
  }

  // `count` raw bytes (the sshsig magic has no length in front).
  [[nodiscard]] std::optional<std::string_view> bytes(std::size_t count) {
    if (count > rest_.size()) return std::nullopt;
    const std::string_view value = rest_.substr(0, count);
    rest_.remove_prefix(count);
    return value;
  }

  [[nodiscard]] bool at_end() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

}  // namespace nkd::source
