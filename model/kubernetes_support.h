// What nkd renders for each Kubernetes minor version: the kubeadm configuration API that
// kubeadm of that minor reads, and the pause image its kubelet expects. One table, so the
// validation floor and the renderer never disagree.
#pragma once

#include <string_view>

namespace nkd::model {

// kubeadm.k8s.io/v1beta3 arrived in kubeadm 1.22; older kubeadm reads only v1beta2, which nkd
// does not render.
inline constexpr int kOldestSupportedMinor = 22;
// kubeadm.k8s.io/v1beta4 arrived in kubeadm 1.31 (v1beta3 is deprecated from then on).
inline constexpr int kFirstV1beta4Minor = 31;

// "kubeadm.k8s.io/v1beta3" or "kubeadm.k8s.io/v1beta4" for a 1.x minor >= kOldestSupportedMinor.
[[nodiscard]] std::string_view kubeadm_api_version(int minor);
[[nodiscard]] bool uses_kubeadm_v1beta4(int minor);
// The pause image tag kubeadm of that minor pre-pulls ("3.9" for 1.27 to 1.30).
[[nodiscard]] std::string_view pause_image_tag(int minor);
// The minor of "v1.29.1" (29); 0 when it does not parse.
[[nodiscard]] int kubernetes_minor(std::string_view version);

}  // namespace nkd::model
