// UTF-8 checks for text that reaches JSON (Ignition configs, the status API, diagnostics): the
// JSON library throws when it serializes a string that is not valid UTF-8, so such text is either
// refused where it enters (definitions) or repaired where it cannot be refused (commit authors).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace nkd {

// The byte offset of the first sequence that is not valid UTF-8 (overlong forms, surrogates and
// code points above U+10FFFF included); nullopt when all of `text` is valid.
[[nodiscard]] std::optional<std::size_t> first_invalid_utf8(std::string_view text);

[[nodiscard]] inline bool is_valid_utf8(std::string_view text) {
  return !first_invalid_utf8(text).has_value();
}

// `text` with each invalid sequence replaced by U+FFFD; valid text comes back unchanged.
[[nodiscard]] std::string replace_invalid_utf8(std::string_view text);

}  // namespace nkd
