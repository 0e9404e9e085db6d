// clouds.yaml: OpenStack's standard client configuration file (the daemon's `clouds:` setting,
// DESIGN.md §4). A cluster's `platform.openstack.cloud` picks one entry. Only what Keystone v3
// password and application-credential auth need is read; keys other tools use are ignored.
// Passwords and application-credential secrets are held as Secret and never appear in errors.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/secret.h"

namespace nkd::providers::openstack {

enum class AuthMethod { kPassword, kApplicationCredential };

// The `auth:` block of one cloud, after domain defaults were applied (a `domain_id`/`domain_name`
// fills whichever of the user and project domain is unset, as openstacksdk does).
struct CloudAuth {
  std::string auth_url;
  std::string username;
  std::string user_id;
  Secret password;
  std::string project_name;
  std::string project_id;
  std::string user_domain_name;
  std::string user_domain_id;
  std::string project_domain_name;
  std::string project_domain_id;
  std::string application_credential_id;
  std::string application_credential_name;
  Secret application_credential_secret;
};

struct CloudConfig {
  std::string name;
  AuthMethod method = AuthMethod::kPassword;
  CloudAuth auth;
  std::string region_name;             // empty: any region
  std::string interface = "public";    // public | internal | admin
  std::string cacert;                  // PEM file; empty: the system store
  bool verify = true;                  // false: TLS peers are not verified
};

using Clouds = std::map<std::string, CloudConfig>;

// Parses the text of a clouds.yaml; `origin` names the file in error messages. Every cloud is
// checked: an auth_url, and either a password with a user (and a domain for names) or an
// application credential id (or name with a user) and secret.
[[nodiscard]] Result<Clouds> parse_clouds_yaml(std::string_view text, std::string_view origin);
// Reads and parses the file at `path`.
[[nodiscard]] Result<Clouds> load_clouds_file(const std::string& path);
// The entry named `name`, or kNotFound listing the names there are.
[[nodiscard]] Result<CloudConfig> find_cloud(const Clouds& clouds, const std::string& name);

}  // namespace nkd::providers::openstack
