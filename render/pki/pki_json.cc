// The state store's form of a ClusterPki. Field names are camelCase like the rest of nkd's JSON;
// "version" lets a later layout migrate older records instead of misreading them. Layout 1 also
// held control-plane leaf certificates, which kubeadm now issues on the nodes: reading a layout 1
// record drops them, and its bootstrap token counts as issued at an unknown time (0). Layout 3
// adds the node token epoch; a record of layout 1 or 2 is epoch 0, whose tokens are the ones nkd
// issued before tokens could be rotated. A PKI whose tokens were never rotated is still written
// as layout 2, so an older nkd keeps reading it; once rotated it is layout 3, which an older nkd
// refuses rather than accept the tokens the rotation revoked.
#include <optional>
#include <string>
#include <utility>

#include "render/pki/cluster_pki.h"

namespace nkd::pki {
namespace {

constexpr int kLayoutVersion = 3;
constexpr int kLayoutBeforeRotation = 2;
constexpr int kOldestReadableLayout = 1;

nlohmann::json pair_to_json(const CertKeyPair& pair) {
  return {{"cert", pair.cert_pem}, {"key", pair.key_pem.reveal()}};
}

// Reads fields of one JSON object, remembering the first problem with its path so that the error
// names exactly which part of the stored record is wrong.
class FieldReader {
 public:
  FieldReader(const nlohmann::json& object, std::string path)
      : object_(object), path_(std::move(path)) {}

  std::string string(const char* name) {
    const nlohmann::json* value = find(name);
    if (value == nullptr) return "";
    if (!value->is_string()) {
      fail(name, "is not a string");
      return "";
    }
    return value->get<std::string>();
  }

  std::int64_t integer(const char* name) {
    const nlohmann::json* value = find(name);
    if (value == nullptr) return 0;
    if (!value->is_number_integer()) {
      fail(name, "is not an integer");
      return 0;
    }
    return value->get<std::int64_t>();
  }

  CertKeyPair pair(const char* name) {
    const nlohmann::json* value = find(name);
    if (value == nullptr) return {};
    if (!value->is_object()) {
      fail(name, "is not an object");
      return {};
    }
    FieldReader nested(*value, path_ + name + ".");
    CertKeyPair pair{.cert_pem = nested.string("cert"), .key_pem = Secret(nested.string("key"))};
    adopt(nested);
    return pair;
  }

  const nlohmann::json* find(const char* name) {
    auto found = object_.find(name);
    if (found == object_.end()) {
      fail(name, "is missing");
      return nullptr;
    }
    return &*found;
  }

  void fail(const std::string& name, const std::string& problem) {
    if (!error_) error_ = path_ + name + " " + problem;
  }
  void adopt(const FieldReader& nested) {
    if (!error_ && nested.error_) error_ = nested.error_;
  }
  [[nodiscard]] const std::optional<std::string>& error() const { return error_; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  const nlohmann::json& object_;
  std::string path_;
  std::optional<std::string> error_;
};

std::optional<model::KeyAlgorithm> parse_key_algorithm(const std::string& name) {
  for (model::KeyAlgorithm algorithm :
       {model::KeyAlgorithm::kEcdsaP256, model::KeyAlgorithm::kRsa2048}) {
    if (name == model::to_string(algorithm)) return algorithm;
  }
  return std::nullopt;
}

}  // namespace

nlohmann::json to_json(const ClusterPki& pki) {
  const bool rotated = pki.node_token_epoch != 0 || pki.node_tokens_rotated_unix != 0 ||
                       pki.previous_node_tokens_valid_until_unix != 0;
  nlohmann::json json = {
      {"version", rotated ? kLayoutVersion : kLayoutBeforeRotation},
      {"keyAlgorithm", model::to_string(pki.key_algorithm)},
      {"ca", pair_to_json(pki.ca)},
      {"frontProxyCa", pair_to_json(pki.front_proxy_ca)},
      {"etcdCa", pair_to_json(pki.etcd_ca)},
      {"admin", pair_to_json(pki.admin)},
      {"serviceAccountPublicKey", pki.service_account_public_pem},
      {"serviceAccountKey", pki.service_account_key_pem.reveal()},
      {"bootstrapTokenId", pki.bootstrap_token_id},
      {"bootstrapTokenSecret", pki.bootstrap_token_secret.reveal()},
      {"bootstrapTokenIssuedAt", pki.bootstrap_token_issued_unix},
      {"nodeTokenKey", pki.node_token_key.reveal()},
      {"caCertHash", pki.ca_cert_hash},
  };
  if (rotated) {
    json["nodeTokenEpoch"] = pki.node_token_epoch;
    json["nodeTokensRotatedAt"] = pki.node_tokens_rotated_unix;
    json["previousNodeTokensValidUntil"] = pki.previous_node_tokens_valid_until_unix;
  }
  return json;
}

Result<ClusterPki> pki_from_json(const nlohmann::json& json) {
  auto invalid = [](const std::string& problem) {
    return Error{ErrorCode::kParse, "reading a stored cluster PKI: " + problem +
                                        "; the state store record is damaged or from a newer "
                                        "nkd: restore it from a backup or upgrade nkd"};
  };
  if (!json.is_object()) return invalid("the record is not a JSON object");
  const auto version = json.find("version");
  if (version == json.end() || !version->is_number_integer() ||
      version->get<int>() < kOldestReadableLayout || version->get<int>() > kLayoutVersion) {
    return invalid("unsupported layout version (expected " +
                   std::to_string(kOldestReadableLayout) + " to " +
                   std::to_string(kLayoutVersion) + ")");
  }
  const int layout = version->get<int>();
  FieldReader reader(json, "");
  ClusterPki pki;
  const std::string algorithm = reader.string("keyAlgorithm");
  if (auto parsed = parse_key_algorithm(algorithm)) {
    pki.key_algorithm = *parsed;
  } else if (!reader.error()) {
    reader.fail("keyAlgorithm", "\"" + algorithm + "\" is not ECDSA-P256 or RSA-2048");
  }
  pki.ca = reader.pair("ca");
  pki.front_proxy_ca = reader.pair("frontProxyCa");
  pki.etcd_ca = reader.pair("etcdCa");
  pki.admin = reader.pair("admin");
  pki.service_account_public_pem = reader.string("serviceAccountPublicKey");
  pki.service_account_key_pem = Secret(reader.string("serviceAccountKey"));
  pki.bootstrap_token_id = reader.string("bootstrapTokenId");
  pki.bootstrap_token_secret = Secret(reader.string("bootstrapTokenSecret"));
  pki.node_token_key = Secret(reader.string("nodeTokenKey"));
  pki.ca_cert_hash = reader.string("caCertHash");
  if (layout >= 2) pki.bootstrap_token_issued_unix = reader.integer("bootstrapTokenIssuedAt");
  if (layout >= 3) {
    pki.node_token_epoch = reader.integer("nodeTokenEpoch");
    pki.node_tokens_rotated_unix = reader.integer("nodeTokensRotatedAt");
    pki.previous_node_tokens_valid_until_unix = reader.integer("previousNodeTokensValidUntil");
    if (pki.node_token_epoch < 0 && !reader.error()) reader.fail("nodeTokenEpoch", "is negative");
  }
  if (reader.error()) return invalid(*reader.error());
  return pki;
}

}  // namespace nkd::pki
