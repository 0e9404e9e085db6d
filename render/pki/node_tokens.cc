// Per-node Ignition fetch tokens and their rotation (cluster_pki.h). A token is derived, never
// stored: the key and the epoch in the PKI give every node's token, so rotating touches two
// numbers and no certificate.
#include <string>
#include <vector>

#include "common/crypto.h"
#include "render/pki/cluster_pki.h"

namespace nkd::pki {
namespace {

Secret token_of_epoch(const ClusterPki& pki, const std::string& node_name, std::int64_t epoch) {
  // Epoch 0 keeps the message nkd always signed, so tokens handed out before rotation existed
  // stay valid until the first rotation. "/" cannot occur in a node name (a DNS label), so no
  // node of one epoch shares a message with another node of another epoch.
  const std::string message = epoch == 0 ? node_name : node_name + "/" + std::to_string(epoch);
  return Secret(hmac_sha256_hex(pki.node_token_key.reveal(), message));
}

}  // namespace

Secret node_fetch_token(const ClusterPki& pki, const std::string& node_name) {
  return token_of_epoch(pki, node_name, pki.node_token_epoch);
}

std::vector<Secret> accepted_node_fetch_tokens(const ClusterPki& pki, const std::string& node_name,
                                               std::int64_t now_unix) {
  std::vector<Secret> tokens{node_fetch_token(pki, node_name)};
  if (pki.node_token_epoch > 0 && now_unix < pki.previous_node_tokens_valid_until_unix) {
    tokens.push_back(token_of_epoch(pki, node_name, pki.node_token_epoch - 1));
  }
  return tokens;
}

ClusterPki with_rotated_node_tokens(ClusterPki pki, std::int64_t now_unix,
                                    std::int64_t grace_seconds) {
  pki.node_token_epoch += 1;
  pki.node_tokens_rotated_unix = now_unix;
  pki.previous_node_tokens_valid_until_unix = grace_seconds > 0 ? now_unix + grace_seconds : 0;
  return pki;
}

}  // namespace nkd::pki
