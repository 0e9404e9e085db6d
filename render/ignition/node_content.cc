#include "render/ignition/node_content.h"

#include <initializer_list>
#include <string>

#include "render/ignition/kube_vip.h"
#include "render/ignition/kubeadm.h"

namespace nkd::ignition {
namespace {

// Unit files and config files read best one line per entry; each line gets its "\n".
std::string join_lines(std::initializer_list<std::string> lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

const char* runtime_unit(model::ContainerRuntime runtime) {
  switch (runtime) {
    case model::ContainerRuntime::kContainerd: return "containerd.service";
    case model::ContainerRuntime::kIsulad: return "isulad.service";
    case model::ContainerRuntime::kCrio: return "crio.service";
  }
  return "containerd.service";
}

std::string sysctl_conf() {
  return join_lines({
      "# Written by nkd: pod networking needs forwarding and bridged traffic through iptables.",
      "net.ipv4.ip_forward = 1",
      "net.bridge.bridge-nf-call-iptables = 1",
      "net.bridge.bridge-nf-call-ip6tables = 1",
  });
}

std::string modules_conf() {
  return join_lines({
      "# Written by nkd: overlay for container images, br_netfilter for the sysctls.",
      "overlay",
      "br_netfilter",
  });
}

std::string containerd_config(const model::Cluster& cluster) {
  return join_lines({
      "# Written by nkd. kubelet uses the systemd cgroup driver, so runc must too.",
      "version = 2",
      "",
      R"([plugins."io.containerd.grpc.v1.cri"])",
      "  sandbox_image = \"" + sandbox_image(cluster) + "\"",
      "",
      R"([plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc])",
      R"(  runtime_type = "io.containerd.runc.v2")",
      "",
      R"([plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options])",
      "  SystemdCgroup = true",
  });
}

std::string isulad_config(const model::Cluster& cluster) {
  return join_lines({
      "{",
      R"(  "native.cgroupdriver": "systemd",)",
      R"(  "network-plugin": "cni",)",
      R"(  "cni-bin-dir": "/opt/cni/bin",)",
      R"(  "cni-conf-dir": "/etc/cni/net.d",)",
      R"(  "pod-sandbox-image": ")" + sandbox_image(cluster) + "\"",
      "}",
  });
}

std::string crio_config(const model::Cluster& cluster) {
  return join_lines({
      "# Written by nkd. kubelet uses the systemd cgroup driver, so CRI-O must too.",
      "[crio.runtime]",
      R"(cgroup_manager = "systemd")",
      "",
      "[crio.image]",
      "pause_image = \"" + sandbox_image(cluster) + "\"",
  });
}

// NestOS's kubelet package leaves the unit to the installer (NKD writes this one too): the base
// unit, with the kubeadm wiring in the drop-in.
std::string kubelet_unit() {
  return join_lines({
      "[Unit]",
      "Description=kubelet: The Kubernetes Node Agent",
      "Documentation=https://kubernetes.io/docs/",
      "Wants=network-online.target",
      "After=network-online.target",
      "",
      "[Service]",
      "ExecStart=/usr/bin/kubelet",
      "Restart=always",
      "StartLimitInterval=0",
      "RestartSec=10",
      "",
      "[Install]",
      "WantedBy=multi-user.target",
  });
}

// NestOS packages the standard CNI plugins (bridge, host-local, portmap, loopback) under its
// read-only /usr/libexec/cni, while kubelet, the runtimes and the network plugins look in
// /opt/cni/bin: copy them there before anything needs them, without overwriting what a network
// plugin installed.
std::string cni_plugins_unit() {
  return join_lines({
      "[Unit]",
      "Description=Make the OS's CNI plugins available under /opt/cni/bin",
      "ConditionDirectoryNotEmpty=/usr/libexec/cni",
      "Before=kubelet.service " + std::string(kKubeadmUnit),
      "",
      "[Service]",
      "Type=oneshot",
      "RemainAfterExit=yes",
      "ExecStart=/usr/bin/mkdir -p /opt/cni/bin",
      "ExecStart=/usr/bin/cp -n -p -r /usr/libexec/cni/. /opt/cni/bin/",
      "",
      "[Install]",
      "WantedBy=multi-user.target",
  });
}

std::string kubelet_dropin(const model::Cluster& cluster) {
  const std::string runtime = runtime_unit(cluster.kubernetes.container_runtime);
  return join_lines({
      "[Unit]",
      "Wants=network-online.target",
      "After=network-online.target " + runtime,
      "",
      "[Service]",
      "Environment=\"KUBELET_KUBECONFIG_ARGS="
      "--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf "
      "--kubeconfig=/etc/kubernetes/kubelet.conf\"",
      std::string("Environment=\"KUBELET_CONFIG_ARGS=--config=") + kKubeletConfigPath + "\"",
      "EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env",
      "EnvironmentFile=-/etc/sysconfig/kubelet",
      "ExecStart=",
      "ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS "
      "$KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS",
      "Restart=always",
      "RestartSec=10",
  });
}

std::string kubeadm_unit(const model::Cluster& cluster, const model::Node& node) {
  const std::string runtime = runtime_unit(cluster.kubernetes.container_runtime);
  const std::string verb = is_init_node(cluster, node) ? "init" : "join";
  // kube-vip started with super-admin.conf goes back to admin.conf once init has granted it.
  const std::string restore_kube_vip =
      kube_vip_needs_super_admin(cluster, node)
          ? std::string("ExecStartPost=/usr/bin/sed -i s#") + kSuperAdminKubeconfig + "#" +
                kAdminKubeconfig + "# " + kKubeVipManifestPath + "\n"
          : "";
  return join_lines({
             "[Unit]",
             "Description=Bring this node into Kubernetes with kubeadm (once)",
             "Wants=network-online.target",
             "After=network-online.target " + runtime + " " + kCniPluginsUnit,
             "Requires=" + runtime,
             std::string("ConditionPathExists=!") + kKubeadmDoneMarker,
             "",
             "[Service]",
             "Type=oneshot",
             "RemainAfterExit=yes",
             "ExecStart=/usr/bin/kubeadm " + verb + " --config " + kKubeadmConfigPath,
         }) +
         restore_kube_vip +
         join_lines({
             "ExecStartPost=/usr/bin/mkdir -p /var/lib/nkd",
             std::string("ExecStartPost=/usr/bin/touch ") + kKubeadmDoneMarker,
             "",
             "[Install]",
             "WantedBy=multi-user.target",
         });
}

// NestOS's own unit (housekeeper/daemon/files/housekeeper-daemon.service), line for line: the
// daemon reads no environment and makes its socket directory itself. KillMode=process keeps
// rpm-ostree and kubeadm, which the daemon starts, running when it is stopped; Restart=on-failure
// brings it back after a crash but not after the reboot it asked for.
std::string housekeeper_daemon_unit() {
  return join_lines({
      "[Unit]",
      "Description=daemon of the housekeeper",
      "",
      "[Service]",
      "ExecStart=/usr/bin/housekeeper-daemon",
      "Restart=on-failure",
      "KillMode=process",
      "",
      "[Install]",
      "WantedBy=multi-user.target",
  });
}

}  // namespace

void add_os_settings(ConfigBuilder& builder, const model::Cluster& cluster,
                     const model::Node& node) {
  builder.add_file("/etc/hostname", kModePublic, node.name + "\n");
  builder.add_file("/etc/sysctl.d/90-kubernetes.conf", kModePublic, sysctl_conf());
  builder.add_file("/etc/modules-load.d/kubernetes.conf", kModePublic, modules_conf());
  for (const model::User& user : cluster.users) {
    builder.add_user(IgnitionUser{.name = user.name,
                                  .ssh_authorized_keys = user.ssh_authorized_keys,
                                  .password_hash = user.password_hash,
                                  .groups = {"wheel"}});
  }
}

void add_container_runtime(ConfigBuilder& builder, const model::Cluster& cluster) {
  const model::ContainerRuntime runtime = cluster.kubernetes.container_runtime;
  switch (runtime) {
    case model::ContainerRuntime::kContainerd:
      builder.add_file("/etc/containerd/config.toml", kModePublic, containerd_config(cluster));
      break;
    case model::ContainerRuntime::kIsulad:
      builder.add_file("/etc/isulad/daemon.json", kModePublic, isulad_config(cluster));
      break;
    case model::ContainerRuntime::kCrio:
      builder.add_file("/etc/crio/crio.conf.d/10-nkd.conf", kModePublic, crio_config(cluster));
      break;
  }
  builder.add_unit(runtime_unit(runtime), true);
}

void add_kubelet(ConfigBuilder& builder, const model::Cluster& cluster) {
  builder.add_file(kKubeletConfigPath, kModePublic, kubelet_config_yaml(cluster));
  builder.add_unit("kubelet.service", true, kubelet_unit());
  builder.add_dropin("kubelet.service", kKubeletDropin, kubelet_dropin(cluster));
  builder.add_unit(kCniPluginsUnit, true, cni_plugins_unit());
}

void add_kubeadm(ConfigBuilder& builder, const model::Cluster& cluster, const model::Node& node,
                 const pki::ClusterPki& pki) {
  // The config carries the bootstrap token: readable by root only.
  builder.add_file(kKubeadmConfigPath, kModePrivate, kubeadm_config_yaml(cluster, node, pki));
  builder.add_unit(kKubeadmUnit, true, kubeadm_unit(cluster, node));
}

void add_update_settings(ConfigBuilder& builder, const model::Cluster& /*cluster*/) {
  builder.add_unit(kHousekeeperDaemonUnit, true, housekeeper_daemon_unit());
}

void add_user_extras(ConfigBuilder& builder, const model::Cluster& cluster) {
  for (const model::ExtraFile& file : cluster.ignition.files) {
    builder.add_file(file.path, file.mode, file.contents);
  }
  for (const model::ExtraUnit& unit : cluster.ignition.units) {
    builder.add_unit(unit.name, unit.enabled, unit.contents);
  }
}

}  // namespace nkd::ignition
