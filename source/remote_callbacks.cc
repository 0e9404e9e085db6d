#include "source/remote_callbacks.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/secret.h"
#include "common/secret_file.h"
#include "source/known_hosts.h"
#include "source/library_allocations.h"

namespace nkd::source {

namespace {

const char* ssh_key_type(git_cert_ssh_raw_type_t type) {
  switch (type) {
    case GIT_CERT_SSH_RAW_TYPE_RSA: return "ssh-rsa";
    case GIT_CERT_SSH_RAW_TYPE_DSS: return "ssh-dss";
    case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_256: return "ecdsa-sha2-nistp256";
    case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_384: return "ecdsa-sha2-nistp384";
    case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_521: return "ecdsa-sha2-nistp521";
    case GIT_CERT_SSH_RAW_TYPE_KEY_ED25519: return "ssh-ed25519";
    default: return "";
  }
}

}  // namespace

RemoteSession::RemoteSession(std::string url, RemoteUrl remote, const RepositoryAuth& auth,
                             std::chrono::milliseconds timeout)
    : url_(std::move(url)),
      remote_(std::move(remote)),
      auth_(auth),
      // The real clock, not an injected one: this deadline bounds libgit2's transfer on a real
      // socket, checked from libgit2's callbacks; simulated time could not end it.
      deadline_(std::chrono::steady_clock::now() + timeout),
      timeout_(timeout) {}

git_remote_callbacks RemoteSession::callbacks() {
  git_remote_callbacks callbacks = GIT_REMOTE_CALLBACKS_INIT;
  callbacks.credentials = &RemoteSession::on_credentials;
  callbacks.certificate_check = &RemoteSession::on_certificate;
  callbacks.transfer_progress = &RemoteSession::on_transfer;
  callbacks.sideband_progress = &RemoteSession::on_sideband;
  callbacks.payload = this;
  return callbacks;
}

Error RemoteSession::failure(std::string_view doing, ErrorCode code) const {
  if (failure_) return failure_->wrap(doing);
  const git_error* error = git_error_last();
  std::string message(doing);
  message += ": ";
  message += error != nullptr && error->message != nullptr ? error->message : "unknown libgit2 error";
  return Error{code, std::move(message)};
}

int RemoteSession::refuse(Error error, int code) {
  git_error_set_str(GIT_ERROR_CALLBACK, error.message.c_str());
  failure_ = std::move(error);
  return code;
}

int RemoteSession::check_deadline() {
  if (std::chrono::steady_clock::now() < deadline_) return 0;  // real time: see the constructor
  return refuse(Error{ErrorCode::kTimeout, "transfer from " + display_url(url_) + " took longer than " +
                                               std::to_string(timeout_.count()) + " ms"},
                GIT_EUSER);
}

int RemoteSession::on_credentials(git_credential** out, const char* /*url*/,
                                  const char* username_from_url, unsigned int allowed_types,
                                  void* payload) {
  const OwnAllocations own_allocations;
  return static_cast<RemoteSession*>(payload)->credentials(out, username_from_url, allowed_types);
}

int RemoteSession::credentials(git_credential** out, const char* username_from_url,
                               unsigned int allowed_types) {
  // libgit2 asks again after a rejected credential; the same kind asked twice means it was wrong.
  if (++attempts_by_type_[allowed_types] > 1) {
    return refuse(Error{ErrorCode::kUnauthenticated,
                        "authentication to " + display_url(url_) +
                            " failed with the configured credentials; check repository.auth "
                            "(token, password or SSH key file) and the user name"},
                  GIT_EAUTH);
  }
  const std::string from_url = username_from_url != nullptr ? username_from_url : "";
  if ((allowed_types & GIT_CREDENTIAL_SSH_KEY) != 0 && !auth_.ssh_key_file.empty()) {
    const std::string user = !from_url.empty() ? from_url : (!auth_.username.empty() ? auth_.username : "git");
    const std::string public_key = auth_.ssh_key_file + ".pub";
    std::error_code ignored;
    const bool has_public = std::filesystem::exists(public_key, ignored);
    if (!std::filesystem::exists(auth_.ssh_key_file, ignored)) {
      return refuse(Error{ErrorCode::kNotFound, "SSH key file " + auth_.ssh_key_file + " does not exist"}, GIT_EAUTH);
    }
    return git_credential_ssh_key_new(out, user.c_str(), has_public ? public_key.c_str() : nullptr,
                                      auth_.ssh_key_file.c_str(), nullptr);
  }
  if ((allowed_types & GIT_CREDENTIAL_USERPASS_PLAINTEXT) != 0 &&
      (!auth_.token_file.empty() || !auth_.password_file.empty())) {
    const bool token = !auth_.token_file.empty();
    auto secret = token ? read_secret_file(auth_.token_file, "token file")
                        : read_secret_file(auth_.password_file, "password file");
    if (!secret) return refuse(secret.error(), GIT_EAUTH);
    const std::string user = !auth_.username.empty() ? auth_.username : (!from_url.empty() ? from_url : "git");
    return git_credential_userpass_plaintext_new(out, user.c_str(), secret->reveal().c_str());
  }
  if ((allowed_types & GIT_CREDENTIAL_USERNAME) != 0) {
    const std::string user = !from_url.empty() ? from_url : (!auth_.username.empty() ? auth_.username : "git");
    return git_credential_username_new(out, user.c_str());
  }
  return refuse(Error{ErrorCode::kUnauthenticated,
                      display_url(url_) + " asks for credentials but none of the kind it accepts "
                      "are configured; set repository.auth.tokenFile (HTTPS) or sshKeyFile (SSH)"},
                GIT_EAUTH);
}

int RemoteSession::on_certificate(git_cert* cert, int /*valid*/, const char* host, void* payload) {
  const OwnAllocations own_allocations;
  auto* session = static_cast<RemoteSession*>(payload);
  if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2) {
    return session->check_host_key(*reinterpret_cast<git_cert_hostkey*>(cert), host);
  }
  return GIT_PASSTHROUGH;  // TLS: libgit2's own chain and name verification decides
}

