// Limits on what a repository may ask of nkd. Every definition is untrusted input read by a
// long-running daemon: without a bound, one line (`replicas: 2000000000`) or one file can make
// validation allocate without end and take the daemon, and every cluster it manages, down with
// it. Each limit is checked before the work it bounds is done, and a definition over one is
// rejected with a diagnostic that names the limit. The figures are far above any real cluster.
#pragma once

#include <cstdint>

namespace nkd::model {

inline constexpr std::uint64_t kMebibyte = 1024 * 1024;

// Nodes of one cluster, all pools together (and the replicas of any one pool). Validation,
// rendering and the plan each hold one entry per node; kubeadm clusters past a few hundred
// nodes are rare, and larger fleets are better split into several clusters.
inline constexpr std::int64_t kMaxNodesPerCluster = 1000;

// Cluster directories under clusters/. The daemon keeps a record, a render and a worker slot
// per cluster; the bound keeps a mistaken generator or a hostile commit from exhausting them.
inline constexpr std::uint64_t kMaxClustersPerRepository = 10000;

// One clusters/<name>/cluster.yaml. Real definitions are a few KiB; yaml-cpp holds the whole
// document (several times its size) in memory while it is parsed.
inline constexpr std::uint64_t kMaxClusterYamlBytes = 1 * kMebibyte;

// One file read from the tree for spec.ignition.files[].source or spec.ignition.units[].source.
// Ignition carries such files inline (as a data URL) in every node's config; large content
// belongs on a server the nodes fetch from at boot.
inline constexpr std::uint64_t kMaxSourceFileBytes = 1 * kMebibyte;

// The extra content (files and units of spec.ignition) of one cluster, counted once per node
// because every node's config carries all of it: 30 nodes with a 1 MiB file count 30 MiB.
// Bounds what one cluster's render holds in memory, whatever the mix of files and nodes.
inline constexpr std::uint64_t kMaxExtraContentBytesPerCluster = 64 * kMebibyte;

// A file under a cluster directory that `nkd plan` hashes to tell whether the cluster changed
// (on a plain directory, which has no Git tree ids). Unreferenced files are hashed too, so this
// is looser than kMaxSourceFileBytes; it only stops a stray huge file from being read whole.
inline constexpr std::uint64_t kMaxFingerprintedFileBytes = 64 * kMebibyte;

// Symbolic links followed while resolving one path inside a tree; more is a loop.
inline constexpr int kMaxSymbolicLinkHops = 40;

}  // namespace nkd::model
