// Maintenance windows as YAML (spec.maintenance of a cluster.yaml, maintenance: of syncd.yaml):
//   windows: [{days: [Sat, Sun], start: "02:00", duration: 4h, timezone: "+02:00"}]
// `days` defaults to every day and `timezone` to UTC; `start` and `duration` are required.
// Every problem is a diagnostic at the offending value's line and column.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string_view>
#include <vector>

#include "common/maintenance_window.h"
#include "model/yaml_fields.h"

namespace nkd::model {

// Parses the mapping `node` (holding `windows:`) found at `where` ("spec.maintenance").
[[nodiscard]] std::vector<MaintenanceWindow> parse_maintenance(YamlFields& fields,
                                                               const YAML::Node& node,
                                                               std::string_view where);

}  // namespace nkd::model
