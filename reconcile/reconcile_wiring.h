// ReconcileWiring: what the daemon plugs into the reconciler before its workers start (listeners
// for outcomes, drift and maintenance windows, the cluster access, the pointer publisher, the
// libvirt provider). Set
// before start() and only read while the workers run, so it needs no lock.
#pragma once

#include <functional>
#include <string>

#include "common/result.h"
#include "model/cluster.h"
#include "providers/provider.h"
#include "reconcile/cluster_ownership.h"
#include "reconcile/cluster_sync.h"
#include "render/render.h"

namespace nkd::reconcile {

// Told the end of every reconcile attempt (from a worker thread): the cluster, the commit that
// submitted its target, applied or not, and the one-line outcome.
using OutcomeListener = std::function<void(const std::string& cluster, const std::string& commit,
                                           bool applied, const std::string& message)>;
// Told after every look at a running cluster (clusterAccess: direct) how many housekeeper
// objects it found changed by hand (0: none), with the step's one-line message.
using DriftListener = std::function<void(const std::string& cluster, const std::string& commit,
                                         int drifted_objects, const std::string& message)>;
// Told when a cluster's apply waits for its maintenance window (phase WaitingForWindow), with
// the commit it waits to apply; again at each look while it waits.
using WindowListener = std::function<void(const std::string& cluster, const std::string& commit,
                                          const std::string& message)>;
// Publishes the full configs of an OpenStack cluster whose nodes boot pointer configs.
using PointerPublisher = std::function<Status(const model::Cluster&, const render::ClusterRender&)>;

struct ReconcileWiring {
  OutcomeListener outcome_listener;
  DriftListener drift_listener;
  WindowListener window_listener;
  ClusterSync* cluster_sync = nullptr;  // clusterAccess: direct; nullptr: none
  PointerPublisher pointer_publisher;
  // The provider of spec.platform.libvirt clusters; nullptr: syncd.yaml has no libvirt
  // connections, and such a cluster fails its apply saying so.
  providers::InfrastructureProvider* libvirt = nullptr;
  // Several replicas: reconcile only the clusters this one owns; nullptr: every cluster.
  const ClusterOwnership* ownership = nullptr;
};

}  // namespace nkd::reconcile
