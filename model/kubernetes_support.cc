#include "model/kubernetes_support.h"

#include "model/value_checks.h"

namespace nkd::model {

bool uses_kubeadm_v1beta4(int minor) { return minor >= kFirstV1beta4Minor; }

std::string_view kubeadm_api_version(int minor) {
  return uses_kubeadm_v1beta4(minor) ? "kubeadm.k8s.io/v1beta4" : "kubeadm.k8s.io/v1beta3";
}

std::string_view pause_image_tag(int minor) {
  if (minor >= 31) return "3.10";
  if (minor >= 27) return "3.9";
  if (minor >= 25) return "3.8";
  if (minor >= 23) return "3.6";
  return "3.5";
}

int kubernetes_minor(std::string_view version) {
  int major = 0, minor = 0, patch = 0;
  return parse_kubernetes_version(version, major, minor, patch) ? minor : 0;
}

}  // namespace nkd::model
