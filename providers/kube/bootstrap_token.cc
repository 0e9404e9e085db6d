#include "providers/kube/bootstrap_token.h"

#include <yaml-cpp/yaml.h>

#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/crypto.h"

namespace nkd::kube {

std::string bootstrap_token_secret_yaml(const pki::ClusterPki& pki, std::int64_t expires_unix) {
  std::vector<std::pair<const char*, std::string>> data = {
      {"token-id", pki.bootstrap_token_id},
      {"token-secret", pki.bootstrap_token_secret.reveal()},
      {"usage-bootstrap-authentication", "true"},
      {"usage-bootstrap-signing", "true"},
      {"auth-extra-groups", "system:bootstrappers:kubeadm:default-node-token"},
      {"description", "made by nkd for nodes that join after the first token lapsed"},
  };
  if (expires_unix > 0) {
    // RFC 3339 in whole seconds, as the token cleaner parses it.
    std::string expiration = format_rfc3339_ms(expires_unix * 1000);
    if (const auto dot = expiration.find('.'); dot != std::string::npos) {
      expiration = expiration.substr(0, dot) + "Z";
    }
    data.emplace_back("expiration", expiration);
  }
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << "v1";
  out << YAML::Key << "kind" << YAML::Value << "Secret";
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << "bootstrap-token-" + pki.bootstrap_token_id;
  out << YAML::Key << "namespace" << YAML::Value << "kube-system";
  out << YAML::EndMap;
  out << YAML::Key << "type" << YAML::Value << "bootstrap.kubernetes.io/token";
  out << YAML::Key << "data" << YAML::Value << YAML::BeginMap;
  for (const auto& [key, value] : data) {
    out << YAML::Key << key << YAML::Value << base64_encode(value);
  }
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace nkd::kube
