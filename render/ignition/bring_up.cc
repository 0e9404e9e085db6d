#include "render/ignition/bring_up.h"

#include "render/ignition/kube_vip.h"
#include "render/ignition/kubeadm.h"
#include "render/ignition/node_content.h"

namespace nkd::ignition {
namespace {

std::string bring_up_unit() {
  const std::string kubectl = std::string("/usr/bin/kubectl --kubeconfig ") + kAdminKubeconfig;
  std::string unit;
  for (const std::string& line : {
           std::string("[Unit]"),
           std::string("Description=Install the network plugin and nkd's access once the API "
                       "answers (once)"),
           std::string("Requires=") + kKubeadmUnit,
           std::string("After=") + kKubeadmUnit,
           std::string("ConditionPathExists=!") + kBringUpDoneMarker,
           std::string(""),
           std::string("[Service]"),
           std::string("Type=oneshot"),
           std::string("RemainAfterExit=yes"),
           // The API of a fresh control plane answers within minutes; past this the unit fails
           // and is retried, visibly, instead of waiting forever.
           std::string("TimeoutStartSec=15min"),
           "ExecStart=/bin/sh -c 'until " + kubectl +
               " get --raw=/readyz >/dev/null 2>&1; do sleep 5; done'",
           "ExecStart=" + kubectl +
               " apply --server-side --force-conflicts --field-manager=nkd --recursive -f " +
               kBringUpDir,
           std::string("ExecStartPost=/usr/bin/touch ") + kBringUpDoneMarker,
           std::string("Restart=on-failure"),
           std::string("RestartSec=30"),
           std::string(""),
           std::string("[Install]"),
           std::string("WantedBy=multi-user.target"),
       }) {
    unit += line + "\n";
  }
  return unit;
}

}  // namespace

void add_bring_up(ConfigBuilder& builder, const model::Cluster& cluster, const model::Node& node,
                  std::span<const BringUpManifest> manifests) {
  if (manifests.empty() || !is_init_node(cluster, node)) return;
  for (const BringUpManifest& manifest : manifests) {
    builder.add_file(std::string(kBringUpDir) + "/" + manifest.path, kModePrivate, manifest.yaml);
  }
  builder.add_unit(kBringUpUnit, true, bring_up_unit());
}

}  // namespace nkd::ignition
