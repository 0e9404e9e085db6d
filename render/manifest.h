// One Kubernetes object as the render writes it: a file name that orders it among its folder's
// files (objects are applied in file-name order) and its YAML. Shared by every renderer of
// cluster objects (housekeeper, the network plugin, nkd's access).
#pragma once

#include <string>

namespace nkd::render {

struct Manifest {
  std::string file_name;  // "00-namespace.yaml", ...
  std::string yaml;       // one document
};

}  // namespace nkd::render
