#include "syncd/notify/notification_config.h"

#include <algorithm>
#include <cctype>

namespace nkd::syncd::notify {

namespace {

// The `sink` label and log name: short, and safe in any label value.
bool valid_sink_name(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::islower(c) != 0 || std::isdigit(c) != 0 || c == '-' || c == '_';
  });
}

std::string event_names() {
  std::string names;
  for (const EventKind kind : kEventKinds)
    names += (names.empty() ? "" : ", ") + std::string(to_string(kind));
  return names;
}

void parse_events(model::YamlFields& fields, const YAML::Node& entry, const std::string& where,
                  SinkConfig& sink) {
  if (!entry["events"].IsDefined()) {
    sink.events.insert(kEventKinds.begin(), kEventKinds.end());
    return;
  }
  const auto names = fields.string_list(entry, "events", where);
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (const auto kind = event_kind_from_string(names[i])) {
      sink.events.insert(*kind);
    } else {
      fields.error_at(entry["events"][i], where + ".events[" + std::to_string(i) + "] '" +
                                              names[i] + "' is not an event; use " + event_names());
    }
  }
  if (names.empty() && entry["events"].IsSequence()) {
    fields.error_at(entry["events"], where +
                                         ".events is empty: the sink would get nothing; list "
                                         "events, or leave the key out for all of them");
  }
}

void parse_sink(model::YamlFields& fields, const YAML::Node& entry, const std::string& where,
                SinkConfig& sink) {
  sink.name = fields.string(entry, "name", where, true).value_or("");
  const std::string type = fields.string(entry, "type", where, true).value_or("");
  sink.url = fields.string(entry, "url", where, true).value_or("");
  sink.secret_file = fields.string(entry, "secretFile", where, false).value_or("");
  if (!sink.name.empty() && !valid_sink_name(sink.name)) {
    fields.error_at(entry["name"], where + ".name '" + sink.name +
                                       "' must be 1 to 63 of a-z 0-9 - _ (it labels metrics)");
  }
  if (type == "generic")
    sink.type = SinkType::kGeneric;
  else if (type == "slack")
    sink.type = SinkType::kSlack;
  else if (type == "alertmanager")
    sink.type = SinkType::kAlertmanager;
  else if (!type.empty()) {
    fields.error_at(entry["type"],
                    where + ".type must be generic, slack or alertmanager, got '" + type + "'");
  }
  if (!sink.url.empty() && !sink.url.starts_with("https://") && !sink.url.starts_with("http://")) {
    fields.error_at(entry["url"], where + ".url must be an http(s) URL");
  }
  if (type == "generic" && sink.secret_file.empty()) {
    fields.error_at(entry, where +
                               ": a generic sink needs secretFile: its deliveries are signed "
                               "so the receiver can tell them from forgeries");
  }
  if ((type == "slack" || type == "alertmanager") && !sink.secret_file.empty()) {
    fields.error_at(entry["secretFile"], where + ".secretFile is for generic sinks only; " + type +
                                             " does not check signatures");
  }
  parse_events(fields, entry, where, sink);
}

}  // namespace

const char* to_string(SinkType type) {
  switch (type) {
    case SinkType::kGeneric:
      return "generic";
    case SinkType::kSlack:
      return "slack";
    case SinkType::kAlertmanager:
      return "alertmanager";
  }
  return "generic";
}

void parse_notifications(model::YamlFields& fields, const YAML::Node& node,
                         std::vector<SinkConfig>& sinks) {
  if (!fields.expect_list(node, "notifications")) return;
  std::set<std::string> names;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string where = "notifications[" + std::to_string(i) + "]";
    const YAML::Node entry = node[i];
    if (!fields.expect_map(entry, where, {"name", "type", "url", "secretFile", "events"})) continue;
    SinkConfig sink;
    parse_sink(fields, entry, where, sink);
    if (!sink.name.empty() && !names.insert(sink.name).second) {
      fields.error_at(entry["name"],
                      where + ".name '" + sink.name + "' is used twice; names must be unique");
    }
    sinks.push_back(std::move(sink));
  }
}

}  // namespace nkd::syncd::notify
