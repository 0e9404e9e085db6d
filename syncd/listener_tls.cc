#include "syncd/listener_tls.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string_view>

#include "common/private_files.h"
#include "common/secret_file.h"
#include "render/pki/listener_pki.h"

namespace nkd::syncd {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kCertificateBegin = "-----BEGIN CERTIFICATE-----";
constexpr std::string_view kPrivateKeyBegin = "-----BEGIN PRIVATE KEY-----";

// The host of an http(s) URL: "https://[::1]:9480/x" -> "::1", "https://nkd.lab/" -> "nkd.lab".
std::string url_host(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "";
  url.remove_prefix(scheme_end + 3);
  url = url.substr(0, url.find_first_of("/?#"));
  if (const auto at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);
  if (url.starts_with('[')) return std::string(url.substr(1, url.find(']') - 1));
  return std::string(url.substr(0, url.rfind(':')));
}

// A certificate and key kept in one file, so that a crash never leaves one without the other.
std::string pair_pem(const pki::CertKeyPair& pair) { return pair.cert_pem + pair.key_pem.reveal(); }

std::optional<pki::CertKeyPair> split_pair_pem(const std::string& text) {
  const auto key_begin = text.find(kPrivateKeyBegin);
  if (!text.starts_with(kCertificateBegin) || key_begin == std::string::npos) return std::nullopt;
  return pki::CertKeyPair{.cert_pem = text.substr(0, key_begin),
                          .key_pem = Secret(text.substr(key_begin))};
}

// Replaces `path` as a whole: readers see the old content or the new, never a part.
Status replace_private_file(const fs::path& path, std::string_view content) {
  const fs::path staged = path.string() + ".new";
  NKD_RETURN_IF_ERROR(write_private_file(staged, content));
  std::error_code error;
  fs::rename(staged, path, error);
  if (error) {
    return Error{ErrorCode::kInternal, "replacing " + path.string() + ": " + error.message() +
                                           "; check that the state directory is writable"};
  }
  return ok_status();
}

// A pair file as read: the pair (none when the file is missing) and whether it must be written
// again to be sealed as the state key now seals (it is plaintext, or sealed with an older key).
struct StoredPair {
  std::optional<pki::CertKeyPair> pair;
  bool stale = false;
};

std::string place_of(const fs::path& path) { return "tls/" + path.filename().string(); }

Result<StoredPair> read_pair(const fs::path& path, const state::SecretSealer& sealer) {
  std::error_code error;
  if (!fs::exists(path, error)) return StoredPair{};
  NKD_ASSIGN_OR_RETURN(std::string text,
                       read_text_file(path.string(), "listener certificate and key"));
  NKD_ASSIGN_OR_RETURN_WRAP(std::string pem, sealer.unseal_for_resealing(text, place_of(path)),
                            "reading " + path.string());
  auto pair = split_pair_pem(pem);
  if (!pair) {
    return Error{ErrorCode::kParse, path.string() +
                                        " is not a PEM certificate followed by its "
                                        "PKCS#8 key; restore it from a backup"};
  }
  return StoredPair{.pair = std::move(*pair), .stale = sealer.needs_resealing(text)};
}

Status write_pair(const fs::path& path, const pki::CertKeyPair& pair,
                  const state::SecretSealer& sealer) {
  NKD_ASSIGN_OR_RETURN(const std::string stored, sealer.seal(pair_pem(pair), place_of(path)));
  return replace_private_file(path, stored);
}

Result<ListenerTlsFiles> prepare_self_signed(const DaemonConfig& config, std::int64_t now_unix,
                                             const state::SecretSealer& sealer) {
  const fs::path directory = fs::path(config.state_directory()) / "tls";
  NKD_RETURN_IF_ERROR(create_private_directories(directory));
  const fs::path ca_path = directory / "ca.pem";
  const fs::path server_path = directory / "server.pem";
  NKD_ASSIGN_OR_RETURN(const StoredPair ca, read_pair(ca_path, sealer));
  NKD_ASSIGN_OR_RETURN(const StoredPair server, read_pair(server_path, sealer));
  std::optional<pki::ListenerPki> existing;
  if (ca.pair) {
    existing = pki::ListenerPki{.ca = *ca.pair, .server = server.pair.value_or(pki::CertKeyPair{})};
  }
  NKD_ASSIGN_OR_RETURN(auto pki,
                       pki::ensure_listener_pki(existing, listener_hosts(config), now_unix));
  if (!existing || existing->ca != pki.ca || ca.stale) {
    NKD_RETURN_IF_ERROR(write_pair(ca_path, pki.ca, sealer));
  }
  if (!existing || existing->server != pki.server || server.stale) {
    NKD_RETURN_IF_ERROR(write_pair(server_path, pki.server, sealer));
  }
  const fs::path ca_certificate = directory / "ca.crt";
  NKD_RETURN_IF_ERROR(replace_private_file(ca_certificate, pki.ca.cert_pem));
  return ListenerTlsFiles{.cert_file = server_path.string(),
                          .key_file = server_path.string(),
                          .cert_pem = pki.server.cert_pem,
                          .key_pem = pki.server.key_pem,
                          .ca_pem = pki.ca.cert_pem,
                          .ca_file = ca_certificate.string()};
}

Result<ListenerTlsFiles> prepare_operator_files(const ListenerTlsConfig& tls) {
  const std::string& ca_file = tls.ca_file.empty() ? tls.cert_file : tls.ca_file;
  NKD_ASSIGN_OR_RETURN(std::string ca_pem,
                       read_text_file(ca_file, "http.tls CA (caFile, else certFile)"));
  if (ca_pem.find(kCertificateBegin) == std::string::npos) {
    return Error{ErrorCode::kInvalidArgument,
                 ca_file +
                     " holds no PEM certificate; http.tls.caFile must be the CA that "
                     "signed certFile, in PEM"};
  }
  return ListenerTlsFiles{.cert_file = tls.cert_file,
                          .key_file = tls.key_file,
                          .ca_pem = std::move(ca_pem),
                          .ca_file = ca_file};
}

}  // namespace

