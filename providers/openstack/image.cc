#include "providers/openstack/image.h"

#include "common/json_fields.h"
#include "providers/openstack/api_util.h"

namespace nkd::providers::openstack {

Result<std::string> ImageService::resolve_image(const std::string& name_or_id) {
  const std::string what = "resolving image '" + name_or_id + "' in Glance";
  if (looks_like_uuid(name_or_id)) {
    NKD_ASSIGN_OR_RETURN_WRAP(
        HttpResponse by_id,
        keystone_.send(ServiceRequest{
            .operation = "image_get", .service_type = "image", .path = "/v2/images/" + name_or_id}),
        what);
    if (by_id.status == 200) return name_or_id;
    if (by_id.status != 404) return error_from_response(by_id, what);
  }
  NKD_ASSIGN_OR_RETURN(
      nlohmann::json listed,
      json_body(keystone_.send(
                    ServiceRequest{.operation = "image_list",
                                   .service_type = "image",
                                   .path = "/v2/images?limit=100&name=" + url_encode(name_or_id)}),
                what));
  const nlohmann::json& images = json_array(listed, "images");
  if (images.empty()) {
    return Error{ErrorCode::kNotFound,
                 what + ": no image has that name or ID; upload it or fix platform.openstack.image"};
  }
  if (images.size() > 1) {
    std::string ids;
    for (const auto& image : images) ids += (ids.empty() ? "" : ", ") + json_string(image, "id");
    return Error{ErrorCode::kInvalidArgument,
                 what + ": the name is ambiguous (" + std::to_string(images.size()) +
                     " images: " + ids + "); name the image by its ID"};
  }
  return json_string(images[0], "id");
}

Result<std::string> ImageService::architecture(const std::string& image_id) {
  NKD_ASSIGN_OR_RETURN(nlohmann::json image,
                       json_body(keystone_.send(ServiceRequest{.operation = "image_get",
                                                               .service_type = "image",
                                                               .path = "/v2/images/" + image_id}),
                                 "reading image " + image_id + " in Glance"));
  for (const char* property : {"architecture", "hw_architecture"}) {
    if (const nlohmann::json& found = json_member(image, property); found.is_string()) {
      return found.get<std::string>();
    }
  }
  return std::string();
}

}  // namespace nkd::providers::openstack
