// LibvirtHost: one open libvirt connection (a named connection of syncd.yaml) and the few
// operations the provider needs on it, each timed into nkd_provider_requests_total and
// nkd_provider_request_duration_seconds {provider="libvirt", operation=...}.
//
// Lookups that find nothing return nullopt, deletes of something already gone succeed, so each
// caller can look before it acts and repeat itself harmlessly. Every other failure is libvirt's
// error mapped to an nkd ErrorCode (libvirt_handles.h). Bounded: local calls by libvirtd itself,
// remote ones by the connection's keepalive (after interval * (count + 1) seconds without an
// answer the call fails with kUnavailable). The state of a domain is read by polling
// (virDomainGetState): create and destroy are synchronous in libvirt, so no event loop is needed.
//
// Thread-safe: a virConnectPtr may be shared by threads, and libvirt keeps its last error per
// thread. `metrics` (may be null) and `clock` must outlive the host.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "metrics/metrics.h"
#include "providers/libvirt/domain_xml.h"
#include "providers/libvirt/libvirt_handles.h"
#include "providers/libvirt/libvirt_settings.h"

namespace nkd::providers::libvirt {

enum class DomainState { kRunning, kStopped, kFailed, kOther };

struct Domain {
  std::string name;
  std::string uuid;
  std::optional<NodeMetadata> metadata;  // nullopt: not made by nkd
  DomainState state = DomainState::kOther;
};

struct Volume {
  std::string name;
  std::string path;
  std::string format;  // raw, qcow2, ... ("" when libvirt does not say)
  std::uint64_t capacity_bytes = 0;
};

// What a domain's XML says about the volumes nkd made for it.
struct DomainVolumes {
  std::vector<std::pair<std::string, std::string>> disks;  // (pool, volume)
  std::string ignition_path;                               // "" when it has no fw_cfg entry
};

class LibvirtHost {
 public:
  // Opens `settings.uri` (a remote one with keepalive), named `name` in messages.
  [[nodiscard]] static Result<std::unique_ptr<LibvirtHost>> open(
      const std::string& name, const LibvirtConnectionSettings& settings, metrics::Metrics* metrics,
      const Clock& clock);

  [[nodiscard]] const std::string& name() const { return name_; }
  // False once the connection broke (the provider then opens a new one).
  [[nodiscard]] bool alive() const;
  // libvirt's test driver keeps no volume contents: uploads are skipped there.
  [[nodiscard]] bool is_test_driver() const { return test_driver_; }

  // Domains whose name starts with "<cluster>-" and whose nkd metadata names `cluster`.
  [[nodiscard]] Result<std::vector<Domain>> cluster_domains(const std::string& cluster);
  // The domain named `name`, nkd's or not.
  [[nodiscard]] Result<std::optional<Domain>> find_domain(const std::string& name);
  // Defines the domain from `xml` (persistent) and starts it.
  [[nodiscard]] Status define_and_start(const std::string& name, const std::string& xml);
  [[nodiscard]] Status start(const std::string& name);
  // Stops (hard) and undefines `name`; done when it is already gone.
  [[nodiscard]] Status destroy_and_undefine(const std::string& name);
  [[nodiscard]] Result<DomainVolumes> domain_volumes(const std::string& name);

  // The pool's type ("dir", "logical", ...); kNotFound naming the pool when it does not exist.
  [[nodiscard]] Result<std::string> pool_type(const std::string& pool);
  [[nodiscard]] Result<std::optional<Volume>> find_volume(const std::string& pool,
                                                          const std::string& name);
  [[nodiscard]] Status create_volume(const std::string& pool, const std::string& xml);
  // A full copy of `source` (a volume of `pool`) described by `xml`.
  [[nodiscard]] Status clone_volume(const std::string& pool, const std::string& xml,
                                    const std::string& source);
  [[nodiscard]] Status resize_volume(const std::string& pool, const std::string& name,
                                     std::uint64_t capacity_bytes);
  // Replaces the volume's contents with `content` (virStorageVolUpload).
  [[nodiscard]] Status upload(const std::string& pool, const std::string& name,
                              const std::string& content);
  // Deletes the volume; done when it is already gone. A volume libvirtd is still building (its
  // create was asked for by a process that died) is waited for, at most 30 seconds.
  [[nodiscard]] Status delete_volume(const std::string& pool, const std::string& name);
  [[nodiscard]] Status delete_volume_at(const std::string& path);

 private:
  LibvirtHost(std::string name, ConnectPtr connection, metrics::Metrics* metrics,
              const Clock& clock);
  // Counts one call of `operation` that ended with `outcome` ("ok", "not_found", an error code).
  void record(const char* operation, const std::string& outcome, Clock::TimePoint started) const;
  [[nodiscard]] Result<StorageVolPtr> lookup_volume(const std::string& pool,
                                                    const std::string& name);
  [[nodiscard]] Result<Domain> describe(virDomainPtr domain);

  const std::string name_;
  ConnectPtr connection_;
  metrics::Metrics* metrics_;
  const Clock& clock_;
  bool test_driver_ = false;
};

}  // namespace nkd::providers::libvirt
