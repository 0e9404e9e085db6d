#include "render/network/pinned_versions.h"

#include <stdexcept>

namespace nkd::network {

const PinnedImage& pinned_image(PluginImage image) {
  for (const PinnedImage& pinned : kPinnedImages) {
    if (pinned.image == image) return pinned;
  }
  // Every enumerator has a row; reaching here means the table lost one.
  throw std::logic_error("network plugin image missing from kPinnedImages");
}

std::string image_reference(PluginImage image, const std::string& image_repository) {
  const PinnedImage& pinned = pinned_image(image);
  const std::string repository =
      image_repository.empty() ? pinned.upstream_repository : image_repository;
  return repository + "/" + pinned.name + ":" + pinned.tag;
}

}  // namespace nkd::network
