// Glance v2 client: resolves the image a cluster names to its ID. A UUID is tried as an ID first;
// otherwise (or when no image has that ID) it is a name, which must match exactly one image the
// project can see: none is kNotFound, several is kInvalidArgument (ambiguous; use the ID).
// Thread-safe as Keystone is.
#pragma once

#include <string>

#include "providers/openstack/keystone.h"

namespace nkd::providers::openstack {

class ImageService {
 public:
  explicit ImageService(Keystone& keystone) : keystone_(keystone) {}
  [[nodiscard]] Result<std::string> resolve_image(const std::string& name_or_id);
  // The image's CPU architecture as Glance records it (property `architecture`, or Nova's newer
  // `hw_architecture`): "x86_64", "aarch64", ...; "" when the image does not say.
  [[nodiscard]] Result<std::string> architecture(const std::string& image_id);

 private:
  Keystone& keystone_;
};

}  // namespace nkd::providers::openstack
