#include "providers/libvirt/libvirt_host.h"

#include <libvirt/virterror.h>

#include <chrono>

namespace nkd::providers::libvirt {

namespace {

// The `provider` label of every libvirt call in nkd_provider_requests_total.
constexpr const char* kProviderLabel = "libvirt";

// A URI with a host part ("qemu+ssh://host/system") reaches libvirtd over the network.
bool is_remote(const std::string& uri) {
  const auto scheme_end = uri.find("://");
  return scheme_end != std::string::npos && scheme_end + 3 < uri.size() &&
         uri[scheme_end + 3] != '/';
}

// Counts one call of `operation` that ended with `outcome` ("ok" or an error code's name).
void record_call(metrics::Metrics* metrics, const Clock& clock, const char* operation,
                 const std::string& outcome, Clock::TimePoint started) {
  if (metrics == nullptr) return;
  const double seconds = std::chrono::duration<double>(clock.steady_now() - started).count();
  metrics->provider_requests_total
      .Add({{"provider", kProviderLabel}, {"operation", operation}, {"code", outcome}})
      .Increment();
  metrics->provider_request_duration_seconds
      .Add({{"provider", kProviderLabel}, {"operation", operation}},
           metrics::Metrics::fast_buckets())
      .Observe(seconds);
}

DomainState state_of(int state, int reason) {
  switch (state) {
    case VIR_DOMAIN_RUNNING:
    case VIR_DOMAIN_BLOCKED:
      return DomainState::kRunning;
    case VIR_DOMAIN_CRASHED:
      return DomainState::kFailed;
    case VIR_DOMAIN_SHUTOFF:
      return reason == VIR_DOMAIN_SHUTOFF_CRASHED || reason == VIR_DOMAIN_SHUTOFF_FAILED
                 ? DomainState::kFailed
                 : DomainState::kStopped;
    default:
      return DomainState::kOther;
  }
}

}  // namespace

LibvirtHost::LibvirtHost(std::string name, ConnectPtr connection, metrics::Metrics* metrics,
                         const Clock& clock)
    : name_(std::move(name)), connection_(std::move(connection)), metrics_(metrics), clock_(clock) {
  const char* type = virConnectGetType(connection_.get());
  test_driver_ = type != nullptr && std::string(type) == "TEST";
}

Result<std::unique_ptr<LibvirtHost>> LibvirtHost::open(const std::string& name,
                                                       const LibvirtConnectionSettings& settings,
                                                       metrics::Metrics* metrics,
                                                       const Clock& clock) {
  silence_default_error_printing();
  const auto started = clock.steady_now();
  ConnectPtr connection(virConnectOpen(settings.uri.c_str()));
  if (!connection) {
    Error error = last_error("opening libvirt connection '" + name + "' (" + settings.uri + ")");
    // A URI libvirt cannot open at all is as likely a daemon that is down as a typo: retried.
    if (error.code == ErrorCode::kInternal) error.code = ErrorCode::kUnavailable;
    record_call(metrics, clock, "connect", error_code_name(error.code), started);
    return error;
  }
  if (is_remote(settings.uri) &&
      virConnectSetKeepAlive(connection.get(), settings.keepalive_interval_seconds,
                             static_cast<unsigned>(settings.keepalive_count)) < 0) {
    return last_error("enabling keepalive on libvirt connection '" + name + "'");
  }
  std::unique_ptr<LibvirtHost> host(new LibvirtHost(name, std::move(connection), metrics, clock));
  host->record("connect", "ok", started);
  return host;
}

void LibvirtHost::record(const char* operation, const std::string& outcome,
                         Clock::TimePoint started) const {
  record_call(metrics_, clock_, operation, outcome, started);
}

bool LibvirtHost::alive() const {
  return connection_ != nullptr && virConnectIsAlive(connection_.get()) == 1;
}

Result<Domain> LibvirtHost::describe(virDomainPtr domain) {
  Domain described;
  const char* name = virDomainGetName(domain);
  described.name = name != nullptr ? name : "";
  char uuid[VIR_UUID_STRING_BUFLEN] = {};
  if (virDomainGetUUIDString(domain, uuid) == 0) described.uuid = uuid;
  int state = 0;
  int reason = 0;
  if (virDomainGetState(domain, &state, &reason, 0) < 0) {
    return last_error("reading the state of domain " + described.name);
  }
  described.state = state_of(state, reason);
  char* metadata = virDomainGetMetadata(domain, VIR_DOMAIN_METADATA_ELEMENT, kMetadataNamespace, 0);
  if (metadata == nullptr) {
    if (!last_error_is(VIR_ERR_NO_DOMAIN_METADATA)) {
      return last_error("reading the nkd metadata of domain " + described.name);
    }
    virResetLastError();
    return described;
  }
  described.metadata = parse_metadata(take_string(metadata));
  return described;
}

Result<std::vector<Domain>> LibvirtHost::cluster_domains(const std::string& cluster) {
  const auto started = clock_.steady_now();
  virDomainPtr* listed = nullptr;
  const int count = virConnectListAllDomains(connection_.get(), &listed, 0);
  if (count < 0) {
    Error error = last_error("listing the domains of connection '" + name_ + "'");
    record("list_domains", error_code_name(error.code), started);
    return error;
  }
  std::vector<DomainPtr> domains;
  for (int i = 0; i < count; ++i) domains.emplace_back(listed[i]);
  std::free(
      listed);  // NOLINT(cppcoreguidelines-no-malloc): libvirt's array, its domains owned above
  std::vector<Domain> found;
  const std::string prefix = cluster + "-";
  for (const DomainPtr& domain : domains) {
    const char* name = virDomainGetName(domain.get());
    if (name == nullptr || !std::string_view(name).starts_with(prefix)) continue;
    Result<Domain> described = describe(domain.get());
    if (!described) {
      // Undefined between the listing and now: it is not there any more.
      if (described.error().code == ErrorCode::kNotFound) continue;
      record("list_domains", outcome_label(described), started);
      return described.error();
    }
    if (!described->metadata || described->metadata->cluster != cluster) continue;
    found.push_back(std::move(*described));
  }
  record("list_domains", "ok", started);
  return found;
}

Result<std::optional<Domain>> LibvirtHost::find_domain(const std::string& name) {
  const auto started = clock_.steady_now();
  const DomainPtr domain(virDomainLookupByName(connection_.get(), name.c_str()));
  if (!domain) {
    if (last_error_is(VIR_ERR_NO_DOMAIN)) {
      virResetLastError();
      record("lookup_domain", "ok", started);
      return std::optional<Domain>();
    }
    Error error = last_error("looking up domain " + name);
    record("lookup_domain", error_code_name(error.code), started);
    return error;
  }
  Result<Domain> described = describe(domain.get());
  record("lookup_domain", outcome_label(described), started);
  if (!described) return described.error();
  return std::optional<Domain>(std::move(*described));
}

Status LibvirtHost::define_and_start(const std::string& name, const std::string& xml) {
  const auto started = clock_.steady_now();
  const DomainPtr domain(virDomainDefineXML(connection_.get(), xml.c_str()));
  if (!domain) {
    Error error = last_error("defining domain " + name);
    record("define_domain", error_code_name(error.code), started);
    return error;
  }
  record("define_domain", "ok", started);
  return start(name);
}

Status LibvirtHost::start(const std::string& name) {
  const auto started = clock_.steady_now();
  const DomainPtr domain(virDomainLookupByName(connection_.get(), name.c_str()));
  Status status = ok_status();
  if (!domain) {
    status = last_error("looking up domain " + name + " to start it");
  } else if (virDomainCreate(domain.get()) < 0) {
    // Started meanwhile (another apply, a person): what was wanted.
    if (last_error_is(VIR_ERR_OPERATION_INVALID) && virDomainIsActive(domain.get()) == 1) {
      virResetLastError();
    } else {
      status = last_error("starting domain " + name);
    }
  }
  record("start_domain", outcome_label(status), started);
  return status;
}

Status LibvirtHost::destroy_and_undefine(const std::string& name) {
  const auto started = clock_.steady_now();
  const DomainPtr domain(virDomainLookupByName(connection_.get(), name.c_str()));
  if (!domain) {
    if (last_error_is(VIR_ERR_NO_DOMAIN)) {
      virResetLastError();
      record("delete_domain", "ok", started);
      return ok_status();
    }
    Error error = last_error("looking up domain " + name + " to delete it");
    record("delete_domain", error_code_name(error.code), started);
    return error;
  }
  Status status = ok_status();
  if (virDomainIsActive(domain.get()) == 1 && virDomainDestroy(domain.get()) < 0 &&
      !last_error_is(VIR_ERR_OPERATION_INVALID)) {  // OPERATION_INVALID: it stopped meanwhile
    status = last_error("stopping domain " + name);
  }
  virResetLastError();
  // Everything libvirt keeps beside the definition goes with it; a driver that knows no such
  // extras (the test driver) refuses the flags, and the plain undefine is all there is.
  constexpr unsigned kWithExtras = VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                                   VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                                   VIR_DOMAIN_UNDEFINE_NVRAM;
  int undefined = status ? virDomainUndefineFlags(domain.get(), kWithExtras) : 0;
  if (undefined < 0 && (last_error_is(VIR_ERR_INVALID_ARG) || last_error_is(VIR_ERR_NO_SUPPORT))) {
    virResetLastError();
    undefined = virDomainUndefine(domain.get());
  }
  if (undefined < 0) {
    if (last_error_is(VIR_ERR_NO_DOMAIN)) {
      virResetLastError();
    } else {
      status = last_error("undefining domain " + name);
    }
  }
  record("delete_domain", outcome_label(status), started);
  return status;
}

Result<DomainVolumes> LibvirtHost::domain_volumes(const std::string& name) {
  const auto started = clock_.steady_now();
  const DomainPtr domain(virDomainLookupByName(connection_.get(), name.c_str()));
  if (!domain) {
    Error error = last_error("looking up domain " + name);
    record("describe_domain", error_code_name(error.code), started);
    return error;
  }
  const std::string xml = take_string(virDomainGetXMLDesc(domain.get(), VIR_DOMAIN_XML_INACTIVE));
  if (xml.empty()) {
    Error error = last_error("reading the XML of domain " + name);
    record("describe_domain", error_code_name(error.code), started);
    return error;
  }
  record("describe_domain", "ok", started);
  DomainVolumes volumes;
  for (const auto& source : start_tags(xml, "source")) {
    const auto pool = source.find("pool");
    const auto volume = source.find("volume");
    if (pool != source.end() && volume != source.end()) {
      volumes.disks.emplace_back(pool->second, volume->second);
    }
  }
  for (const auto& entry : start_tags(xml, "entry")) {
    const auto entry_name = entry.find("name");
    const auto file = entry.find("file");
    if (entry_name != entry.end() && entry_name->second == kIgnitionFwCfgName &&
        file != entry.end()) {
      volumes.ignition_path = file->second;
    }
  }
  return volumes;
}

}  // namespace nkd::providers::libvirt
