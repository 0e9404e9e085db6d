// Case folding for protocol text (header names, day names, error codes): ASCII only, whatever the
// process locale says.
#pragma once

#include <string>
#include <string_view>

namespace nkd {

inline std::string ascii_lower(std::string_view text) {
  std::string result(text);
  for (char& c : result) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return result;
}

}  // namespace nkd
