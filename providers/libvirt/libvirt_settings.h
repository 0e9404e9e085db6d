// The libvirt provider's settings from syncd.yaml (DESIGN.md §4): the named connections a
// cluster's spec.platform.libvirt.connection picks from, so that URIs (which may name hosts,
// users and key files) stay out of Git. Parsed by syncd/config.cc; empty: no libvirt provider.
#pragma once

#include <map>
#include <string>

namespace nkd::providers::libvirt {

struct LibvirtConnectionSettings {
  // A libvirt URI: test:///default, qemu:///system, qemu+ssh://host/system, qemu+unix:///...
  std::string uri;
  // Remote connections only: a keepalive every interval; after `count` unanswered ones the
  // connection counts as dead and the call in flight fails (libvirt's virConnectSetKeepAlive).
  int keepalive_interval_seconds = 5;
  int keepalive_count = 3;
};

struct LibvirtSettings {
  std::map<std::string, LibvirtConnectionSettings> connections;  // by name
};

}  // namespace nkd::providers::libvirt
