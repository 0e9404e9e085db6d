// The network plugin releases nkd installs, and where their images come from. This table is the
// one place to bump a release: the manifests and their tests read it.
//
// calico v3.29.7 (its manifest install supports Kubernetes 1.29 to 1.31, the versions the
// examples run; later lines moved their images to quay.io) and flannel v0.28.9 with the
// flannel-cni-plugin that release's kube-flannel.yml names. Image names and registries are
// those of the upstream manifests of these tags.
#pragma once

#include <string>

namespace nkd::network {

enum class PluginImage { kCalicoCni, kCalicoNode, kCalicoKubeControllers, kFlannel, kFlannelCni };

struct PinnedImage {
  PluginImage image;
  const char* upstream_repository;  // replaced whole by networkPluginConfig.imageRepository
  const char* name;
  const char* tag;
};

inline constexpr const char* kCalicoRelease = "v3.29.7";
inline constexpr const char* kFlannelRelease = "v0.28.9";
inline constexpr const char* kFlannelCniPluginRelease = "v1.9.1-flannel3";

inline constexpr PinnedImage kPinnedImages[] = {
    {PluginImage::kCalicoCni, "docker.io/calico", "cni", kCalicoRelease},
    {PluginImage::kCalicoNode, "docker.io/calico", "node", kCalicoRelease},
    {PluginImage::kCalicoKubeControllers, "docker.io/calico", "kube-controllers", kCalicoRelease},
    {PluginImage::kFlannel, "ghcr.io/flannel-io", "flannel", kFlannelRelease},
    {PluginImage::kFlannelCni, "ghcr.io/flannel-io", "flannel-cni-plugin",
     kFlannelCniPluginRelease},
};

[[nodiscard]] const PinnedImage& pinned_image(PluginImage image);

// "<repository>/<name>:<tag>": `image_repository` (networkPluginConfig.imageRepository, a mirror
// that keeps the upstream image names and tags) when not empty, else the upstream repository.
[[nodiscard]] std::string image_reference(PluginImage image, const std::string& image_repository);

}  // namespace nkd::network
