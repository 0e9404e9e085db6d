#include "providers/libvirt/libvirt_handles.h"

#include <libvirt/virterror.h>

#include <mutex>

namespace nkd::providers::libvirt {

namespace {

// libvirt calls this for every error instead of printing it; the error itself stays readable
// through virGetLastError on the thread that made the call.
void keep_quiet(void* /*user_data*/, virErrorPtr /*error*/) {}

std::string advice_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUnavailable:
    case ErrorCode::kTimeout:
      return "; nkd retries (check that libvirtd runs and the connection's host is reachable)";
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kUnauthenticated:
      return "; check the connection's URI, user and keys in syncd.yaml (libvirt.connections)";
    default:
      return "";
  }
}

}  // namespace

std::string take_string(char* text) {
  const CStringPtr owned(text);
  return owned ? std::string(owned.get()) : std::string();
}

void silence_default_error_printing() {
  static std::once_flag once;
  std::call_once(once, [] {
    virSetErrorFunc(nullptr, keep_quiet);
    virInitialize();
  });
}

ErrorCode error_code_for(int libvirt_error) {
  switch (libvirt_error) {
    case VIR_ERR_NO_DOMAIN:
    case VIR_ERR_NO_STORAGE_POOL:
    case VIR_ERR_NO_STORAGE_VOL:
    case VIR_ERR_NO_NETWORK:
    case VIR_ERR_NO_DOMAIN_METADATA:
      return ErrorCode::kNotFound;
    case VIR_ERR_OPERATION_TIMEOUT:
      return ErrorCode::kTimeout;
    case VIR_ERR_SYSTEM_ERROR:
    case VIR_ERR_RPC:
    case VIR_ERR_NO_CONNECT:
    case VIR_ERR_INVALID_CONN:
    case VIR_ERR_RESOURCE_BUSY:
    case VIR_ERR_AGENT_UNRESPONSIVE:
    case VIR_ERR_SSH:
    case VIR_ERR_LIBSSH:
    case VIR_ERR_UNKNOWN_HOST:
      return ErrorCode::kUnavailable;
    case VIR_ERR_AUTH_FAILED:
    case VIR_ERR_AUTH_CANCELLED:
    case VIR_ERR_AUTH_UNAVAILABLE:
      return ErrorCode::kUnauthenticated;
    case VIR_ERR_OPERATION_DENIED:
    case VIR_ERR_ACCESS_DENIED:
      return ErrorCode::kPermissionDenied;
    case VIR_ERR_XML_ERROR:
    case VIR_ERR_XML_DETAIL:
    case VIR_ERR_XML_INVALID_SCHEMA:
    case VIR_ERR_INVALID_ARG:
    case VIR_ERR_CONFIG_UNSUPPORTED:
    case VIR_ERR_OPERATION_UNSUPPORTED:
    case VIR_ERR_NO_SUPPORT:
    case VIR_ERR_CPU_INCOMPATIBLE:
      return ErrorCode::kInvalidArgument;
    case VIR_ERR_DOM_EXIST:
    case VIR_ERR_STORAGE_VOL_EXIST:
    case VIR_ERR_MULTIPLE_DOMAINS:
      return ErrorCode::kConflict;
    default:
      return ErrorCode::kInternal;
  }
}

Error last_error(std::string_view doing) {
  const virErrorPtr error = virGetLastError();
  if (error == nullptr) {
    return Error{ErrorCode::kInternal, std::string(doing) + ": libvirt failed without saying why"};
  }
  const ErrorCode code = error_code_for(error->code);
  std::string message = std::string(doing) + ": " +
                        (error->message != nullptr ? error->message : "libvirt error") +
                        advice_for(code);
  virResetLastError();
  return Error{code, std::move(message)};
}

bool last_error_is(int libvirt_error) {
  const virErrorPtr error = virGetLastError();
  return error != nullptr && error->code == libvirt_error;
}

}  // namespace nkd::providers::libvirt