int RemoteSession::check_host_key(const git_cert_hostkey& cert, const char* host) {
  const std::string host_name = host != nullptr ? host : remote_.host;
  if (auth_.known_hosts_file.empty()) {
    return refuse(Error{ErrorCode::kPermissionDenied,
                        "cannot verify the SSH host key of " + host_name +
                            ": no known_hosts file is configured; set repository.auth.knownHostsFile"},
                  GIT_ECERTIFICATE);
  }
  HostKey key;
  if ((cert.type & GIT_CERT_SSH_RAW) != 0 && cert.hostkey != nullptr) {
    key.type = ssh_key_type(cert.raw_type);
    key.blob.assign(cert.hostkey, cert.hostkey_len);
  } else if ((cert.type & GIT_CERT_SSH_SHA256) != 0) {
    key.sha256.assign(reinterpret_cast<const char*>(cert.hash_sha256), sizeof(cert.hash_sha256));
  } else {
    return refuse(Error{ErrorCode::kPermissionDenied, "the SSH transport gave no usable host key for " +
                                                          host_name + "; refusing to connect"},
                  GIT_ECERTIFICATE);
  }
  auto known = read_text_file(auth_.known_hosts_file, "known_hosts file");
  if (!known) return refuse(known.error(), GIT_ECERTIFICATE);
  auto status = check_known_host(*known, host_name, remote_.port, key, auth_.known_hosts_file);
  if (!status) return refuse(status.error(), GIT_ECERTIFICATE);
  return 0;
}

int RemoteSession::on_transfer(const git_indexer_progress* /*stats*/, void* payload) {
  const OwnAllocations own_allocations;
  return static_cast<RemoteSession*>(payload)->check_deadline();
}

int RemoteSession::on_sideband(const char* /*text*/, int /*length*/, void* payload) {
  const OwnAllocations own_allocations;
  return static_cast<RemoteSession*>(payload)->check_deadline();
}

}  // namespace nkd::source
