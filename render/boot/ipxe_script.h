// The iPXE script a bare-metal machine network-boots with (GET /boot/<mac>): the OS image's live
// kernel and initramfs (spec.platform.bareMetal.boot), and the kernel arguments Fedora CoreOS
// and NestOS read on a live PXE boot:
//   coreos.live.rootfs_url=<rootfsURL>      where the live system's root file system comes from
//   ignition.firstboot ignition.platform.id=metal   run Ignition, bare-metal platform
// then, with installDevice (install to disk):
//   coreos.inst.install_dev=<device> coreos.inst.ignition_url=<node config URL>
//   (the live system installs the image to that disk and reboots into it; the installed system's
//   first boot applies the node's config, so kubeadm runs once, on the installed system)
// or without it (the node runs from memory):
//   ignition.config.url=<node config URL>   (the live system applies the node's config)
// followed by the definition's extra kernelArguments. The URL carries the node's fetch token.
// Pure: the token and URL are inputs.
#pragma once

#include <string>

#include "model/cluster.h"

namespace nkd::render {

// `config_url`: <publicURL>/ignition/<cluster>/<node>?token=<token>.
[[nodiscard]] std::string ipxe_script(const model::BareMetalBoot& boot, const std::string& cluster,
                                      const std::string& node, const std::string& config_url);

}  // namespace nkd::render
