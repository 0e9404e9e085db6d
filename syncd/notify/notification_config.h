// `notifications:` in syncd.yaml (DESIGN.md §4): where nkd sends its events. Each entry is one
// sink: a name (the `sink` label of nkd_notifications_total), a type, a URL, for the generic type
// the file holding the signing secret, and the events it wants (all when omitted).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "model/yaml_fields.h"
#include "syncd/notify/notification_event.h"

namespace nkd::syncd::notify {

enum class SinkType {
  kGeneric,       // nkd's signed JSON (the scheme of its own generic hook)
  kSlack,         // Slack-compatible incoming webhook: {"text": ...}
  kAlertmanager,  // Alertmanager's API: POST <url>/api/v2/alerts
};
[[nodiscard]] const char* to_string(SinkType type);

struct SinkConfig {
  std::string name;
  SinkType type = SinkType::kGeneric;
  std::string url;
  std::string secret_file;  // generic only, required there
  std::set<EventKind> events;

  [[nodiscard]] bool wants(EventKind kind) const { return events.contains(kind); }
};

// Parses the `notifications` list at `node`, reporting problems at their line and column.
void parse_notifications(model::YamlFields& fields, const YAML::Node& node,
                         std::vector<SinkConfig>& sinks);

}  // namespace nkd::syncd::notify
