#include "common/json_fields.h"

namespace nkd {

namespace {

using nlohmann::json;

const json& null_json() {
  static const json kNull;
  return kNull;
}

}  // namespace

const json& json_member(const json& object, std::string_view key) {
  if (!object.is_object()) return null_json();
  const auto found = object.find(key);
  return found == object.end() ? null_json() : *found;
}

std::string json_string(const json& object, std::string_view key) {
  const json& member = json_member(object, key);
  return member.is_string() ? member.get<std::string>() : std::string();
}

bool json_bool(const json& object, std::string_view key, bool fallback) {
  const json& member = json_member(object, key);
  return member.is_boolean() ? member.get<bool>() : fallback;
}

const json& json_array(const json& object, std::string_view key) {
  static const json kEmptyArray = json::array();
  const json& member = json_member(object, key);
  return member.is_array() ? member : kEmptyArray;
}

const json& json_object(const json& object, std::string_view key) {
  static const json kEmptyObject = json::object();
  const json& member = json_member(object, key);
  return member.is_object() ? member : kEmptyObject;
}

}  // namespace nkd
