// ClusterRun: one apply() (or remove()) of LibvirtProvider for one cluster on one connection
// (internal to the provider). Every step looks before it acts, by name and nkd metadata, so a
// repeat after a crash or a lost answer makes nothing twice:
//
// - create_node(): an intent "create-domain" is recorded (or a crashed run's reused) before
//   anything is made; a domain of the node's name that nkd made is kept (started if it is shut
//   off, made anew if it failed), one that nkd did not make is a conflict. Otherwise the node's
//   disk is made anew (a copy-on-write qcow2 overlay of the base volume where the pool keeps
//   files: dir, fs, netfs; else a full copy, resized), then its Ignition volume (uploaded), then
//   the domain is defined with both and started; the intent is completed last.
// - delete_node(): the domain is stopped and undefined, then the volumes its XML names that are
//   the node's own (never the base volume) and the node's volumes in the cluster's pool go.
// - settle_intents(): a crashed create whose node is no longer wanted leaves volumes without a
//   domain; they are deleted and the intent completed.
//
// Not thread-safe: one thread runs one ClusterRun. `host` and `intents` must outlive it.
#pragma once

#include <string>
#include <vector>

#include "model/cluster.h"
#include "providers/libvirt/libvirt_host.h"
#include "providers/provider.h"
#include "render/render.h"
#include "state/intent_log.h"

namespace nkd::providers::libvirt {

inline constexpr const char* kCreateDomainIntent = "create-domain";

class ClusterRun {
 public:
  ClusterRun(LibvirtHost& host, state::IntentLog& intents, std::string cluster)
      : host_(host), intents_(intents), cluster_(std::move(cluster)) {}

  // Checks the storage pool and the base volume the platform names and notes how node disks
  // are made from it.
  [[nodiscard]] Status prepare(const model::LibvirtPlatform& platform);
  // Every domain of the cluster (name prefix and nkd metadata).
  [[nodiscard]] Result<std::vector<Domain>> domains();
  // Makes `node` exist and run (see above).
  [[nodiscard]] Status create_node(const render::NodeRender& node);
  // Starts a domain of the cluster that is shut off.
  [[nodiscard]] Status start(const std::string& name) { return host_.start(name); }
  // Deletes the domain `name` and its volumes; done when it is gone already.
  [[nodiscard]] Status delete_node(const std::string& name);
  // Completes the pending create intents of nodes not in `to_create`, deleting the volumes a
  // crashed create left when no domain came of it.
  [[nodiscard]] Status settle_intents(const std::vector<const render::NodeRender*>& to_create);

 private:
  [[nodiscard]] Status make_disk(const render::NodeRender& node);
  // Makes the node's Ignition volume anew with its config; returns the path QEMU reads.
  [[nodiscard]] Result<std::string> make_ignition(const render::NodeRender& node);
  [[nodiscard]] Status make_domain(const render::NodeRender& node);
  // The node's volumes in `pool`, by name: what a crashed create may have left.
  [[nodiscard]] Status delete_node_volumes(const std::string& pool, const std::string& node);

  LibvirtHost& host_;
  state::IntentLog& intents_;
  const std::string cluster_;
  model::LibvirtPlatform platform_;
  Volume base_;
  bool copy_on_write_ = false;  // the pool keeps files: node disks are qcow2 overlays
};

}  // namespace nkd::providers::libvirt
