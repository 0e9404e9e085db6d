#include "tests/support/etcd_member.h"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>

#include "tests/support/etcd_process.h"

namespace nkd::testing {

EtcdMember::EtcdMember(const std::optional<EtcdMemberTls>& tls)
    : tls_(tls.has_value()), client_port_(free_port()), peer_port_(free_port()) {
  // One member elects itself after one election timeout: 100 ms instead of 1 s.
  std::vector<std::string> argv =
      etcd_command({.name = "member",
                    .data_dir = dir_.path() / "data",
                    .client_url = client_url(),
                    .peer_port = peer_port_,
                    .initial_cluster = "member=" + etcd_peer_url(peer_port_),
                    .heartbeat_ms = 10,
                    .election_timeout_ms = 100});
  if (tls) {
    for (const std::string& flag :
         {"--cert-file=" + tls->cert_file, "--key-file=" + tls->key_file,
          "--trusted-ca-file=" + tls->ca_file, std::string("--client-cert-auth")}) {
      argv.push_back(flag);
    }
  }
  process_ = std::make_unique<ChildProcess>(argv, (dir_.path() / "etcd.log").string());
  ready_ = wait_until(
      [&] {
        if (!process_->running()) return true;
        if (tls) {
          // A TLS member is ready once it accepts connections; its clients bring certificates.
          return run_command(
                     {"bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(client_port_)},
                     "", "", std::chrono::seconds(2))
                     .exit_code == 0;
        }
        return etcd_answers(client_url());
      },
      std::chrono::seconds(20));
  ready_ = ready_ && process_->running();
  EXPECT_TRUE(ready_) << "etcd did not start:\n" << log();
}

EtcdMember::~EtcdMember() {
  if (process_) process_->stop(SIGTERM, std::chrono::seconds(5));
}

std::string EtcdMember::client_url() const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(client_port_);
}

state::EtcdSettings EtcdMember::settings(const std::string& prefix) const {
  return state::EtcdSettings{.endpoints = {client_url()}, .prefix = prefix, .timeout_ms = 5'000};
}

std::string EtcdMember::log() const { return read_file(dir_.path() / "etcd.log"); }

EtcdTestCertificates::EtcdTestCertificates() {
  // EC keys: quick to make. The member's certificate names 127.0.0.1, the address clients dial.
  const std::string script = R"(set -e
make_ca() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=$1" -keyout "$1.key" -out "$1.crt" 2>/dev/null; }
issue() { # name subject extensions
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
    -keyout "$1.key" -out "$1.csr" 2>/dev/null
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
}
make_ca ca
make_ca other-ca
issue server etcd-member "subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth,clientAuth"
issue client nkd "extendedKeyUsage=clientAuth"
)";
  const CommandResult made = run_shell(script, dir_.str());
  made_ = made.exit_code == 0;
  EXPECT_TRUE(made_) << made.err;
}

}  // namespace nkd::testing
