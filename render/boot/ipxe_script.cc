#include "render/boot/ipxe_script.h"

namespace nkd::render {

std::string ipxe_script(const model::BareMetalBoot& boot, const std::string& cluster,
                        const std::string& node, const std::string& config_url) {
  const bool install = !boot.install_device.empty();
  std::string kernel = "kernel " + boot.kernel_url +
                       " initrd=main coreos.live.rootfs_url=" + boot.rootfs_url +
                       " ignition.firstboot ignition.platform.id=metal";
  if (install) {
    kernel += " coreos.inst.install_dev=" + boot.install_device +
              " coreos.inst.ignition_url=" + config_url;
  } else {
    kernel += " ignition.config.url=" + config_url;
  }
  for (const std::string& argument : boot.kernel_arguments) kernel += " " + argument;
  return "#!ipxe\n"
         "# nkd: node " +
         node + " of cluster " + cluster +
         (install ? ", installed to " + boot.install_device : ", running from memory") + "\n" +
         kernel + "\n" + "initrd --name main " + boot.initrd_url + "\n" + "boot\n";
}

}  // namespace nkd::render
