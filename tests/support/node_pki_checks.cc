// The PKI files on an applied node, read back with OpenSSL: every certificate parses, matches the
// key written next to it and chains to a CA on the node; sa.key matches sa.pub; private keys are
// root's alone; the node holds exactly what kubeadm needs from outside.
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "render/pki/certificate.h"
#include "tests/support/node_tree_checks.h"
#include "tests/support/test_support.h"

namespace nkd::testing {

namespace fs = std::filesystem;

namespace {

constexpr const char* kKubernetesPki = "/etc/kubernetes/pki";
constexpr const char* kNkdPki = "/etc/nkd/pki";

// A control-plane node once kubeadm issues the leaf certificates itself: the three CAs with their
// keys and the service-account key pair, which must be equal on every control-plane node.
const std::set<std::string>& control_plane_pki() {
  static const std::set<std::string> files = {
      "ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "etcd/ca.crt", "etcd/ca.key",
      "sa.key", "sa.pub"};
  return files;
}

struct Certificate {
  std::string path;  // on the node
  X509Ptr x509;
};

std::vector<fs::path> regular_files_under(const fs::path& directory) {
  std::vector<fs::path> files;
  if (!fs::exists(directory)) return files;
  for (const auto& entry : fs::recursive_directory_iterator(directory)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

bool issued_by(X509* certificate, X509* authority) {
  return X509_check_issued(authority, certificate) == X509_V_OK &&
         X509_verify(certificate, X509_get0_pubkey(authority)) == 1;
}

std::string subject_of(X509* certificate) {
  char buffer[256];
  X509_NAME_oneline(X509_get_subject_name(certificate), buffer, sizeof buffer);
  return buffer;
}

std::vector<Certificate> load_certificates(const NodeTree& tree, NodeReport& report) {
  std::vector<Certificate> certificates;
  for (const char* directory : {kKubernetesPki, kNkdPki}) {
    for (const fs::path& file : regular_files_under(tree.root.on_node(directory))) {
      if (file.extension() != ".crt") continue;
      const std::string path = "/" + fs::relative(file, tree.root.root()).string();
      auto parsed = pki::certificate_from_pem(read_file(file));
      if (!parsed) {
        report.add(path, "does not parse as a PEM certificate: " + parsed.error().message);
        continue;
      }
      ++report.certificates;
      certificates.push_back({.path = path, .x509 = std::move(parsed.value())});
    }
  }
  return certificates;
}

void check_chain(const Certificate& certificate, const std::vector<X509*>& authorities,
                 NodeReport& report) {
  X509* x509 = certificate.x509.get();
  if (X509_check_issued(x509, x509) == X509_V_OK) {
    if (X509_verify(x509, X509_get0_pubkey(x509)) != 1 || X509_check_ca(x509) < 1) {
      report.add(certificate.path, "self-signed but not a valid CA certificate");
    }
    return;
  }
  for (X509* authority : authorities) {
    if (issued_by(x509, authority)) return;
  }
  report.add(certificate.path,
             "does not chain to a CA on the node (subject " + subject_of(x509) + ")");
}

void check_key_match(const NodeTree& tree, const Certificate& certificate, NodeReport& report) {
  std::string key_path = certificate.path;
  key_path.replace(key_path.size() - 4, 4, ".key");
  if (!fs::is_regular_file(tree.root.on_node(key_path))) return;
  const auto key = pki::private_key_from_pem(Secret(tree.root.read(key_path)));
  if (!key) {
    report.add(key_path, "does not parse as a private key: " + key.error().message);
  } else if (EVP_PKEY_eq(X509_get0_pubkey(certificate.x509.get()), key->get()) != 1) {
    report.add(certificate.path, "does not match its key " + key_path);
  }
}

void check_service_account_keys(const NodeTree& tree, NodeReport& report) {
  const std::string private_path = std::string(kKubernetesPki) + "/sa.key";
  const std::string public_path = std::string(kKubernetesPki) + "/sa.pub";
  if (!fs::exists(tree.root.on_node(private_path)) || !fs::exists(tree.root.on_node(public_path))) {
    return;  // the set check names what is missing
  }
  const auto private_key = pki::private_key_from_pem(Secret(tree.root.read(private_path)));
  const std::string public_pem = tree.root.read(public_path);
  const BioPtr bio(BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size())));
  const EvpPkeyPtr public_key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!private_key || !public_key) {
    report.add(private_key ? public_path : private_path, "does not parse as a PEM key");
  } else if (EVP_PKEY_eq(public_key.get(), private_key->get()) != 1) {
    report.add(private_path, "does not match " + public_path);
  }
}

// Every private key anywhere on the node: root's alone, and none at all on a worker.
void check_private_keys(const NodeTree& tree, NodeReport& report) {
  for (const fs::path& file : regular_files_under(tree.root.root())) {
    if (read_file(file).find("PRIVATE KEY-----") == std::string::npos) continue;
    const std::string path = "/" + fs::relative(file, tree.root.root()).string();
    ++report.private_keys;
    if (!tree.is_control_plane()) {
      report.add(path, "a worker holds a private key; only control-plane nodes may");
    }
    const auto mode = fs::status(file).permissions() & fs::perms::mask;
    if ((mode & (fs::perms::group_all | fs::perms::others_all)) != fs::perms::none) {
      std::ostringstream message;
      message << "private key with mode 0" << std::oct << static_cast<int>(mode)
              << ": readable beyond root";
      report.add(path, message.str());
    }
  }
}

void check_control_plane_set(const NodeTree& tree, NodeReport& report) {
  if (!tree.is_control_plane()) return;
  const fs::path directory = tree.root.on_node(kKubernetesPki);
  std::set<std::string> present;
  for (const fs::path& file : regular_files_under(directory)) {
    present.insert(fs::relative(file, directory).string());
  }
  for (const std::string& name : control_plane_pki()) {
    if (!present.contains(name)) {
      report.add(std::string(kKubernetesPki) + "/" + name,
                 "missing: kubeadm needs it to issue this control-plane node's certificates");
    }
  }
  for (const std::string& name : present) {
    if (control_plane_pki().contains(name)) continue;
    report.add(std::string(kKubernetesPki) + "/" + name,
               "written by Ignition, but kubeadm issues leaf certificates on the node from the "
               "CAs; only the CAs and sa.key/sa.pub belong here");
  }
}

void check_cluster_ca(const NodeTree& tree, NodeReport& report) {
  const std::string path = tree.is_control_plane() ? std::string(kKubernetesPki) + "/ca.crt"
                                                   : std::string(kNkdPki) + "/ca.crt";
  if (!fs::is_regular_file(tree.root.on_node(path))) {
    report.add(path, "missing: the node has no copy of the cluster CA");
    return;
  }
  for (const render::Artifact& artifact : tree.render.artifacts) {
    if (artifact.path == "pki/ca.crt" && artifact.content != tree.root.read(path)) {
      report.add(path, "is not the cluster CA the render publishes as pki/ca.crt");
    }
  }
}

}  // namespace

void check_pki(const NodeTree& tree, NodeReport& report) {
  const std::vector<Certificate> certificates = load_certificates(tree, report);
  std::vector<X509*> authorities;
  for (const Certificate& certificate : certificates) {
    X509* x509 = certificate.x509.get();
    if (X509_check_issued(x509, x509) == X509_V_OK) authorities.push_back(x509);
  }
  for (const Certificate& certificate : certificates) {
    check_chain(certificate, authorities, report);
    check_key_match(tree, certificate, report);
  }
  check_service_account_keys(tree, report);
  check_private_keys(tree, report);
  check_control_plane_set(tree, report);
  check_cluster_ca(tree, report);
}

}  // namespace nkd::testing
