// Go-style durations as Kubernetes and Flux users write them: "90s", "10m", "1h30m", "500ms".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nkd {

std::optional<std::int64_t> parse_duration_ms(std::string_view text);
// The canonical form: "1h30m0s", "10m0s", "500ms".
std::string format_duration_ms(std::int64_t milliseconds);

}  // namespace nkd
