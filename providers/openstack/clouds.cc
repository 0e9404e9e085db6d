#include "providers/openstack/clouds.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

namespace nkd::providers::openstack {
namespace {

Error invalid(std::string_view origin, const std::string& cloud, const std::string& what) {
  return Error{ErrorCode::kInvalidArgument,
               std::string(origin) + ": cloud '" + cloud + "': " + what};
}

// A scalar value as text; "" when absent. Non-scalars are reported by the caller's checks.
std::string text_of(const YAML::Node& map, const char* key) {
  const YAML::Node value = map[key];
  if (!value.IsDefined() || !value.IsScalar()) return "";
  return value.as<std::string>();
}

Result<bool> verify_of(const YAML::Node& cloud, std::string_view origin, const std::string& name) {
  const YAML::Node verify = cloud["verify"];
  if (!verify.IsDefined() || verify.IsNull()) return true;
  bool value = true;
  if (!verify.IsScalar() || !YAML::convert<bool>::decode(verify, value)) {
    return invalid(origin, name, "'verify' must be true or false");
  }
  return value;
}

Result<AuthMethod> method_of(const YAML::Node& cloud, const CloudAuth& auth, std::string_view origin,
                             const std::string& name) {
  const std::string type = text_of(cloud, "auth_type");
  if (type.empty()) {
    return auth.application_credential_id.empty() && auth.application_credential_name.empty()
               ? AuthMethod::kPassword
               : AuthMethod::kApplicationCredential;
  }
  if (type == "password" || type == "v3password") return AuthMethod::kPassword;
  if (type == "application_credential" || type == "v3applicationcredential") {
    return AuthMethod::kApplicationCredential;
  }
  return invalid(origin, name,
                 "auth_type '" + type +
                     "' is not supported; use password or v3applicationcredential");
}

CloudAuth auth_of(const YAML::Node& block) {
  CloudAuth auth{
      .auth_url = text_of(block, "auth_url"),
      .username = text_of(block, "username"),
      .user_id = text_of(block, "user_id"),
      .password = Secret(text_of(block, "password")),
      .project_name = text_of(block, "project_name"),
      .project_id = text_of(block, "project_id"),
      .user_domain_name = text_of(block, "user_domain_name"),
      .user_domain_id = text_of(block, "user_domain_id"),
      .project_domain_name = text_of(block, "project_domain_name"),
      .project_domain_id = text_of(block, "project_domain_id"),
      .application_credential_id = text_of(block, "application_credential_id"),
      .application_credential_name = text_of(block, "application_credential_name"),
      .application_credential_secret = Secret(text_of(block, "application_credential_secret")),
  };
  // Older files say tenant for project.
  if (auth.project_name.empty()) auth.project_name = text_of(block, "tenant_name");
  if (auth.project_id.empty()) auth.project_id = text_of(block, "tenant_id");
  const std::string domain_id = text_of(block, "domain_id");
  const std::string domain_name = text_of(block, "domain_name");
  if (auth.user_domain_id.empty() && auth.user_domain_name.empty()) {
    auth.user_domain_id = domain_id;
    auth.user_domain_name = domain_name;
  }
  if (auth.project_domain_id.empty() && auth.project_domain_name.empty()) {
    auth.project_domain_id = domain_id;
    auth.project_domain_name = domain_name;
  }
  return auth;
}

Status check_password_auth(const CloudAuth& auth, std::string_view origin, const std::string& name) {
  if (auth.password.empty()) return invalid(origin, name, "password auth needs auth.password");
  if (auth.username.empty() && auth.user_id.empty()) {
    return invalid(origin, name, "password auth needs auth.username or auth.user_id");
  }
  if (auth.user_id.empty() && auth.user_domain_id.empty() && auth.user_domain_name.empty()) {
    return invalid(origin, name,
                   "user '" + auth.username +
                       "' is given by name: add auth.user_domain_name or auth.user_domain_id");
  }
  if (auth.project_id.empty() && !auth.project_name.empty() && auth.project_domain_id.empty() &&
      auth.project_domain_name.empty()) {
    return invalid(origin, name,
                   "project '" + auth.project_name +
                       "' is given by name: add auth.project_domain_name or auth.project_domain_id");
  }
  return ok_status();
}

Status check_application_credential(const CloudAuth& auth, std::string_view origin,
                                    const std::string& name) {
  if (auth.application_credential_secret.empty()) {
    return invalid(origin, name, "application credential auth needs auth.application_credential_secret");
  }
  if (!auth.application_credential_id.empty()) return ok_status();
  if (auth.application_credential_name.empty()) {
    return invalid(origin, name,
                   "application credential auth needs auth.application_credential_id (or a name "
                   "with the user it belongs to)");
  }
  if (auth.username.empty() && auth.user_id.empty()) {
    return invalid(origin, name,
                   "application credential '" + auth.application_credential_name +
                       "' is given by name: add auth.user_id or auth.username with its domain");
  }
  return ok_status();
}

Result<CloudConfig> parse_cloud(const std::string& name, const YAML::Node& node,
                                std::string_view origin) {
  if (!node.IsMap()) return invalid(origin, name, "each cloud must be a mapping");
  const YAML::Node block = node["auth"];
  if (!block.IsDefined() || !block.IsMap()) return invalid(origin, name, "an 'auth' mapping is missing");
  CloudConfig cloud{.name = name, .auth = auth_of(block)};
  if (cloud.auth.auth_url.empty()) return invalid(origin, name, "auth.auth_url is missing");
  NKD_ASSIGN_OR_RETURN(AuthMethod method, method_of(node, cloud.auth, origin, name));
  cloud.method = method;
  NKD_RETURN_IF_ERROR(cloud.method == AuthMethod::kPassword
                          ? check_password_auth(cloud.auth, origin, name)
                          : check_application_credential(cloud.auth, origin, name));
  cloud.region_name = text_of(node, "region_name");
  std::string interface = text_of(node, "interface");
  if (interface.empty()) interface = text_of(node, "endpoint_type");
  if (interface.ends_with("URL")) interface.resize(interface.size() - 3);  // "publicURL"
  if (!interface.empty()) cloud.interface = interface;
  if (cloud.interface != "public" && cloud.interface != "internal" && cloud.interface != "admin") {
    return invalid(origin, name, "interface '" + cloud.interface + "' must be public, internal or admin");
  }
  cloud.cacert = text_of(node, "cacert");
  NKD_ASSIGN_OR_RETURN(bool verify, verify_of(node, origin, name));
  cloud.verify = verify;
  return cloud;
}

}  // namespace

Result<Clouds> parse_clouds_yaml(std::string_view text, std::string_view origin) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& error) {
    return Error{ErrorCode::kParse, std::string(origin) + ":" + std::to_string(error.mark.line + 1) +
                                        ":" + std::to_string(error.mark.column + 1) +
                                        ": not valid YAML: " + error.msg};
  }
  const YAML::Node clouds = root["clouds"];
  if (!root.IsMap() || !clouds.IsDefined() || !clouds.IsMap()) {
    return Error{ErrorCode::kParse,
                 std::string(origin) + ": a top-level 'clouds:' mapping is missing; see OpenStack's "
                                       "clouds.yaml format"};
  }
  Clouds parsed;
  for (const auto& entry : clouds) {
    const std::string name = entry.first.as<std::string>();
    NKD_ASSIGN_OR_RETURN(CloudConfig cloud, parse_cloud(name, entry.second, origin));
    parsed.emplace(name, std::move(cloud));
  }
  return parsed;
}

Result<Clouds> load_clouds_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error{ErrorCode::kIo, "reading clouds file " + path +
                                     ": cannot open it; check the daemon's 'clouds:' setting"};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_clouds_yaml(text.str(), path);
}

Result<CloudConfig> find_cloud(const Clouds& clouds, const std::string& name) {
  if (auto found = clouds.find(name); found != clouds.end()) return found->second;
  std::string known;
  for (const auto& [candidate, cloud] : clouds) known += (known.empty() ? "" : ", ") + candidate;
  return Error{ErrorCode::kNotFound, "cloud '" + name + "' is not in clouds.yaml (it has: " +
                                         (known.empty() ? "none" : known) +
                                         "); add it or fix platform.openstack.cloud"};
}

}  // namespace nkd::providers::openstack
