#include <string>

#include "render/ignition/node_content.h"

namespace nkd::ignition {
namespace {

constexpr const char* kPkiDir = "/etc/kubernetes/pki/";

void add_pair(ConfigBuilder& builder, const std::string& stem, const pki::CertKeyPair& pair) {
  builder.add_file(kPkiDir + stem + ".crt", kModePublic, pair.cert_pem);
  builder.add_file(kPkiDir + stem + ".key", kModePrivate, pair.key_pem.reveal());
}

}  // namespace

void add_pki_files(ConfigBuilder& builder, const model::Node& node, const pki::ClusterPki& pki) {
  if (node.role != model::PoolRole::kControlPlane) {
    // Discovery pins the CA by its public-key hash; the certificate is here for
    // people and tools.
    builder.add_file(kWorkerCaPath, kModePublic, pki.ca.cert_pem);
    return;
  }
  // The shared material only: kubeadm init and kubeadm join --control-plane find these and
  // issue every leaf certificate (apiserver, etcd server and peer, clients) on the node, with
  // subject alternative names computed from the node's own address.
  add_pair(builder, "ca", pki.ca);
  add_pair(builder, "front-proxy-ca", pki.front_proxy_ca);
  add_pair(builder, "etcd/ca", pki.etcd_ca);
  builder.add_file(std::string(kPkiDir) + "sa.pub", kModePublic, pki.service_account_public_pem);
  builder.add_file(std::string(kPkiDir) + "sa.key", kModePrivate,
                   pki.service_account_key_pem.reveal());
}

}  // namespace nkd::ignition
