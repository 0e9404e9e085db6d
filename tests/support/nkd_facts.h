// NKD's housekeeper manifests and NestOS's housekeeper-daemon unit as recorded in
// tests/data/housekeeper/nkd.facts (one field per line; see SOURCE there), rebuilt as objects.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace nkd::testing {

// The object recorded under `name` ("crd", "operator", "daemon-unit", ...): maps and lists
// rebuilt from the field paths, values with their JSON types. Throws when there is none.
[[nodiscard]] nlohmann::json nkd_fact_object(const std::string& name);

}  // namespace nkd::testing
