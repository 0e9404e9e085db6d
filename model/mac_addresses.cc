#include "model/mac_addresses.h"

#include <string_view>
#include <unordered_map>

namespace nkd::model {

namespace {

std::string place(const MacClaim& claim) {
  return claim.path + ":" + std::to_string(claim.line) + ":" + std::to_string(claim.column);
}

}  // namespace

std::vector<MacClaim> mac_claims(const Cluster& cluster) {
  std::vector<MacClaim> claims;
  const auto* bare_metal = std::get_if<BareMetalPlatform>(&cluster.platform);
  if (bare_metal == nullptr) return claims;
  for (std::size_t i = 0; i < bare_metal->nodes.size(); ++i) {
    const BareMetalNode& machine = bare_metal->nodes[i];
    if (machine.mac.empty()) continue;
    claims.push_back(MacClaim{.mac = machine.mac,
                              .cluster = cluster.name,
                              .node = machine.name,
                              .path = "clusters/" + cluster.name + "/cluster.yaml",
                              .line = machine.mac_line,
                              .column = machine.mac_column,
                              .index = i});
  }
  return claims;
}

std::vector<Diagnostic> duplicate_macs(const std::vector<MacClaim>& checked,
                                       const std::vector<MacClaim>& established) {
  std::vector<const MacClaim*> borrowed;
  borrowed.reserve(established.size());
  for (const MacClaim& claim : established) borrowed.push_back(&claim);
  return duplicate_macs(checked, borrowed);
}

std::vector<Diagnostic> duplicate_macs(const std::vector<MacClaim>& checked,
                                       const std::vector<const MacClaim*>& established) {
  // Keys view the claims' own strings: nothing is copied for the thousands established.
  std::unordered_map<std::string_view, const MacClaim*> first_claim;
  first_claim.reserve(established.size() + checked.size());
  for (const MacClaim* claim : established) first_claim.try_emplace(claim->mac, claim);
  std::vector<Diagnostic> diagnostics;
  for (const MacClaim& claim : checked) {
    const auto [found, inserted] = first_claim.try_emplace(claim.mac, &claim);
    if (inserted) continue;
    const MacClaim& earlier = *found->second;
    diagnostics.push_back(Diagnostic{
        .path = claim.path,
        .line = claim.line,
        .column = claim.column,
        .severity = Severity::kError,
        .message = "spec.platform.bareMetal.nodes[" + std::to_string(claim.index) + "].mac " +
                   claim.mac + " of node " + claim.node + " is also the MAC of node " +
                   earlier.node + " of cluster " + earlier.cluster + " (" + place(earlier) +
                   "); a machine boots as one node: give each machine its own MAC"});
  }
  return diagnostics;
}

}  // namespace nkd::model