std::vector<std::string> listener_hosts(const DaemonConfig& config) {
  std::vector<std::string> hosts;
  auto add = [&hosts](const std::string& host) {
    if (host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]") return;
    if (std::find(hosts.begin(), hosts.end(), host) == hosts.end()) hosts.push_back(host);
  };
  add(url_host(config.public_url));
  std::string listen_host = config.listen_host();
  if (listen_host.starts_with('[') && listen_host.ends_with(']')) {
    listen_host = listen_host.substr(1, listen_host.size() - 2);
  }
  add(listen_host);
  for (const std::string& host : config.http_tls.hosts) add(host);
  for (const char* loopback : {"localhost", "127.0.0.1", "::1"}) add(loopback);
  return hosts;
}

Result<int> reseal_listener_files(const std::string& state_directory,
                                  const state::SecretSealer& sealer) {
  int rewritten = 0;
  for (const char* name : {"ca.pem", "server.pem"}) {
    const fs::path path = fs::path(state_directory) / "tls" / name;
    NKD_ASSIGN_OR_RETURN(const StoredPair stored, read_pair(path, sealer));
    if (!stored.pair || !stored.stale) continue;
    NKD_RETURN_IF_ERROR(write_pair(path, *stored.pair, sealer));
    ++rewritten;
  }
  return rewritten;
}

Result<ListenerTlsFiles> prepare_listener_tls(const DaemonConfig& config, std::int64_t now_unix,
                                              const state::SecretSealer& sealer) {
  if (config.http_tls.security == ListenerSecurity::kCertificateFiles) {
    return prepare_operator_files(config.http_tls);
  }
  return prepare_self_signed(config, now_unix, sealer);
}

}  // namespace nkd::syncd
