// A real etcd member (Debian's etcd-server) for the etcd state store's tests: one member on
// 127.0.0.1 with ports it picks, a data directory of its own, raft timings short enough that it
// elects itself in a fraction of a second, and, when asked, TLS with client certificates. The
// process is ended, and the directory removed, when the object goes.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "state/state_settings.h"
#include "tests/support/test_support.h"

namespace nkd::testing {

struct EtcdMemberTls {
  std::string ca_file;    // --trusted-ca-file: clients must present a certificate it signed
  std::string cert_file;  // the member's serving certificate (for 127.0.0.1)
  std::string key_file;
};

class EtcdMember {
 public:
  // Starts the member and waits until it answers (fails the test, with etcd's log, if it does
  // not within 20 s).
  explicit EtcdMember(const std::optional<EtcdMemberTls>& tls = std::nullopt);
  ~EtcdMember();
  EtcdMember(const EtcdMember&) = delete;
  EtcdMember& operator=(const EtcdMember&) = delete;

  [[nodiscard]] std::string client_url() const;
  [[nodiscard]] int client_port() const { return client_port_; }
  [[nodiscard]] bool ready() const { return ready_; }
  // Settings for a store under `prefix` on this member (without TLS files).
  [[nodiscard]] state::EtcdSettings settings(const std::string& prefix) const;
  [[nodiscard]] std::string log() const;

 private:
  ScratchDir dir_;
  bool tls_ = false;
  int client_port_ = 0;
  int peer_port_ = 0;
  bool ready_ = false;
  std::unique_ptr<ChildProcess> process_;
};

// Certificates made with the openssl command line for a TLS member and its client: a CA, a
// serving certificate for 127.0.0.1 and a client certificate, all signed by the CA, and a
// second CA that signed nothing. Files go when the object goes.
class EtcdTestCertificates {
 public:
  EtcdTestCertificates();
  [[nodiscard]] std::string file(const std::string& name) const {
    return (dir_.path() / name).string();
  }
  [[nodiscard]] EtcdMemberTls member_tls() const {
    return {
        .ca_file = file("ca.crt"), .cert_file = file("server.crt"), .key_file = file("server.key")};
  }
  [[nodiscard]] bool made() const { return made_; }

 private:
  ScratchDir dir_;
  bool made_ = false;
};

}  // namespace nkd::testing
