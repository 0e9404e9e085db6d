// The reading of fields of JSON nkd does not control: any shape reads as empty, never throws.
#include "common/json_fields.h"

#include <gtest/gtest.h>

namespace nkd {
namespace {

using nlohmann::json;

TEST(JsonFields, ReadsMembersOfTheRightType) {
  const json object{{"name", "demo"}, {"ready", true}, {"items", {1, 2}}, {"spec", {{"a", 1}}}};
  EXPECT_EQ(json_string(object, "name"), "demo");
  EXPECT_TRUE(json_bool(object, "ready", false));
  EXPECT_EQ(json_array(object, "items").size(), 2u);
  EXPECT_EQ(json_object(object, "spec").at("a"), 1);
  EXPECT_EQ(json_member(object, "name"), "demo");
}

TEST(JsonFields, MembersOfAnotherTypeReadAsEmpty) {
  const json object{{"name", 5}, {"ready", "yes"}, {"items", "x"}, {"spec", {1, 2}}};
  EXPECT_EQ(json_string(object, "name"), "");
  EXPECT_TRUE(json_bool(object, "ready", true));
  EXPECT_FALSE(json_bool(object, "ready", false));
  EXPECT_TRUE(json_array(object, "items").is_array());
  EXPECT_TRUE(json_array(object, "items").empty());
  EXPECT_TRUE(json_object(object, "spec").is_object());
  EXPECT_TRUE(json_object(object, "spec").empty());
}

// nlohmann's value() throws type_error 306 on each of these documents.
TEST(JsonFields, DocumentsThatAreNotObjectsReadAsEmpty) {
  for (const json& document :
       {json(0), json("text"), json::array({1}), json(nullptr), json(true)}) {
    SCOPED_TRACE(document.dump());
    EXPECT_TRUE(json_member(document, "id").is_null());
    EXPECT_EQ(json_string(document, "id"), "");
    EXPECT_TRUE(json_array(document, "items").empty());
    EXPECT_TRUE(json_object(document, "spec").empty());
    EXPECT_FALSE(json_bool(document, "ready", false));
  }
}

TEST(JsonFields, MissingMembersReadAsEmpty) {
  const json object = json::object();
  EXPECT_TRUE(json_member(object, "id").is_null());
  EXPECT_EQ(json_string(object, "id"), "");
  EXPECT_TRUE(json_array(object, "items").empty());
}

}  // namespace
}  // namespace nkd
