// Fields of JSON documents nkd does not control (a cloud's or an API server's answers), read
// without surprises: a missing member, a member of another type and a document that is not an
// object all read as empty. nlohmann's value() and operator[] throw on a type mismatch instead,
// and an answer shaped unlike the API's documentation must be an error value or an empty
// result, never an exception out of a provider (tests/unit/json_fields_test.cc).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace nkd {

// The member `key` of `object`, or a null value.
[[nodiscard]] const nlohmann::json& json_member(const nlohmann::json& object, std::string_view key);
// The member when it is a string, else "".
[[nodiscard]] std::string json_string(const nlohmann::json& object, std::string_view key);
// The member when it is a boolean, else `fallback`.
[[nodiscard]] bool json_bool(const nlohmann::json& object, std::string_view key, bool fallback);
// The member when it is an array, else an empty array.
[[nodiscard]] const nlohmann::json& json_array(const nlohmann::json& object, std::string_view key);
// The member when it is an object, else an empty object.
[[nodiscard]] const nlohmann::json& json_object(const nlohmann::json& object, std::string_view key);

}  // namespace nkd
